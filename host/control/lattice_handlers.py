"""Handlers of the lattice-wide control operations: ping, claims, links, link put/del, auctions, registries.

Each handler decodes its request with the shared :mod:`lattice.control.types`, asks the :class:`ControlTarget`,
and returns an :class:`Outcome`. Errors are left to the server, which turns them into failure acks.
"""

from __future__ import annotations

from host.control.routing import Handler, Outcome, Request
from host.control.target import ControlTarget, HostInfo
from host.events import human_duration
from lattice.control.base import loads
from lattice.control.replies import ClaimsReply, Host, LinksReply
from lattice.control.requests import (
    ActorAuctionAck,
    ActorAuctionRequest,
    LinkDeleteRequest,
    ProviderAuctionAck,
    ProviderAuctionRequest,
    RegistriesPutRequest,
    link_from_json,
)
from lattice.subjects import CtlOp


def ping_reply(info: HostInfo) -> Host:
    """The OTP 0.60+ ping reply (``prov_rpc_host`` repeats ``rpc_host``: this host gives providers its RPC NATS)."""
    return Host(
        id=info.id,
        issuer=info.issuer,
        labels=dict(info.labels),
        friendly_name=info.friendly_name,
        uptime_seconds=info.uptime_seconds,
        uptime_human=human_duration(info.uptime_seconds),
        version=info.version,
        cluster_issuers=tuple(info.cluster_issuers),
        js_domain=info.js_domain,
        ctl_host=info.ctl_host,
        prov_rpc_host=info.rpc_host,
        rpc_host=info.rpc_host,
        lattice_prefix=info.lattice_prefix,
    )


class LatticeHandlers:
    """The lattice-wide half of the routing table."""

    def __init__(self, target: ControlTarget) -> None:
        self.target = target

    def routes(self) -> dict[CtlOp, Handler]:
        return {
            CtlOp.PING_HOSTS: self.ping,
            CtlOp.GET_CLAIMS: self.claims,
            CtlOp.GET_LINKS: self.links,
            CtlOp.LINKDEFS_PUT: self.put_link,
            CtlOp.LINKDEFS_DEL: self.delete_link,
            CtlOp.AUCTION_ACTOR: self.auction_actor,
            CtlOp.AUCTION_PROVIDER: self.auction_provider,
            CtlOp.REGISTRIES_PUT: self.put_registries,
        }

    async def ping(self, request: Request) -> Outcome:
        """Answer with this host's description, then publish a heartbeat (OTP 0.60+)."""
        return Outcome(ping_reply(self.target.host_info()).encode(), self.target.publish_heartbeat)

    async def claims(self, request: Request) -> Outcome:
        return Outcome(ClaimsReply(tuple(self.target.claims())).encode())

    async def links(self, request: Request) -> Outcome:
        return Outcome(LinksReply(tuple(self.target.links())).encode())

    async def put_link(self, request: Request) -> Outcome:
        link = link_from_json(loads(request.data, "link definition"))
        await self.target.put_link(link)
        return Outcome.accepted()

    async def delete_link(self, request: Request) -> Outcome:
        req = LinkDeleteRequest.decode(request.data)
        await self.target.delete_link(req.actor_id, req.contract_id, req.link_name)
        return Outcome.accepted()

    async def auction_actor(self, request: Request) -> Outcome:
        """Reply only when this host's labels include every constraint."""
        req = ActorAuctionRequest.decode(request.data)
        if not self.target.matches_labels(req.constraints):
            return Outcome(None)
        return Outcome(ActorAuctionAck(req.actor_ref, self.target.host_id, req.constraints).encode())

    async def auction_provider(self, request: Request) -> Outcome:
        """Reply only when the labels match and this host does not already run that provider and link name."""
        req = ProviderAuctionRequest.decode(request.data)
        if not self.target.matches_labels(req.constraints) or self.target.runs_provider(
            req.provider_ref, req.link_name
        ):
            return Outcome(None)
        ack = ProviderAuctionAck(req.provider_ref, req.link_name, self.target.host_id, req.constraints)
        return Outcome(ack.encode())

    async def put_registries(self, request: Request) -> Outcome:
        """Every host takes the credentials; the values passed on are :class:`RegistryCredential` objects."""
        req = RegistriesPutRequest.decode(request.data)
        await self.target.put_registries(req.credentials)
        return Outcome.accepted()
