"""HTTP server provider parts: settings parsing and CORS decisions."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from wasmlattice_httpserver import cors
from wasmlattice_httpserver.settings import CorsSettings, HttpSettings, parse_size

from lattice.provider import LinkValues, ProviderConfigError


def settings(**values: str) -> HttpSettings:
    return HttpSettings.parse(LinkValues(values))


def test_defaults() -> None:
    s = settings()
    assert (s.host, s.port, s.tls, s.readonly_mode, s.timeout_ms) == ("127.0.0.1", 8000, None, False, None)
    assert s.max_content_len == 10 * 1024 * 1024


def test_top_level_values_override_the_json_and_keys_ignore_case() -> None:
    config = {
        "Address": "0.0.0.0:9000",
        "Max_Content_Len": "1M",
        "readonly_mode": True,
        "CORS": {"allowed_origins": ["a"]},
    }
    s = settings(CONFIG_JSON=json.dumps(config), PORT="9100", cache_control="no-store")
    assert (s.host, s.port, s.max_content_len, s.readonly_mode) == ("0.0.0.0", 9100, 1024 * 1024, True)
    assert s.cache_control == "no-store"
    assert s.cors.allowed_origins == ("a",)


def test_config_b64_and_file(tmp_path: Path) -> None:
    body = json.dumps({"port": 8123, "timeout_ms": 250})
    assert settings(config_b64=base64.b64encode(body.encode()).decode()).port == 8123
    path = tmp_path / "http.json"
    path.write_text(body)
    assert settings(config_file=str(path)).timeout_ms == 250


def test_tls_files_from_json_or_values() -> None:
    s = settings(config_json='{"tls": {"cert_file": "c.pem", "priv_key_file": "k.pem"}}')
    assert s.tls is not None
    assert (s.tls.cert_file, s.tls.priv_key_file) == (Path("c.pem"), Path("k.pem"))


@pytest.mark.parametrize(
    ("text", "size"), [("512", 512), ("10k", 10240), ("2M", 2 * 1024**2), ("1GiB", 1024**3), ("3mb", 3 * 1024**2)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text, "x") == size


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"port": "0"}, "not a port in 1..65535"),
        ({"port": "http"}, "is not a port number"),
        ({"address": "[::1]"}, "must be IP:PORT"),
        ({"timeout_ms": "0"}, "out of range"),
        ({"readonly_mode": "sometimes"}, "is not a boolean"),
        ({"config_json": '{"cors": {"max_age_secs": -1}}'}, "max_age_secs"),
        ({"config_json": '{"cors": {"allowed_methods": [1]}}'}, "must be a list of strings"),
        ({"config_file": "/nonexistent/x.json"}, "cannot read config_file"),
    ],
)
def test_bad_settings(values: dict[str, str], message: str) -> None:
    with pytest.raises(ProviderConfigError, match=message):
        settings(**values)


def test_cors_preflight_and_response_headers() -> None:
    any_origin = CorsSettings()
    request = {
        "Origin": "https://a",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type",
    }
    assert cors.is_preflight("OPTIONS", request)
    assert not cors.is_preflight("GET", request)
    answer = cors.preflight(any_origin, request)
    assert answer is not None
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert cors.preflight(any_origin, {**request, "Access-Control-Request-Headers": "x-secret"}) is None
    assert cors.preflight(any_origin, {**request, "Access-Control-Request-Method": "PATCH"}) is None
    only_a = CorsSettings(allowed_origins=("https://a",))
    assert cors.response_headers(only_a, "https://a") == {"Access-Control-Allow-Origin": "https://a", "Vary": "Origin"}
    assert cors.response_headers(only_a, "https://b") == {}
    assert cors.response_headers(only_a, None) == {}
