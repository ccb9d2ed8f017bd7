"""The HostData a host hands each provider it starts (docs/protocol.md §7.4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lattice.wire import HostData, LinkDefinition

DEFAULT_PROVIDER_LOG_LEVEL = "info"


@dataclass(frozen=True)
class HostDataNats:
    """The NATS connection the host tells its providers to use: URL, credentials and TLS."""

    url: str
    jwt: str = field(default="", repr=False)
    seed: str = field(default="", repr=False)
    tls: bool = False
    tls_ca: str = ""
    creds_file: str = ""
    tls_cert: str = ""
    tls_key: str = field(default="", repr=False)


@dataclass(frozen=True)
class HostIdentity:
    """What every provider of one host learns about it."""

    host_id: str
    lattice: str
    cluster_seed: str = field(repr=False)
    cluster_issuers: tuple[str, ...]
    rpc_timeout_ms: int
    nats: HostDataNats
    js_domain: str | None = None
    log_level: str = DEFAULT_PROVIDER_LOG_LEVEL


def build_host_data(
    host: HostIdentity,
    provider_key: str,
    link_name: str,
    instance_id: str,
    links: Sequence[LinkDefinition],
    config_json: str | None,
) -> HostData:
    nats = host.nats
    return HostData(
        host_id=host.host_id,
        lattice_rpc_prefix=host.lattice,
        link_name=link_name,
        provider_key=provider_key,
        invocation_seed=host.cluster_seed,
        lattice_rpc_url=nats.url,
        lattice_rpc_user_jwt=nats.jwt,
        lattice_rpc_user_seed=nats.seed,
        lattice_rpc_tls=nats.tls,
        cluster_issuers=host.cluster_issuers,
        instance_id=instance_id,
        link_definitions=tuple(links),
        config_json=config_json,
        default_rpc_timeout_ms=host.rpc_timeout_ms,
        js_domain=host.js_domain,
        log_level=host.log_level,
        lattice_rpc_tls_ca=nats.tls_ca,
        lattice_rpc_creds_file=nats.creds_file,
        lattice_rpc_tls_cert=nats.tls_cert,
        lattice_rpc_tls_key=nats.tls_key,
    )
