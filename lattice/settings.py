"""Where a lattice is and how to reach it, read from the environment every lattice member shares.

Each environment variable is declared once, as an :class:`EnvVar` (name, field, parser, default, doc). This module
declares the ones a client of the lattice needs — lattice prefix, control-interface NATS, TLS files, RPC timeout,
cluster seed, state directory — and :class:`ConnectionSettings` holds them for the CLI. The host's table
(:data:`host.config.ENV_VARS`) reuses these very objects next to its own, and docs/configuration.md is generated
from that table.

Errors::

    LatticeError
    └── SettingsError (also ValueError)   a variable or field has an unusable value
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lattice import keys, subjects
from lattice.errors import LatticeError
from lattice.natsconn import DEFAULT_NATS_PORT, NatsOptions, NatsOptionsError
from lattice.wire.hostdata import DEFAULT_RPC_TIMEOUT_MS

DEFAULT_NATS_HOST = "127.0.0.1"
DEFAULT_STATE_DIR = Path("~/.wasmlattice/host")

_CTL_PREFIX = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class SettingsError(LatticeError, ValueError):
    """A setting is not usable; the message names the variable or field."""


# --- parsers: text → value, raising ValueError with a short reason ---------------------------------------------------


def parse_str(text: str) -> str:
    return text.strip()


def parse_optional_str(text: str) -> str | None:
    return text.strip() or None


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected true/false, yes/no, on/off or 1/0")


def parse_int(text: str) -> int:
    return int(text.strip())


def parse_float(text: str) -> float:
    return float(text.strip())


def parse_csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_path(text: str) -> Path:
    return Path(text.strip()).expanduser()


def parse_optional_path(text: str) -> Path | None:
    return parse_path(text) if text.strip() else None


# --- the variables ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvVar:
    """One environment variable: which field it fills, how it is parsed, its default and what it means."""

    name: str
    field: str
    parse: Callable[[str], Any]
    default: Any
    doc: str
    secret: bool = False


def nats_vars(prefix: str, key: str, what: str) -> tuple[EnvVar, ...]:
    """``WASMCLOUD_{prefix}_HOST/PORT/SEED/JWT/CREDSFILE/TLS`` filling the fields ``{key}_host`` …"""
    return (
        EnvVar(f"WASMCLOUD_{prefix}_HOST", f"{key}_host", parse_str, DEFAULT_NATS_HOST, f"NATS host for {what}"),
        EnvVar(f"WASMCLOUD_{prefix}_PORT", f"{key}_port", parse_int, DEFAULT_NATS_PORT, f"NATS port for {what}"),
        EnvVar(f"WASMCLOUD_{prefix}_SEED", f"{key}_seed", parse_optional_str, None, f"NATS user seed (SU…) for {what}",
               secret=True),
        EnvVar(f"WASMCLOUD_{prefix}_JWT", f"{key}_jwt", parse_optional_str, None, f"NATS user JWT for {what}",
               secret=True),
        EnvVar(f"WASMCLOUD_{prefix}_CREDSFILE", f"{key}_credsfile", parse_optional_path, None,
               f"NATS .creds file for {what}"),
        EnvVar(f"WASMCLOUD_{prefix}_TLS", f"{key}_tls", parse_bool, False, f"require TLS on the NATS link for {what}"),
    )  # fmt: skip


LATTICE_PREFIX = EnvVar("WASMCLOUD_LATTICE_PREFIX", "lattice", parse_str, subjects.DEFAULT_LATTICE,
                        "lattice prefix (name)")  # fmt: skip
CLUSTER_SEED = EnvVar("WASMCLOUD_CLUSTER_SEED", "cluster_seed", parse_optional_str, None,
                      "cluster seed (SC…) that signs invocations; random (with a warning) if unset",
                      secret=True)  # fmt: skip
CTL_NATS = nats_vars("CTL", "ctl", "the control interface")
RPC_TIMEOUT_MS = EnvVar("WASMCLOUD_RPC_TIMEOUT_MS", "rpc_timeout_ms", parse_int, DEFAULT_RPC_TIMEOUT_MS,
                        "timeout of lattice RPC calls in ms (also given to providers)")  # fmt: skip
CTL_TOPIC_PREFIX = EnvVar("WASMCLOUD_CTL_TOPIC_PREFIX", "ctl_topic_prefix", parse_str, subjects.DEFAULT_CTL_PREFIX,
                          "prefix of control-interface subjects")  # fmt: skip
STATE_DIR = EnvVar("WASMLATTICE_STATE_DIR", "state_dir", parse_path, DEFAULT_STATE_DIR,
                   "host state: compiled-module cache, provider binaries")  # fmt: skip
TLS_CA_FILE = EnvVar("WASMLATTICE_TLS_CA_FILE", "tls_ca_file", parse_optional_path, None,
                     "CA bundle that verifies the NATS servers when TLS is on")  # fmt: skip
TLS_CERT_FILE = EnvVar("WASMLATTICE_TLS_CERT_FILE", "tls_cert_file", parse_optional_path, None,
                       "client certificate presented to NATS servers that verify clients (mutual TLS), "
                       "with the key file")  # fmt: skip
TLS_KEY_FILE = EnvVar("WASMLATTICE_TLS_KEY_FILE", "tls_key_file", parse_optional_path, None,
                      "private key of the client certificate")  # fmt: skip

CONNECTION_VARS: tuple[EnvVar, ...] = (
    LATTICE_PREFIX,
    CLUSTER_SEED,
    *CTL_NATS,
    RPC_TIMEOUT_MS,
    CTL_TOPIC_PREFIX,
    STATE_DIR,
    TLS_CA_FILE,
    TLS_CERT_FILE,
    TLS_KEY_FILE,
)
"""What a lattice client reads; ``lattice``'s share of the one environment table."""


def read_env(env: Mapping[str, str], variables: Iterable[EnvVar]) -> dict[str, Any]:
    """``{field: parsed value}`` for the ``variables`` set in ``env``; a value that does not parse is a
    :class:`SettingsError` naming the variable (secrets are not echoed)."""
    values: dict[str, Any] = {}
    for var in variables:
        if var.name not in env:
            continue
        raw = env[var.name]
        try:
            values[var.field] = var.parse(raw)
        except ValueError as exc:
            shown = "(hidden)" if var.secret else repr(raw)
            raise SettingsError(f"{var.name}={shown}: {exc}") from None
    return values


# --- checks shared by every settings object ------------------------------------------------------------------------


def check_token(value: str, what: str) -> None:
    try:
        subjects.check_token(value, what)
    except subjects.SubjectError as exc:
        raise SettingsError(str(exc)) from exc


def check_ctl_prefix(value: str) -> None:
    if not _CTL_PREFIX.match(value):
        raise SettingsError(f"ctl_topic_prefix {value!r} must be dot-separated subject tokens")


def check_seed(seed: str | None, kind: keys.KeyType, what: str) -> None:
    if seed is None:
        return
    try:
        keys.KeyPair.from_seed(seed, expected=kind)
    except keys.NKeyError as exc:
        raise SettingsError(f"{what} is not a valid S{kind.letter}… seed: {exc}") from exc


def check_public_keys(values: tuple[str, ...], kind: keys.KeyType, what: str) -> None:
    for value in values:
        if not keys.is_public_key(value, kind):
            raise SettingsError(f"{what}: {value[:12]!r}… is not a {kind.name.lower()} public key ({kind.letter}…)")


def check_port(settings: object, name: str) -> None:
    if not 1 <= getattr(settings, name) <= 65535:
        raise SettingsError(f"{name} {getattr(settings, name)} is not in 1..65535")


def check_positive(settings: object, name: str) -> None:
    value = getattr(settings, name)
    if isinstance(value, bool) or value <= 0:
        raise SettingsError(f"{name} must be positive, got {value!r}")


class TlsFiles(Protocol):
    """Settings that name the TLS files of their NATS connections."""

    @property
    def tls_ca_file(self) -> Path | None: ...

    @property
    def tls_cert_file(self) -> Path | None: ...

    @property
    def tls_key_file(self) -> Path | None: ...


def nats_options(settings: TlsFiles, key: str) -> NatsOptions:
    """NATS options from the ``{key}_host/port/seed/jwt/credsfile/tls`` fields of ``settings``, with its TLS files."""
    tls: bool = getattr(settings, f"{key}_tls")
    scheme = "tls" if tls else "nats"
    try:
        return NatsOptions(
            url=f"{scheme}://{getattr(settings, f'{key}_host')}:{getattr(settings, f'{key}_port')}",
            seed=getattr(settings, f"{key}_seed"),
            jwt=getattr(settings, f"{key}_jwt"),
            creds_file=getattr(settings, f"{key}_credsfile"),
            tls_required=tls,
            tls_ca=settings.tls_ca_file if tls else None,
            tls_cert=settings.tls_cert_file if tls else None,
            tls_key=settings.tls_key_file if tls else None,
        )
    except NatsOptionsError as exc:
        raise SettingsError(f"{key} NATS settings: {exc}") from exc


@dataclass(frozen=True)
class ConnectionSettings:
    """A lattice client's view of the environment (the fields of :data:`CONNECTION_VARS`); validated."""

    lattice: str = subjects.DEFAULT_LATTICE
    cluster_seed: str | None = field(default=None, repr=False)
    ctl_host: str = DEFAULT_NATS_HOST
    ctl_port: int = DEFAULT_NATS_PORT
    ctl_seed: str | None = field(default=None, repr=False)
    ctl_jwt: str | None = field(default=None, repr=False)
    ctl_credsfile: Path | None = None
    ctl_tls: bool = False
    rpc_timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS
    ctl_topic_prefix: str = subjects.DEFAULT_CTL_PREFIX
    state_dir: Path = DEFAULT_STATE_DIR
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state_dir", Path(self.state_dir).expanduser())
        check_token(self.lattice, "lattice")
        check_ctl_prefix(self.ctl_topic_prefix)
        check_seed(self.cluster_seed, keys.KeyType.CLUSTER, "cluster_seed")
        check_port(self, "ctl_port")
        check_positive(self, "rpc_timeout_ms")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConnectionSettings:
        """The settings ``env`` gives (pass ``os.environ``); unset variables keep their defaults."""
        return cls(**read_env(env, CONNECTION_VARS))

    def ctl_nats(self) -> NatsOptions:
        """How to reach the control interface's NATS."""
        return nats_options(self, "ctl")
