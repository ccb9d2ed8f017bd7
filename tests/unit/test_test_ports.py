"""tests/support/ports.py: ports for test processes, outside the kernel's ephemeral range and free when picked."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support import ports


def test_the_ephemeral_range_is_read_from_the_kernel(tmp_path: Path) -> None:
    found = tmp_path / "ip_local_port_range"
    found.write_text("40000\t50000\n", encoding="ascii")
    assert ports.ephemeral_range(found) == (40000, 50000)
    assert ports.ephemeral_range(tmp_path / "missing") == ports.DEFAULT_EPHEMERAL
    found.write_text("nonsense\n", encoding="ascii")
    assert ports.ephemeral_range(found) == ports.DEFAULT_EPHEMERAL


def test_ports_are_picked_below_the_range_or_above_it_when_it_starts_low() -> None:
    assert ports.candidate_range((32768, 60999)) == range(20000, 32768)
    assert ports.candidate_range((1024, 49999)) == range(50000, 65536)
    with pytest.raises(ports.NoFreePort, match="1024-65000"):
        ports.candidate_range((1024, 65000))


def test_picked_ports_are_distinct_free_and_outside_the_ephemeral_range() -> None:
    low, high = ports.ephemeral_range()
    picked = ports.free_ports(20)
    assert len(set(picked)) == 20
    assert all(not low <= p <= high for p in picked)
    for port in picked:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # raises if the port were taken


def test_a_held_port_does_not_bind() -> None:
    port = ports.free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        assert not ports.binds(port)
    assert ports.binds(port)
