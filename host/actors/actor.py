"""One actor running on this host: its claims, its instance pool, its router, its inbox and its instances.

"Instances" are OTP's bookkeeping (an id, annotations and a revision each); the pool is sized to their number.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from host.control.target import ActorInfo, ActorInstanceInfo
from host.invocations import ActorInbox, HostCallRouter
from host.runtime import ActorPool
from lattice.claims import ActorClaims
from lattice.oci.provenance import Provenance


@dataclass(frozen=True)
class ActorInstance:
    instance_id: str
    revision: int
    image_ref: str
    annotations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, revision: int, image_ref: str, annotations: Mapping[str, str]) -> ActorInstance:
        return cls(str(uuid.uuid4()), revision, image_ref, dict(annotations))

    def matches(self, annotations: Mapping[str, str]) -> bool:
        """True when this instance carries every given annotation."""
        return all(self.annotations.get(k) == v for k, v in annotations.items())


def revision_of(claims: ActorClaims) -> int:
    return claims.metadata.rev or 0


class RunningActor:
    """See the module docstring. Serves :class:`host.invocations.InboundActor`."""

    def __init__(self, claims: ActorClaims, image_ref: str, pool: ActorPool, router: HostCallRouter) -> None:
        self.claims = claims
        self.image_ref = image_ref
        self.pool = pool
        self.router = router
        self.instances: list[ActorInstance] = []
        self.inbox: ActorInbox | None = None
        self.provenance: Provenance | None = None

    @property
    def public_key(self) -> str:
        return self.claims.subject

    @property
    def caps(self) -> frozenset[str]:
        return self.router.caps

    @property
    def revision(self) -> int:
        return revision_of(self.claims)

    @property
    def name(self) -> str:
        return self.claims.metadata.name or ""

    async def invoke(self, operation: str, payload: bytes) -> bytes:
        return await self.pool.invoke(operation, payload)

    def add_instances(self, count: int, annotations: Mapping[str, str]) -> list[ActorInstance]:
        added = [ActorInstance.new(self.revision, self.image_ref, annotations) for _ in range(count)]
        self.instances.extend(added)
        return added

    def remove_instances(self, count: int, annotations: Mapping[str, str]) -> list[ActorInstance]:
        """Take up to ``count`` instances matching ``annotations`` (0 = all matching), newest first."""
        matching = [i for i in reversed(self.instances) if i.matches(annotations)]
        chosen = matching if count == 0 else matching[:count]
        ids = {i.instance_id for i in chosen}
        self.instances = [i for i in self.instances if i.instance_id not in ids]
        return chosen

    def adopt(self, claims: ActorClaims, image_ref: str, provenance: Provenance) -> None:
        """After a live update: new claims (and caps), new image, every instance at the new revision."""
        self.claims = claims
        self.image_ref = image_ref
        self.provenance = provenance
        self.router.caps = frozenset(claims.metadata.capabilities)
        self.instances = [replace(i, revision=self.revision, image_ref=image_ref) for i in self.instances]

    def info(self) -> ActorInfo:
        """What the inventory reports; every instance's annotations also say where the module came from."""
        source = self.provenance.annotations() if self.provenance is not None else {}
        instances = tuple(
            ActorInstanceInfo(i.instance_id, i.revision, {**i.annotations, **source}, i.image_ref)
            for i in self.instances
        )
        return ActorInfo(self.public_key, self.image_ref, self.name, instances)
