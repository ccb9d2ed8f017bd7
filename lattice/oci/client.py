"""A small OCI distribution client on aiohttp: manifests and blobs, bounded, digest-checked, with auth.

HTTPS always, except for registries listed in ``OciSettings.allowed_insecure`` (plain HTTP). Every body is read
with a size limit; a blob's bytes must hash to its digest before anyone sees them. Timeouts: connect, and between
two reads (a registry that accepts and never answers fails with :class:`OciTimeout`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from yarl import URL

from lattice.oci import errors as e
from lattice.oci.auth import AuthState, basic_header, parse_challenge
from lattice.oci.media import ACCEPT, Descriptor, sha256_digest
from lattice.oci.refs import ImageRef
from lattice.oci.settings import ALLOWED_INSECURE_ENV, PASSWORD_ENV, REGISTRY_ENV, USER_ENV, OciSettings

CHUNK_BYTES = 64 * 1024
Progress = Callable[[int, int], None]
_PLAIN_HTTP_HINTS = ("WRONG_VERSION_NUMBER", "record layer failure", "HTTP_REQUEST", "packet length too long")


@dataclass(frozen=True)
class FetchedManifest:
    digest: str
    media_type: str | None
    body: bytes


@functools.lru_cache(maxsize=8)
def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The default TLS context, plus ``ca_file`` when given (loading the system CAs is slow: made once)."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


class RegistryClient:
    """``async with RegistryClient(settings) as client:`` — one connection pool for any number of registries."""

    def __init__(self, settings: OciSettings) -> None:
        self.settings = settings
        self._auth = AuthState()
        self._session: aiohttp.ClientSession | None = None
        self._opened = False
        self.requests = 0  # HTTP requests sent (the tests and benchmarks count them)

    async def __aenter__(self) -> RegistryClient:
        self._opened = True
        return self

    def _http(self) -> aiohttp.ClientSession:
        """The session, made on first use (a pull served from the cache never pays for TLS set-up)."""
        if not self._opened:
            raise RuntimeError("RegistryClient is not open: use `async with`")
        if self._session is None:
            t = self.settings.timeouts
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=tls_context(self.settings.ca_file)),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=t.connect_s, sock_read=t.read_s),
            )
        return self._session

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._opened = False
        if self._session is not None:
            await self._session.close()
            self._session = None

    def forget_auth(self, registry: str) -> None:
        """Drop what was learnt about ``registry``'s auth (its token was issued for other credentials)."""
        self._auth.forget(registry)

    def base_url(self, image: ImageRef) -> str:
        scheme = "http" if image.registry in self.settings.allowed_insecure else "https"
        return f"{scheme}://{image.api_host}/v2/{image.repository}"

    # -- requests with auth and error mapping ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _open(
        self,
        ref: str,
        image: ImageRef,
        method: str,
        url: str | URL,
        *,
        headers: dict[str, str] | None = None,
        data: Any = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        self._http()
        creds = self.settings.credentials_for(image.registry)
        for attempt in range(2):
            sent = {**(headers or {}), **self._auth.header(image.registry, creds)}
            resp = await self._send(ref, image, method, url, sent, data() if callable(data) else data)
            if resp.status in (401, 403) and attempt == 0:
                challenge = resp.headers.get("WWW-Authenticate", "")
                resp.release()
                await self._answer(ref, image, challenge)
                continue
            try:
                if resp.status in (401, 403):
                    raise self._auth_refused(ref, image, resp.status)
                yield resp
            finally:
                resp.release()
            return

    async def _send(
        self, ref: str, image: ImageRef, method: str, url: str | URL, headers: dict[str, str], data: Any
    ) -> aiohttp.ClientResponse:
        self.requests += 1
        try:
            return await self._http().request(method, url, headers=headers, data=data)
        except aiohttp.ClientConnectorCertificateError as exc:
            raise e.OciUnreachable(
                ref, f"TLS certificate of {image.registry} is not trusted: {exc.certificate_error}"
            ) from exc
        except (aiohttp.ClientSSLError, ssl.SSLError) as exc:
            if any(hint in str(exc) for hint in _PLAIN_HTTP_HINTS):
                raise e.OciInsecureRefused(
                    ref,
                    f"{image.registry} answers plain HTTP, not HTTPS: list it in {ALLOWED_INSECURE_ENV} "
                    "(--insecure on the command line) to allow that",
                ) from exc
            raise e.OciUnreachable(ref, f"TLS with {image.registry} failed: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise e.OciUnreachable(ref, f"cannot connect to {image.registry}: {exc.os_error or exc}") from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise e.OciTimeout(ref, f"{image.registry} did not answer within the timeout") from exc
        except aiohttp.ClientError as exc:
            raise e.OciRegistryError(ref, f"request to {image.registry} failed: {exc}") from exc

    async def _answer(self, ref: str, image: ImageRef, header: str) -> None:
        challenge = parse_challenge(header)
        creds = self.settings.credentials_for(image.registry)
        if challenge is None or challenge.scheme not in ("basic", "bearer"):
            raise e.OciAuthError(ref, f"{image.registry} refused the request without a usable auth challenge")
        if challenge.scheme == "basic":
            if creds is None or not creds.has_secret:
                raise self._auth_refused(ref, image, 401)
            self._auth.use_basic(image.registry)
            return
        self._auth.set_token(image.registry, await self._token(ref, image, challenge.params))

    async def _token(self, ref: str, image: ImageRef, params: dict[str, str]) -> str:
        realm = params.get("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise e.OciAuthError(ref, f"{image.registry} sent a Bearer challenge without a usable realm")
        query = {k: params[k] for k in ("service", "scope") if params.get(k)}
        creds = self.settings.credentials_for(image.registry)
        headers = {"Authorization": basic_header(creds)} if creds and creds.password else {}
        token_url = URL(realm).update_query(query)
        self.requests += 1
        try:
            async with self._http().get(token_url, headers=headers) as resp:
                if resp.status in (401, 403):
                    raise self._auth_refused(ref, image, resp.status)
                if resp.status != 200:
                    raise e.OciAuthError(ref, f"the token service of {image.registry} answered {resp.status}")
                body = await resp.content.read(self.settings.limits.max_manifest_bytes)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise e.OciTimeout(ref, f"the token service of {image.registry} did not answer in time") from exc
        except aiohttp.ClientError as exc:
            raise e.OciUnreachable(ref, f"cannot reach the token service of {image.registry}: {exc}") from exc
        try:
            doc = json.loads(body)
            token = doc.get("token") or doc.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise e.OciAuthError(ref, f"the token service of {image.registry} sent no token")
        return token

    def _auth_refused(self, ref: str, image: ImageRef, status: int) -> e.OciAuthError:
        self._auth.forget(image.registry)
        creds = self.settings.credentials_for(image.registry)
        if creds is None or not creds.has_secret:
            return e.OciAuthError(
                ref,
                f"{image.registry} requires credentials: pass --user/--password, set {REGISTRY_ENV} with "
                f"{USER_ENV}/{PASSWORD_ENV}, or send them to the hosts with registries.put",
            )
        return e.OciAuthError(ref, f"{image.registry} refused the credentials of {creds.username!r} ({status})")

    # -- bodies ------------------------------------------------------------------------------------------------

    async def _read(
        self,
        ref: str,
        resp: aiohttp.ClientResponse,
        limit: int,
        what: str,
        progress: Progress | None,
        expected: int | None = None,
    ) -> bytes:
        length = resp.content_length
        if length is not None and length > limit:
            raise e.OciTooLarge(ref, f"{what} of {length} bytes is over the limit of {limit}")
        total = expected or length or 0
        buf = bytearray()
        try:
            async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
                buf += chunk
                if len(buf) > limit:
                    raise e.OciTooLarge(ref, f"{what} is over the limit of {limit} bytes")
                if progress is not None:
                    progress(len(buf), total)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise e.OciTimeout(ref, f"{what} stopped arriving (no data within the read timeout)") from exc
        except aiohttp.ClientPayloadError as exc:
            raise e.OciRegistryError(ref, f"{what} was cut off: {exc}") from exc
        return bytes(buf)

    async def _fail(self, ref: str, resp: aiohttp.ClientResponse, what: str) -> e.OciError:
        detail = ""
        with contextlib.suppress(Exception):
            doc = json.loads(await resp.content.read(64 * 1024))
            first = doc["errors"][0]
            detail = f": {first.get('code', '')} {first.get('message', '')}".rstrip()
        if resp.status == 404:
            return e.OciNotFound(ref, f"{what} not found{detail}")
        return e.OciRegistryError(ref, f"{what}: the registry answered {resp.status}{detail}")

    # -- the distribution API ----------------------------------------------------------------------------------

    async def fetch_manifest(self, ref: str, image: ImageRef, reference: str) -> FetchedManifest:
        """GET a manifest by tag or digest; its digest is computed from the bytes and checked against any claim."""
        url = f"{self.base_url(image)}/manifests/{reference}"
        async with self._open(ref, image, "GET", url, headers={"Accept": ACCEPT}) as resp:
            if resp.status != 200:
                raise await self._fail(ref, resp, f"manifest {reference}")
            body = await self._read(ref, resp, self.settings.limits.max_manifest_bytes, "the manifest", None)
            media_type = resp.headers.get("Content-Type")
            claimed = resp.headers.get("Docker-Content-Digest")
        digest = sha256_digest(body)
        if reference.startswith("sha256:") and digest != reference:
            raise e.OciDigestMismatch(ref, f"the manifest's bytes hash to {digest}, not {reference}")
        if claimed and claimed.startswith("sha256:") and claimed != digest:
            raise e.OciDigestMismatch(
                ref, f"the registry says the manifest is {claimed} but its bytes hash to {digest}"
            )
        return FetchedManifest(digest, media_type, body)

    async def fetch_blob(self, ref: str, image: ImageRef, blob: Descriptor, progress: Progress | None = None) -> bytes:
        """GET a blob, bounded by its descriptor's size and the limit; the bytes must hash to its digest."""
        limit = self.settings.limits.max_blob_bytes
        if blob.size > limit:
            raise e.OciTooLarge(ref, f"layer {blob.digest} of {blob.size} bytes is over the limit of {limit}")
        url = f"{self.base_url(image)}/blobs/{blob.digest}"
        async with self._open(ref, image, "GET", url) as resp:
            if resp.status != 200:
                raise await self._fail(ref, resp, f"blob {blob.digest}")
            data = await self._read(ref, resp, max(blob.size, 0) or limit, f"layer {blob.digest}", progress, blob.size)
        if len(data) != blob.size:
            raise e.OciDigestMismatch(ref, f"layer {blob.digest} has {len(data)} bytes, the manifest says {blob.size}")
        actual = sha256_digest(data)
        if actual != blob.digest:
            raise e.OciDigestMismatch(ref, f"layer bytes hash to {actual}, not {blob.digest}: refused")
        return data

    async def blob_exists(self, ref: str, image: ImageRef, digest: str) -> bool:
        async with self._open(ref, image, "HEAD", f"{self.base_url(image)}/blobs/{digest}") as resp:
            return resp.status == 200

    async def push_blob(self, ref: str, image: ImageRef, data: bytes, progress: Progress | None = None) -> str:
        """Upload ``data`` (POST a session, PUT it whole); skipped when the registry already has the digest."""
        digest = sha256_digest(data)
        if await self.blob_exists(ref, image, digest):
            return digest
        async with self._open(ref, image, "POST", f"{self.base_url(image)}/blobs/uploads/") as resp:
            if resp.status != 202 or "Location" not in resp.headers:
                raise await self._fail(ref, resp, "starting an upload")
            location = URL(resp.headers["Location"])
        if not location.is_absolute():
            location = URL(self.base_url(image)).join(location)
        url = location.update_query({"digest": digest})
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
        async with self._open(ref, image, "PUT", url, headers=headers, data=lambda: _chunks(data, progress)) as resp:
            if resp.status != 201:
                raise await self._fail(ref, resp, f"uploading {digest}")
        return digest

    async def push_manifest(self, ref: str, image: ImageRef, body: bytes, media_type: str) -> str:
        url = f"{self.base_url(image)}/manifests/{image.tag or image.reference}"
        async with self._open(ref, image, "PUT", url, headers={"Content-Type": media_type}, data=body) as resp:
            if resp.status != 201:
                raise await self._fail(ref, resp, "storing the manifest")
        return sha256_digest(body)


async def _chunks(data: bytes, progress: Progress | None) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK_BYTES):
        yield bytes(view[start : start + CHUNK_BYTES])
        if progress is not None:
            progress(min(start + CHUNK_BYTES, len(data)), len(data))
        await asyncio.sleep(0)
