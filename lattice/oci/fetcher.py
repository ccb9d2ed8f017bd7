"""One entry point for every artifact ref: OCI refs go to a registry, ``lattice://`` refs to the lattice registry.

The host (and the CLI) keep one :class:`ArtifactFetcher` for their life: it holds the HTTP connection pool, the
tokens registries handed out and, when a NATS connection is given, the lattice registry. Credentials can be
replaced at run time (``registries.put``) with :meth:`set_credentials`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from lattice.oci.artifact import Artifact, PushResult, Validate
from lattice.oci.client import Progress, RegistryClient
from lattice.oci.errors import OciUnreachable
from lattice.oci.media import ArtifactKind
from lattice.oci.pull import OciPuller
from lattice.oci.refs import is_lattice_ref
from lattice.oci.registry import LatticeRegistry
from lattice.oci.settings import Credentials, OciSettings


class ArtifactFetcher:
    def __init__(
        self, settings: OciSettings, *, nc: Any = None, lattice: str | None = None, js_domain: str | None = None
    ) -> None:
        self.settings = settings
        self._client = RegistryClient(settings)
        self._registry = (
            LatticeRegistry(nc, lattice, settings, js_domain=js_domain) if nc is not None and lattice else None
        )
        self._open = False

    async def __aenter__(self) -> ArtifactFetcher:
        await self._client.__aenter__()
        self._open = True
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._open = False
        await self._client.__aexit__(exc_type, exc, tb)

    def set_credentials(self, registry: str, creds: Credentials) -> None:
        """Use ``creds`` for ``registry`` from now on (e.g. from ``registries.put``)."""
        self.settings = self.settings.with_credentials(registry, creds)
        self._client.settings = self.settings
        self._client.forget_auth(registry)

    @property
    def http_requests(self) -> int:
        return self._client.requests

    @property
    def lattice_requests(self) -> int:
        return self._registry.requests if self._registry is not None else 0

    def _lattice(self, ref: str) -> LatticeRegistry:
        if self._registry is None:
            raise OciUnreachable(ref, "lattice registry refs need a NATS connection to the lattice")
        self._registry.settings = self.settings
        return self._registry

    async def pull(
        self,
        ref: str,
        kind: ArtifactKind | None = None,
        *,
        validate: Validate | None = None,
        progress: Progress | None = None,
    ) -> Artifact:
        if is_lattice_ref(ref):
            return await self._lattice(ref).pull(ref, kind, validate=validate)
        return await OciPuller(self._client).pull(ref, kind, validate=validate, progress=progress)

    async def push(
        self, ref: str, data: bytes, kind: ArtifactKind | None = None, *, progress: Progress | None = None
    ) -> PushResult:
        if is_lattice_ref(ref):
            return await self._lattice(ref).push(ref, data, kind)
        return await OciPuller(self._client).push(ref, data, kind, progress=progress)
