"""Handlers of the host-targeted control operations: inventory, actor and provider commands, stop, labels.

Commands are acked once the target has accepted them; the target starts long work in the background and reports
through events. A body whose ``host_id`` names another host is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from host.control.routing import Handler, Outcome, Request, actor_id_for, check_host
from host.control.target import ActorInfo, CommandRejected, ControlTarget, ProviderInfo
from lattice import keys
from lattice.control.commands import (
    LabelDeleteRequest,
    LabelPutRequest,
    LaunchActorCommand,
    LaunchProviderCommand,
    ScaleActorCommand,
    StopActorCommand,
    StopHostCommand,
    StopProviderCommand,
    UpdateActorCommand,
)
from lattice.control.replies import ActorDescription, ActorInstance, HostInventory, ProviderDescription
from lattice.subjects import CtlOp


class HostCommand(Protocol):
    """A command body that may name the host it is for (``""``: whichever host got it)."""

    @property
    def host_id(self) -> str: ...


C = TypeVar("C", bound=HostCommand)
DEFAULT_SCALE_COUNT = 1  # a scale request without a count (ctl client 0.30+ "unbounded") keeps one instance


def describe_actor(actor: ActorInfo) -> ActorDescription:
    instances = tuple(
        ActorInstance(i.instance_id, i.revision, dict(i.annotations), i.image_ref) for i in actor.instances
    )
    return ActorDescription(actor.id, actor.image_ref, actor.name, instances)


def describe_provider(p: ProviderInfo) -> ProviderDescription:
    return ProviderDescription(
        p.id, p.link_name, p.contract_id, p.image_ref, p.name, p.instance_id, p.revision, dict(p.annotations)
    )


class HostHandlers:
    """The host-targeted half of the routing table."""

    def __init__(self, target: ControlTarget) -> None:
        self.target = target

    def _mine(self, decode: Callable[[bytes], C], request: Request) -> C:
        """The decoded command, refused when its body names another host."""
        cmd = decode(request.data)
        check_host(cmd.host_id, self.target.host_id)
        return cmd

    def routes(self) -> dict[CtlOp, Handler]:
        return {
            CtlOp.GET_INVENTORY: self.inventory,
            CtlOp.LAUNCH_ACTOR: self.launch_actor,
            CtlOp.STOP_ACTOR: self.stop_actor,
            CtlOp.SCALE_ACTOR: self.scale_actor,
            CtlOp.UPDATE_ACTOR: self.update_actor,
            CtlOp.LAUNCH_PROVIDER: self.launch_provider,
            CtlOp.STOP_PROVIDER: self.stop_provider,
            CtlOp.STOP_HOST: self.stop_host,
            CtlOp.LABEL_PUT: self.put_label,
            CtlOp.LABEL_DEL: self.delete_label,
        }

    async def inventory(self, request: Request) -> Outcome:
        info = self.target.host_info()
        inventory = HostInventory(
            host_id=info.id,
            issuer=info.issuer,
            labels=dict(info.labels),
            friendly_name=info.friendly_name,
            actors=tuple(describe_actor(a) for a in self.target.actors()),
            providers=tuple(describe_provider(p) for p in self.target.providers()),
        )
        return Outcome(inventory.encode())

    async def launch_actor(self, request: Request) -> Outcome:
        cmd = self._mine(LaunchActorCommand.decode, request)
        await self.target.launch_actor(cmd.actor_ref, cmd.count, cmd.annotations)
        return Outcome.accepted()

    async def stop_actor(self, request: Request) -> Outcome:
        cmd = self._mine(StopActorCommand.decode, request)
        actor_id = actor_id_for(cmd.actor_ref, self.target.actors()) or cmd.actor_ref
        await self.target.stop_actor(actor_id, cmd.count, cmd.annotations)
        return Outcome.accepted()

    async def scale_actor(self, request: Request) -> Outcome:
        """``actor_id`` may be absent (ctl client 0.30+): it is resolved from the ref, or passed on as ``""``."""
        cmd = self._mine(ScaleActorCommand.decode, request)
        actor_id = cmd.actor_id or actor_id_for(cmd.actor_ref, self.target.actors())
        count = DEFAULT_SCALE_COUNT if cmd.count is None else cmd.count
        await self.target.scale_actor(actor_id, cmd.actor_ref, count, cmd.annotations)
        return Outcome.accepted()

    async def update_actor(self, request: Request) -> Outcome:
        cmd = self._mine(UpdateActorCommand.decode, request)
        await self.target.update_actor(cmd.actor_id, cmd.new_actor_ref, cmd.annotations)
        return Outcome.accepted()

    async def launch_provider(self, request: Request) -> Outcome:
        cmd = self._mine(LaunchProviderCommand.decode, request)
        if self.target.runs_provider(cmd.provider_ref, cmd.link_name):
            raise CommandRejected(
                f"provider {cmd.provider_ref} with link name {cmd.link_name!r} is already running on this host"
            )
        await self.target.launch_provider(cmd.provider_ref, cmd.link_name, cmd.configuration, cmd.annotations)
        return Outcome.accepted()

    async def stop_provider(self, request: Request) -> Outcome:
        cmd = self._mine(StopProviderCommand.decode, request)
        if not keys.is_public_key(cmd.provider_ref, keys.KeyType.SERVICE):
            raise CommandRejected(f"stop provider needs the provider's public key (V…), got {cmd.provider_ref!r}")
        await self.target.stop_provider(cmd.provider_ref, cmd.link_name, cmd.contract_id)
        return Outcome.accepted()

    async def stop_host(self, request: Request) -> Outcome:
        """Ack first, then begin the graceful stop."""
        cmd = self._mine(StopHostCommand.decode, request)

        async def stop() -> None:
            await self.target.stop_host(cmd.timeout)

        return Outcome.accepted(then=stop)

    async def put_label(self, request: Request) -> Outcome:
        req = LabelPutRequest.decode(request.data)
        await self.target.put_label(req.key, req.value)
        return Outcome.accepted()

    async def delete_label(self, request: Request) -> Outcome:
        req = LabelDeleteRequest.decode(request.data)
        await self.target.delete_label(req.key)
        return Outcome.accepted()
