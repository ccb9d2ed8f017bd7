"""The host's configuration: one frozen :class:`HostConfig`, filled at the edge.

Every environment variable is declared once and listed in :data:`ENV_VARS` (name, field, parser, default, doc): the
ones every lattice client shares (lattice prefix, control NATS, TLS files, …) are declared in
:mod:`lattice.settings` and appear here as the same objects; the host's own are declared below. Only
:func:`from_env` reads the environment; the CLI layers its flags on top with :func:`dataclasses.replace`.
docs/configuration.md embeds :func:`render_markdown` (a test keeps them in sync).

Errors::

    HostError
    └── ConfigError (also ValueError)   a variable or field has an unusable value
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from host.errors import HostError
from host.rpc_events import DEFAULT_INTERVAL_S as DEFAULT_RPC_EVENTS_INTERVAL_S
from host.rpc_events import RpcEventMode
from host.runtime.inline import DEFAULT_INLINE_CALL_US
from lattice import keys, subjects
from lattice import settings as shared
from lattice.natsconn import DEFAULT_NATS_PORT, NatsOptions, NatsOptionsError, parse_nats_url
from lattice.oci import settings as oci
from lattice.settings import (
    DEFAULT_NATS_HOST,
    DEFAULT_STATE_DIR,
    EnvVar,
    SettingsError,
    parse_bool,
    parse_csv,
    parse_float,
    parse_int,
    parse_optional_path,
    parse_optional_str,
    parse_str,
)
from lattice.wire.hostdata import DEFAULT_RPC_TIMEOUT_MS

DEFAULT_POLICY_TIMEOUT_MS = 1000
DEFAULT_HEARTBEAT_INTERVAL_S = 30.0
DEFAULT_APP_RECONCILE_INTERVAL_S = 5.0
DEFAULT_ACTOR_MEMORY_BYTES = 128 * 1024 * 1024
DEFAULT_ACTOR_DEADLINE_MS = 10_000
DEFAULT_ACTOR_MAX_INSTANCES = 64
DEFAULT_ACTOR_MAX_IN_FLIGHT = 64
DEFAULT_OCI_MAX_BYTES = oci.DEFAULT_MAX_BLOB_BYTES
DEFAULT_OCI_TIMEOUT_S = oci.DEFAULT_READ_TIMEOUT_S
OCI_CACHE_DIR = "oci"
LABEL_ENV_PREFIX = "HOST_"
BUILTIN_LABEL_PREFIX = "hostcore."


class ConfigError(HostError, ValueError):
    """A configuration value is not usable; the message names the variable or field."""


ENV_VARS: tuple[EnvVar, ...] = (
    shared.LATTICE_PREFIX,
    EnvVar("WASMCLOUD_HOST_SEED", "host_seed", parse_optional_str, None, "host server seed (SN…); random if unset",
           secret=True),
    shared.CLUSTER_SEED,
    EnvVar("WASMCLOUD_CLUSTER_ISSUERS", "cluster_issuers", parse_csv, (),
           "comma-separated cluster keys (C…) whose invocations are accepted; the host's own is always added"),
    *shared.nats_vars("RPC", "rpc", "lattice RPC"),
    *shared.CTL_NATS,
    *shared.nats_vars("PROV_RPC", "prov_rpc", "capability providers"),
    shared.RPC_TIMEOUT_MS,
    EnvVar("WASMCLOUD_ALLOW_FILE_LOAD", "allow_file_load", parse_bool, False,
           "allow starting actors and providers from local files (file:// or paths)"),
    EnvVar("WASMCLOUD_JS_DOMAIN", "js_domain", parse_optional_str, None, "JetStream domain of the lattice data"),
    EnvVar("WASMCLOUD_POLICY_TOPIC", "policy_topic", parse_optional_str, None,
           "subject of the policy service; unset means every action is allowed"),
    EnvVar("WASMCLOUD_POLICY_TIMEOUT", "policy_timeout_ms", parse_int, DEFAULT_POLICY_TIMEOUT_MS,
           "policy request timeout in ms (no answer in time means deny)"),
    EnvVar("WASMCLOUD_POLICY_CHANGES_TOPIC", "policy_changes_topic", parse_optional_str, None,
           "subject on which the policy service revises cached decisions"),
    shared.CTL_TOPIC_PREFIX,
    EnvVar("HOST_*", "labels", parse_str, {},
           "every HOST_{NAME}=value becomes host label {name} (lowercased); hostcore.arch/os/osfamily are added"),
    shared.STATE_DIR,
    shared.TLS_CA_FILE,
    shared.TLS_CERT_FILE,
    shared.TLS_KEY_FILE,
    EnvVar("WASMLATTICE_ACTOR_MEMORY_BYTES", "actor_memory_bytes", parse_int, DEFAULT_ACTOR_MEMORY_BYTES,
           "linear-memory cap of one actor instance in bytes"),
    EnvVar("WASMLATTICE_ACTOR_DEADLINE_MS", "actor_deadline_ms", parse_int, DEFAULT_ACTOR_DEADLINE_MS,
           "wall-clock budget of one actor call in ms, host calls included"),
    EnvVar("WASMLATTICE_ACTOR_MAX_INSTANCES", "actor_max_instances", parse_int, DEFAULT_ACTOR_MAX_INSTANCES,
           "most instances one actor may have on this host"),
    EnvVar("WASMLATTICE_ACTOR_MAX_IN_FLIGHT", "actor_max_in_flight", parse_int, DEFAULT_ACTOR_MAX_IN_FLIGHT,
           "invocations one actor works on at once (more wait in a bounded queue)"),
    EnvVar("WASMLATTICE_INLINE_CALL_US", "inline_call_us", parse_int, DEFAULT_INLINE_CALL_US,
           "actor calls that stay this short (µs) run on the event loop instead of a worker thread; 0: never"),
    EnvVar("WASMLATTICE_RPC_EVENTS", "rpc_events", RpcEventMode.parse, RpcEventMode.SUMMARY,
           "invocation events on wasmbus.rpcevt.{lattice}: summary (counts per interval), each (OTP's, one per "
           "invocation) or off"),
    EnvVar("WASMLATTICE_RPC_EVENTS_INTERVAL_S", "rpc_events_interval_s", parse_float, DEFAULT_RPC_EVENTS_INTERVAL_S,
           "seconds between invocation_counts events (summary mode)"),
    EnvVar("WASMLATTICE_ACTOR_ISSUERS", "actor_issuers", parse_csv, (),
           "comma-separated account keys (A…) allowed to sign actors; empty allows any"),
    EnvVar("WASMLATTICE_HEARTBEAT_INTERVAL_S", "heartbeat_interval_s", parse_float, DEFAULT_HEARTBEAT_INTERVAL_S,
           "seconds between host_heartbeat events"),
    EnvVar("WASMLATTICE_JS_REPLICAS", "js_replicas", parse_int, 1,
           "JetStream replicas of the lattice and apps buckets when a host creates them (3 on a 3-node cluster)"),
    EnvVar("WASMLATTICE_APP_RECONCILER", "app_reconciler", parse_bool, True,
           "take part in keeping deployed applications in place (one leader-elected host acts)"),
    EnvVar("WASMLATTICE_APP_RECONCILE_INTERVAL_S", "app_reconcile_interval_s", parse_float,
           DEFAULT_APP_RECONCILE_INTERVAL_S, "seconds between application reconcile passes (events wake it sooner)"),
    EnvVar(oci.ALLOW_LATEST_ENV, "oci_allow_latest", parse_bool, False,
           "allow starting registry refs tagged ':latest' (or untagged); refused otherwise"),
    EnvVar(oci.ALLOWED_INSECURE_ENV, "oci_allowed_insecure", parse_csv, (),
           "comma-separated registries (host:port) spoken to over plain HTTP; all others need HTTPS"),
    EnvVar(oci.REGISTRY_ENV, "oci_registry", parse_optional_str, None,
           "the registry (host:port) the user and password below are for"),
    EnvVar(oci.USER_ENV, "oci_registry_user", parse_optional_str, None, "user name for that registry"),
    EnvVar(oci.PASSWORD_ENV, "oci_registry_password", parse_optional_str, None,
           "password for that registry (never logged, never reported)", secret=True),
    EnvVar(oci.CA_FILE_ENV, "oci_ca_file", parse_optional_path, None,
           "CA bundle trusted for registries' TLS certificates, besides the system's"),
    EnvVar(oci.MAX_BYTES_ENV, "oci_max_bytes", parse_int, DEFAULT_OCI_MAX_BYTES,
           "largest actor module or provider archive a host pulls from a registry, in bytes"),
    EnvVar(oci.TIMEOUT_ENV, "oci_timeout_s", parse_float, DEFAULT_OCI_TIMEOUT_S,
           "seconds a registry may stay silent (connecting, or between two reads) before a pull fails"),
)  # fmt: skip


@dataclass(frozen=True)
class HostConfig:
    """Everything a :class:`host.host.Host` needs to know; validated on construction."""

    lattice: str = subjects.DEFAULT_LATTICE
    host_seed: str | None = field(default=None, repr=False)
    cluster_seed: str | None = field(default=None, repr=False)
    cluster_issuers: tuple[str, ...] = ()
    rpc_host: str = DEFAULT_NATS_HOST
    rpc_port: int = DEFAULT_NATS_PORT
    rpc_seed: str | None = field(default=None, repr=False)
    rpc_jwt: str | None = field(default=None, repr=False)
    rpc_credsfile: Path | None = None
    rpc_tls: bool = False
    ctl_host: str = DEFAULT_NATS_HOST
    ctl_port: int = DEFAULT_NATS_PORT
    ctl_seed: str | None = field(default=None, repr=False)
    ctl_jwt: str | None = field(default=None, repr=False)
    ctl_credsfile: Path | None = None
    ctl_tls: bool = False
    prov_rpc_host: str = DEFAULT_NATS_HOST
    prov_rpc_port: int = DEFAULT_NATS_PORT
    prov_rpc_seed: str | None = field(default=None, repr=False)
    prov_rpc_jwt: str | None = field(default=None, repr=False)
    prov_rpc_credsfile: Path | None = None
    prov_rpc_tls: bool = False
    rpc_timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS
    allow_file_load: bool = False
    js_domain: str | None = None
    policy_topic: str | None = None
    policy_timeout_ms: int = DEFAULT_POLICY_TIMEOUT_MS
    policy_changes_topic: str | None = None
    ctl_topic_prefix: str = subjects.DEFAULT_CTL_PREFIX
    labels: Mapping[str, str] = field(default_factory=dict)
    state_dir: Path = DEFAULT_STATE_DIR
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    actor_memory_bytes: int = DEFAULT_ACTOR_MEMORY_BYTES
    actor_deadline_ms: int = DEFAULT_ACTOR_DEADLINE_MS
    actor_max_instances: int = DEFAULT_ACTOR_MAX_INSTANCES
    actor_max_in_flight: int = DEFAULT_ACTOR_MAX_IN_FLIGHT
    inline_call_us: int = DEFAULT_INLINE_CALL_US
    rpc_events: RpcEventMode = RpcEventMode.SUMMARY
    rpc_events_interval_s: float = DEFAULT_RPC_EVENTS_INTERVAL_S
    actor_issuers: tuple[str, ...] = ()
    heartbeat_interval_s: float = DEFAULT_HEARTBEAT_INTERVAL_S
    js_replicas: int = 1
    app_reconciler: bool = True
    app_reconcile_interval_s: float = DEFAULT_APP_RECONCILE_INTERVAL_S
    oci_allow_latest: bool = False
    oci_allowed_insecure: tuple[str, ...] = ()
    oci_registry: str | None = None
    oci_registry_user: str | None = None
    oci_registry_password: str | None = field(default=None, repr=False)
    oci_ca_file: Path | None = None
    oci_max_bytes: int = DEFAULT_OCI_MAX_BYTES
    oci_timeout_s: float = DEFAULT_OCI_TIMEOUT_S

    def __post_init__(self) -> None:
        object.__setattr__(self, "state_dir", Path(self.state_dir).expanduser())
        object.__setattr__(self, "labels", dict(self.labels))
        try:
            object.__setattr__(self, "rpc_events", RpcEventMode.parse(str(self.rpc_events)))
        except ValueError as exc:
            raise ConfigError(f"rpc_events: {exc}") from None
        try:
            self._check()
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None

    def _check(self) -> None:
        shared.check_token(self.lattice, "lattice")
        shared.check_ctl_prefix(self.ctl_topic_prefix)
        shared.check_seed(self.host_seed, keys.KeyType.SERVER, "host_seed")
        shared.check_seed(self.cluster_seed, keys.KeyType.CLUSTER, "cluster_seed")
        shared.check_public_keys(self.cluster_issuers, keys.KeyType.CLUSTER, "cluster_issuers")
        shared.check_public_keys(self.actor_issuers, keys.KeyType.ACCOUNT, "actor_issuers")
        for name in ("rpc_port", "ctl_port", "prov_rpc_port"):
            shared.check_port(self, name)
        for name in (
            "rpc_timeout_ms",
            "policy_timeout_ms",
            "actor_memory_bytes",
            "actor_deadline_ms",
            "actor_max_instances",
            "actor_max_in_flight",
            "heartbeat_interval_s",
            "rpc_events_interval_s",
            "app_reconcile_interval_s",
            "js_replicas",
            "oci_max_bytes",
            "oci_timeout_s",
        ):
            shared.check_positive(self, name)
        if self.inline_call_us < 0:
            raise ConfigError("inline_call_us must be 0 (never inline) or more")
        for key in self.labels:
            if not key or not isinstance(self.labels[key], str):
                raise ConfigError(f"label {key!r} needs a non-empty name and a string value")

    def oci_settings(self) -> oci.OciSettings:
        """How this host pulls from registries: policy and credentials from the variables, the digest-keyed cache
        under ``{state_dir}/oci``."""
        timeouts = oci.OciTimeouts(connect_s=min(oci.DEFAULT_CONNECT_TIMEOUT_S, self.oci_timeout_s),
                                   read_s=self.oci_timeout_s)  # fmt: skip
        return oci.OciSettings(
            allow_latest=self.oci_allow_latest,
            allowed_insecure=frozenset(self.oci_allowed_insecure),
            credentials=oci.env_credentials(self.oci_registry, self.oci_registry_user, self.oci_registry_password),
            cache_dir=self.state_dir / OCI_CACHE_DIR,
            ca_file=self.oci_ca_file,
            limits=oci.OciLimits(max_blob_bytes=self.oci_max_bytes),
            timeouts=timeouts,
        )

    def rpc_nats(self) -> NatsOptions:
        return self._nats("rpc")

    def ctl_nats(self) -> NatsOptions:
        return self._nats("ctl")

    def prov_nats(self) -> NatsOptions:
        return self._nats("prov_rpc")

    def _nats(self, key: str) -> NatsOptions:
        try:
            return shared.nats_options(self, key)
        except SettingsError as exc:
            raise ConfigError(str(exc)) from exc

    def with_nats_url(self, url: str) -> HostConfig:
        """The same config with the RPC, control and provider NATS all at ``url`` (``--nats-url``)."""
        try:
            host, port = parse_nats_url(url)
        except NatsOptionsError as exc:
            raise ConfigError(str(exc)) from exc
        tls = url.startswith("tls://")
        changes: dict[str, Any] = {}
        for key in ("rpc", "ctl", "prov_rpc"):
            changes |= {f"{key}_host": host, f"{key}_port": port, f"{key}_tls": tls}
        return replace(self, **changes)


def labels_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """``HOST_{NAME}=value`` → ``{name: value}`` (OTP's rule)."""
    return {
        name[len(LABEL_ENV_PREFIX) :].lower(): value
        for name, value in env.items()
        if name.startswith(LABEL_ENV_PREFIX) and len(name) > len(LABEL_ENV_PREFIX)
    }


def builtin_labels() -> dict[str, str]:
    """``hostcore.arch``, ``hostcore.os``, ``hostcore.osfamily`` with Rust's ``std::env::consts`` spelling."""
    arch = {"amd64": "x86_64", "arm64": "aarch64", "x86_64": "x86_64", "aarch64": "aarch64"}
    machine = platform.machine().lower()
    os_name = {"darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    family = "windows" if os.name == "nt" else "unix"
    return {
        f"{BUILTIN_LABEL_PREFIX}arch": arch.get(machine, machine),
        f"{BUILTIN_LABEL_PREFIX}os": os_name,
        f"{BUILTIN_LABEL_PREFIX}osfamily": family,
    }


def from_env(env: Mapping[str, str]) -> HostConfig:
    """Build a config from environment variables (pass ``os.environ``); unset variables keep their defaults."""
    try:
        values = shared.read_env(env, (var for var in ENV_VARS if var.field != "labels"))
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None
    return HostConfig(**values, labels=labels_from_env(env))


def field_defaults() -> dict[str, Any]:
    """Each field's default, for checking :data:`ENV_VARS` against :class:`HostConfig`."""
    out: dict[str, Any] = {}
    for item in fields(HostConfig):
        out[item.name] = item.default_factory() if callable(item.default_factory) else item.default
    return out


def _shown_default(var: EnvVar) -> str:
    if var.default is None or var.default in ((), {}):
        return "(unset)"
    if isinstance(var.default, bool):
        return str(var.default).lower()
    return str(var.default)


def render_markdown() -> str:
    """The table of every variable, as embedded in docs/configuration.md."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for var in ENV_VARS:
        lines.append(f"| `{var.name}` | `{_shown_default(var)}` | {var.doc} |")
    return "\n".join(lines) + "\n"
