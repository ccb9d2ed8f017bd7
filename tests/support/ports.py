"""Ports for the processes a test starts (and ports nothing listens on): random, below the kernel's ephemeral range,
and free when picked.

Binding port 0 and releasing it hands out a port from the ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``,
32768–60999 by default), the range every outgoing connection on the machine takes its local port from: between the
release and the moment the test's process binds the number, any connection may take it (a flake seen in
test_packaging_doc). The kernel never hands out a port below that range on its own, so a port picked there at
random is taken meanwhile only by a process that asks for that very number — and, drawn from thousands, another
test's pick almost never is.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
DEFAULT_EPHEMERAL = (32768, 60999)  # Linux's default
LOWEST = 20000  # below are well-known and registered services people run
MIN_CHOICES = 1000
ATTEMPTS = 100
HOST = "127.0.0.1"

_random = random.SystemRandom()  # not the global generator, which tests (hypothesis) may seed


class NoFreePort(RuntimeError):
    """No free port was found outside the ephemeral range."""


def ephemeral_range(path: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The kernel's ephemeral port range, inclusive (the Linux default where it cannot be read)."""
    try:
        low, high = (int(part) for part in path.read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL
    return low, high


def candidate_range(ephemeral: tuple[int, int] | None = None) -> range:
    """Where ports are picked: from :data:`LOWEST` up to the ephemeral range, or above it when the range starts too
    low to leave :data:`MIN_CHOICES` ports below it."""
    low, high = ephemeral or ephemeral_range()
    if low - LOWEST >= MIN_CHOICES:
        return range(LOWEST, low)
    if 65536 - (high + 1) >= MIN_CHOICES:
        return range(high + 1, 65536)
    raise NoFreePort(f"the ephemeral port range {low}-{high} leaves no room for test ports")


def binds(port: int, host: str = HOST) -> bool:
    """Whether a TCP socket can bind ``host:port`` now (nothing else has it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, host: str = HOST) -> list[int]:
    """``count`` distinct ports outside the ephemeral range that bind on ``host`` now."""
    pool = candidate_range()
    found: list[int] = []
    for _ in range(ATTEMPTS * count):
        port = _random.randrange(pool.start, pool.stop)
        if port not in found and binds(port, host):
            found.append(port)
            if len(found) == count:
                return found
    raise NoFreePort(f"found {len(found)} of {count} free ports in {pool.start}-{pool.stop - 1}")


def free_port(host: str = HOST) -> int:
    """One port outside the ephemeral range that binds on ``host`` now (nothing listens on it)."""
    return free_ports(1, host)[0]
