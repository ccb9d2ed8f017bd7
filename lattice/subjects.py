"""Every NATS subject, KV bucket and key of the protocol, in one place.

See docs/protocol.md §4.1, §4.6, §5.1, §6, §7.2, §8.

Nobody formats a subject anywhere else: builders below, and the parsers the host routes with.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass

from lattice.errors import LatticeError

DEFAULT_LATTICE = "default"
DEFAULT_CTL_PREFIX = "wasmbus.ctl"
RPC_PREFIX = "wasmbus.rpc"
EVT_PREFIX = "wasmbus.evt"
RPCEVT_PREFIX = "wasmbus.rpcevt"
CFG_PREFIX = "wasmbus.cfg"
PROVIDER_QUEUE = "rpc"
EVENT_TYPE_PREFIX = "com.wasmcloud.lattice."

_TOKEN = re.compile(r"^[A-Za-z0-9_\-]+$")


class SubjectError(LatticeError):
    """A subject, lattice prefix or KV key is malformed."""


def check_token(value: str, what: str) -> str:
    """A single subject token: no dots, wildcards or spaces."""
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise SubjectError(f"{what} {value!r} must be letters, digits, '_' or '-' (no dots, spaces or wildcards)")
    return value


# --- RPC (docs/protocol.md §4.1, §8) ----------------------------------------------------------------------------------


class ProviderChannel(enum.StrEnum):
    """The side channels a provider listens on beside its invocation subject."""

    LINKDEFS_PUT = "linkdefs.put"
    LINKDEFS_DEL = "linkdefs.del"
    HEALTH = "health"
    SHUTDOWN = "shutdown"


def actor_rpc(lattice: str, actor_id: str) -> str:
    """``wasmbus.rpc.{lattice}.{actor}``; the queue group is the subject itself."""
    return f"{RPC_PREFIX}.{lattice}.{actor_id}"


def provider_rpc(lattice: str, provider_id: str, link_name: str) -> str:
    """``wasmbus.rpc.{lattice}.{provider}.{link}``; queue group :data:`PROVIDER_QUEUE`."""
    return f"{RPC_PREFIX}.{lattice}.{provider_id}.{link_name}"


def provider_channel(lattice: str, provider_id: str, link_name: str, channel: ProviderChannel) -> str:
    return f"{provider_rpc(lattice, provider_id, link_name)}.{channel.value}"


PROVIDERS_TOKEN = "providers"


def providers_ping(lattice: str) -> str:
    """``wasmbus.rpc.{lattice}.providers.ping``: every SDK provider answers with what it serves (our extension).

    ``providers`` can never be an actor or provider key, so this cannot collide with an invocation subject.
    """
    return f"{RPC_PREFIX}.{lattice}.{PROVIDERS_TOKEN}.ping"


def rpc_target(lattice: str, public_key: str, link_name: str) -> str:
    """wasmbus-rpc's ``rpc_topic``: a non-empty link name means a provider, otherwise an actor."""
    return provider_rpc(lattice, public_key, link_name) if link_name else actor_rpc(lattice, public_key)


@dataclass(frozen=True)
class RpcSubject:
    lattice: str
    target: str
    link_name: str = ""
    channel: ProviderChannel | None = None


def parse_rpc(subject: str) -> RpcSubject:
    parts = subject.split(".")
    if len(parts) < 4 or ".".join(parts[:2]) != RPC_PREFIX:
        raise SubjectError(f"not an rpc subject: {subject!r}")
    lattice, target, rest = parts[2], parts[3], parts[4:]
    if not rest:
        return RpcSubject(lattice, target)
    link, tail = rest[0], ".".join(rest[1:])
    if not tail:
        return RpcSubject(lattice, target, link)
    try:
        return RpcSubject(lattice, target, link, ProviderChannel(tail))
    except ValueError as exc:
        raise SubjectError(f"unknown provider channel {tail!r} in {subject!r}") from exc


# --- Control interface (docs/protocol.md §5.1) ------------------------------------------------------------------------


class CtlOp(enum.StrEnum):
    """Every control-interface operation; the value is the subject suffix with ``{host}`` for the host id."""

    PING_HOSTS = "ping.hosts"
    GET_INVENTORY = "get.{host}.inv"
    GET_CLAIMS = "get.claims"
    GET_LINKS = "get.links"
    LINKDEFS_PUT = "linkdefs.put"
    LINKDEFS_DEL = "linkdefs.del"
    AUCTION_ACTOR = "auction.actor"
    AUCTION_PROVIDER = "auction.provider"
    LAUNCH_ACTOR = "cmd.{host}.la"
    STOP_ACTOR = "cmd.{host}.sa"
    SCALE_ACTOR = "cmd.{host}.scale"
    UPDATE_ACTOR = "cmd.{host}.upd"
    LAUNCH_PROVIDER = "cmd.{host}.lp"
    STOP_PROVIDER = "cmd.{host}.sp"
    STOP_HOST = "cmd.{host}.stop"
    REGISTRIES_PUT = "registries.put"
    LABEL_PUT = "labels.{host}.put"
    LABEL_DEL = "labels.{host}.del"

    @property
    def host_targeted(self) -> bool:
        return "{host}" in self.value


def ctl_prefix(lattice: str, prefix: str = DEFAULT_CTL_PREFIX) -> str:
    """``wasmbus.ctl.{lattice}``."""
    return f"{prefix}.{lattice}"


def ctl(lattice: str, op: CtlOp, host_id: str = "", prefix: str = DEFAULT_CTL_PREFIX) -> str:
    """The subject of one control operation; host-targeted operations need ``host_id``."""
    if op.host_targeted and not host_id:
        raise SubjectError(f"control operation {op.name} needs a host id")
    return f"{ctl_prefix(lattice, prefix)}.{op.value.replace('{host}', host_id)}"


def ctl_queue(lattice: str, prefix: str = DEFAULT_CTL_PREFIX) -> str:
    """The queue group lattice-wide queries share (``get.claims``, ``get.links``, ``linkdefs.*``)."""
    return ctl_prefix(lattice, prefix)


def ctl_host_wildcards(lattice: str, host_id: str, prefix: str = DEFAULT_CTL_PREFIX) -> list[str]:
    """What one host subscribes to for its own commands: ``cmd.{host}.*``, ``get.{host}.inv``, ``labels.{host}.*``."""
    base = ctl_prefix(lattice, prefix)
    return [f"{base}.cmd.{host_id}.*", f"{base}.get.{host_id}.inv", f"{base}.labels.{host_id}.*"]


def ctl_lattice_wildcards(lattice: str, prefix: str = DEFAULT_CTL_PREFIX) -> tuple[list[str], list[str]]:
    """What every host subscribes to: (without queue group, with the lattice queue group)."""
    base = ctl_prefix(lattice, prefix)
    broadcast = [f"{base}.ping.hosts", f"{base}.auction.>", f"{base}.registries.put"]
    queued = [f"{base}.get.claims", f"{base}.get.links", f"{base}.linkdefs.*"]
    return broadcast, queued


@dataclass(frozen=True)
class CtlSubject:
    op: CtlOp
    host_id: str = ""


_CTL_PATTERNS = [
    (re.compile("^" + re.escape(op.value).replace(re.escape("{host}"), r"(?P<host>[^.]+)") + "$"), op) for op in CtlOp
]


def parse_ctl(subject: str, lattice: str, prefix: str = DEFAULT_CTL_PREFIX) -> CtlSubject:
    base = ctl_prefix(lattice, prefix) + "."
    if not subject.startswith(base):
        raise SubjectError(f"{subject!r} is not a control subject of lattice {lattice!r}")
    rest = subject[len(base) :]
    for pattern, op in _CTL_PATTERNS:
        found = pattern.match(rest)
        if found:
            return CtlSubject(op, found.groupdict().get("host") or "")
    raise SubjectError(f"unknown control operation {rest!r}")


# --- Events (docs/protocol.md §6) -------------------------------------------------------------------------------------


def events(lattice: str) -> str:
    return f"{EVT_PREFIX}.{lattice}"


def event(lattice: str, name: str) -> str:
    """``wasmbus.evt.{lattice}.{event_name}`` (the Rust host's second copy of each event)."""
    return f"{EVT_PREFIX}.{lattice}.{name}"


def events_wildcard(lattice: str) -> str:
    """Every lifecycle event of a lattice, both copies: use with :func:`events` or filter the named copies."""
    return f"{EVT_PREFIX}.{lattice}.>"


def rpc_events(lattice: str) -> str:
    return f"{RPCEVT_PREFIX}.{lattice}"


def event_type(name: str) -> str:
    return f"{EVENT_TYPE_PREFIX}{name}"


def config_service(lattice: str) -> str:
    return f"{CFG_PREFIX}.{lattice}.req"


# --- Lattice state in JetStream (docs/protocol.md §4.6, §7.2) ---------------------------------------------------------


class KvKind(enum.StrEnum):
    LINKDEF = "LINKDEF_"
    CLAIMS = "CLAIMS_"
    REFMAP = "REFMAP_"


def lattice_bucket(lattice: str) -> str:
    """``LATTICEDATA_{lattice}``."""
    return f"LATTICEDATA_{lattice}"


KV_SUBJECT_PREFIX = "$KV."
KV_STREAM_PREFIX = "KV_"


def kv_subject(bucket: str, key: str) -> str:
    """``$KV.{bucket}.{key}``: where JetStream keeps ``key`` of a key-value bucket (``key`` may hold dots)."""
    return f"{KV_SUBJECT_PREFIX}{bucket}.{key}"


def kv_write_subject(bucket: str, key: str, js_domain: str | None = None) -> str:
    """Where a write of ``key`` is published: ``$KV.{bucket}.{key}``, or, for a bucket reached through a JetStream
    domain, ``$JS.{domain}.API.$KV.{bucket}.{key}`` (as nats.go does): the domain's server maps it onto the bucket,
    which a plain ``$KV.…`` publish from a leaf node with its own JetStream never reaches."""
    subject = kv_subject(bucket, key)
    return f"$JS.{js_domain}.API.{subject}" if js_domain else subject


def parse_kv_subject(subject: str) -> tuple[str, str]:
    """``$KV.{bucket}.{key}`` → ``(bucket, key)``; bucket names hold no dots, keys may."""
    bucket, dot, key = subject.removeprefix(KV_SUBJECT_PREFIX).partition(".")
    if not subject.startswith(KV_SUBJECT_PREFIX) or not dot or not _TOKEN.match(bucket) or not key:
        raise SubjectError(f"{subject!r} is not a key-value subject ($KV.{{bucket}}.{{key}})")
    return bucket, key


def kv_stream(bucket: str) -> str:
    """``KV_{bucket}``: the stream behind a key-value bucket."""
    return f"{KV_STREAM_PREFIX}{bucket}"


def linkdef_key(link_id: str) -> str:
    return f"{KvKind.LINKDEF.value}{link_id}"


def claims_key(public_key: str) -> str:
    return f"{KvKind.CLAIMS.value}{public_key}"


def refmap_key(image_ref: str) -> str:
    encoded = base64.urlsafe_b64encode(image_ref.encode()).decode().rstrip("=")
    return f"{KvKind.REFMAP.value}{encoded}"


def parse_kv_key(key: str) -> tuple[KvKind, str]:
    """Split ``LINKDEF_{id}`` / ``CLAIMS_{pk}`` / ``REFMAP_{b64}`` into its kind and its rest (refs decoded)."""
    for kind in KvKind:
        if key.startswith(kind.value):
            rest = key[len(kind.value) :]
            if kind is KvKind.REFMAP:
                try:
                    rest = base64.urlsafe_b64decode(rest + "=" * (-len(rest) % 4)).decode()
                except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
                    raise SubjectError(f"refmap key {key!r} is not base64url") from exc
            return kind, rest
    raise SubjectError(f"unknown lattice data key {key!r}")


def object_store_bucket(lattice: str) -> str:
    """The object store used for chunked payloads is named after the lattice itself."""
    return lattice


def chunk_request_object(invocation_id: str) -> str:
    return invocation_id


def chunk_response_object(invocation_id: str) -> str:
    return f"{invocation_id}-r"


def apps_bucket(lattice: str) -> str:
    """``LATTICEAPPS_{lattice}``: deployed application manifests and the reconciler's leader lease."""
    return f"LATTICEAPPS_{lattice}"


def app_key(name: str) -> str:
    return f"APP_{check_token(name, 'application name')}"


APP_KEY_PREFIX = "APP_"
RECONCILER_LEASE_KEY = "RECONCILER_LEASE"
APP_STATUS_KEY_PREFIX = "APPSTATUS_"


def app_status_key(name: str) -> str:
    """What the reconciler last saw go wrong for an application (failed starts and updates)."""
    return f"{APP_STATUS_KEY_PREFIX}{check_token(name, 'application name')}"


def registry_bucket(lattice: str) -> str:
    """``LATTICEREGISTRY_{lattice}``: the lattice's own artifact registry (a JetStream object store)."""
    return f"LATTICEREGISTRY_{lattice}"


def registry_blob_object(digest: str) -> str:
    """Artifact bytes, content-addressed: ``blobs/sha256/{hex}``."""
    return f"blobs/{digest.replace(':', '/', 1)}"


def registry_tag_object(repository: str, tag: str) -> str:
    """A tag record (JSON naming the digest): ``tags/{repository}:{tag}``."""
    return f"tags/{repository}:{tag}"
