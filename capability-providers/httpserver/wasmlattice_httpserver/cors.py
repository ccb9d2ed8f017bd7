"""CORS as pure functions over :class:`CorsSettings`: preflight answers and headers for actual responses."""

from __future__ import annotations

from collections.abc import Mapping

from wasmlattice_httpserver.settings import CorsSettings

ANY = "*"


def origin_allowed(cors: CorsSettings, origin: str) -> bool:
    return not cors.allowed_origins or ANY in cors.allowed_origins or origin in cors.allowed_origins


def allow_origin_value(cors: CorsSettings, origin: str) -> str:
    return ANY if not cors.allowed_origins or ANY in cors.allowed_origins else origin


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return method == "OPTIONS" and "Origin" in headers and "Access-Control-Request-Method" in headers


def preflight(cors: CorsSettings, headers: Mapping[str, str]) -> dict[str, str] | None:
    """The headers of a 204 preflight answer, or None when the request is not allowed (answer 403)."""
    origin = headers["Origin"]
    method = headers["Access-Control-Request-Method"].upper()
    asked = [h.strip().lower() for h in headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()]
    if not origin_allowed(cors, origin) or method not in cors.allowed_methods:
        return None
    if any(h not in cors.allowed_headers for h in asked):
        return None
    out = {
        "Access-Control-Allow-Origin": allow_origin_value(cors, origin),
        "Access-Control-Allow-Methods": ", ".join(cors.allowed_methods),
        "Access-Control-Allow-Headers": ", ".join(cors.allowed_headers),
        "Access-Control-Max-Age": str(cors.max_age_secs),
    }
    if out["Access-Control-Allow-Origin"] != ANY:
        out["Vary"] = "Origin"
    return out


def response_headers(cors: CorsSettings, origin: str | None) -> dict[str, str]:
    """Headers to add to an actual response for a cross-origin request (none when the origin is not allowed)."""
    if origin is None or not origin_allowed(cors, origin):
        return {}
    out = {"Access-Control-Allow-Origin": allow_origin_value(cors, origin)}
    if cors.exposed_headers:
        out["Access-Control-Expose-Headers"] = ", ".join(cors.exposed_headers)
    if out["Access-Control-Allow-Origin"] != ANY:
        out["Vary"] = "Origin"
    return out
