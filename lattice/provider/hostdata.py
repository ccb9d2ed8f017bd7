"""Where a provider's HostData comes from (docs/protocol.md §7.4), and the NATS options it implies.

A host writes one base64 JSON line to the provider's stdin. Run by hand, a provider takes the same line from
``--host-data`` or ``$WASMCLOUD_HOST_DATA`` (the name pre-2021 providers read), or builds it from flags
(``--manual``, see :mod:`lattice.provider.cli`).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import BinaryIO

from lattice.natsconn import NatsOptions, NatsOptionsError
from lattice.provider.errors import ProviderConfigError
from lattice.wire import HostData, MessageMalformed

DEFAULT_STDIN_TIMEOUT_S = 30.0
MAX_HOST_DATA_LINE = 16 * 1024 * 1024
NATS_SCHEMES = ("nats://", "tls://", "ws://", "wss://")


def decode(line: bytes | str, source: str) -> HostData:
    """Decode one base64 JSON line; :class:`ProviderConfigError` names the ``source`` on failure."""
    if not line.strip():
        raise ProviderConfigError(f"no host data from {source}: expected one base64 JSON line")
    try:
        return HostData.decode_line(line)
    except MessageMalformed as exc:
        raise ProviderConfigError(f"host data from {source} is unusable: {exc}") from exc


def read_line(stream: BinaryIO, timeout_s: float = DEFAULT_STDIN_TIMEOUT_S) -> bytes:
    """One line from ``stream`` (read in a thread, so a silent parent cannot hang us past ``timeout_s``)."""
    result: list[bytes] = []

    def reader() -> None:
        result.append(stream.readline(MAX_HOST_DATA_LINE))

    thread = threading.Thread(target=reader, name="hostdata-stdin", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not result:
        raise ProviderConfigError(
            f"no host data on stdin after {timeout_s:g}s: a host writes one base64 JSON line there; "
            "to run a provider by hand, pass --manual (see --help)"
        )
    return result[0]


def from_stdin(timeout_s: float = DEFAULT_STDIN_TIMEOUT_S) -> HostData:
    if sys.stdin.isatty():
        raise ProviderConfigError("stdin is a terminal: a host pipes HostData there; to run by hand use --manual")
    return decode(read_line(sys.stdin.buffer, timeout_s), "stdin")


def nats_url(host_data: HostData) -> str:
    """``lattice_rpc_url`` as a URL: OTP sends ``host:port``; TLS is ``lattice_rpc_tls``."""
    url = host_data.lattice_rpc_url.split(",")[0].strip()
    if url.startswith(NATS_SCHEMES):
        return url
    return f"{'tls' if host_data.lattice_rpc_tls else 'nats'}://{url}"


def nats_options(host_data: HostData, name: str) -> NatsOptions:
    """How the provider connects to the lattice: URL, credentials and TLS from HostData."""
    try:
        return NatsOptions(
            url=nats_url(host_data),
            seed=host_data.lattice_rpc_user_seed or None,
            jwt=host_data.lattice_rpc_user_jwt or None,
            creds_file=Path(host_data.lattice_rpc_creds_file) if host_data.lattice_rpc_creds_file else None,
            tls_ca=Path(host_data.lattice_rpc_tls_ca) if host_data.lattice_rpc_tls_ca else None,
            tls_cert=Path(host_data.lattice_rpc_tls_cert) if host_data.lattice_rpc_tls_cert else None,
            tls_key=Path(host_data.lattice_rpc_tls_key) if host_data.lattice_rpc_tls_key else None,
            tls_required=host_data.lattice_rpc_tls,
            name=name,
        )
    except NatsOptionsError as exc:
        raise ProviderConfigError(f"host data gives unusable NATS settings: {exc}") from exc
