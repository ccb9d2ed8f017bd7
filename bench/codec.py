"""The codec against the hand-written style it replaced, in one run: per-message cost and the ratio.

- decode an Invocation: ``msgpack.unpackb`` to a plain dict (only the first step of the old decoder, which then
  read each field by hand) vs ``Invocation.decode`` (msgspec typed decode to the struct);
- the same, from an odd peer (``msg`` as str, as Elixir's Msgpax sends it): the lenient fallback's cost;
- encode an InvocationResponse: a dict built by hand + ``msgpack.packb`` (what the old ``encode`` did) vs
  ``InvocationResponse.encode``;
- decode a control command (JSON): ``json.loads`` to a dict vs ``LaunchActorCommand.decode``.

Run: ``.venv/bin/python bench/codec.py [--number N]``
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable

import msgpack

from lattice.control.types import LaunchActorCommand
from lattice.wire import Invocation, InvocationResponse, WasmCloudEntity

ACTOR = WasmCloudEntity.actor("MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5")
PROVIDER = WasmCloudEntity.provider(
    "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2", "wasmcloud:keyvalue", "default"
)
INVOCATION = Invocation(ACTOR, PROVIDER, "KeyValue.Get", b"\xa7counter", "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                        "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0." + "x" * 380 + ".sig", "N" + "H" * 55,
                        content_length=8)  # fmt: skip
RESPONSE = InvocationResponse("0f1e2d3c4b5a69788796a5b4c3d2e1f0", b"\x82\xa5value\xa242\xa6exists\xc3", None, 14)
COMMAND = json.dumps({"actor_ref": "ghcr.io/wasmcloud/echo:0.3.8", "count": 3, "annotations": {"app": "demo"},
                      "host_id": "N" + "H" * 55}).encode()  # fmt: skip


def per_call_us(fn: Callable[[], object], number: int) -> float:
    """The best of five runs of ``number`` calls, in microseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def old_response_encode() -> bytes:
    r = RESPONSE
    out: dict[str, object] = {"msg": bytes(r.msg), "invocation_id": r.invocation_id}
    if r.error is not None:
        out["error"] = r.error
    if r.content_length is not None:
        out["content_length"] = r.content_length
    return msgpack.packb(out, use_bin_type=True)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=50_000)
    n = parser.parse_args().number
    data = INVOCATION.encode()
    msgpax = msgpack.packb({**msgpack.unpackb(data), "msg": "\xa7counter"}, use_bin_type=True)
    assert Invocation.decode(data) == INVOCATION
    assert RESPONSE.encode() == old_response_encode()
    rows = [
        ("decode Invocation", lambda: msgpack.unpackb(data, raw=False, strict_map_key=False),
         lambda: Invocation.decode(data)),
        ("decode Invocation (msg as str: lenient path)", lambda: msgpack.unpackb(msgpax, raw=False),
         lambda: Invocation.decode(msgpax)),
        ("encode InvocationResponse", old_response_encode, RESPONSE.encode),
        ("decode LaunchActorCommand (JSON)", lambda: json.loads(COMMAND), lambda: LaunchActorCommand.decode(COMMAND)),
    ]  # fmt: skip
    print(f"{'operation':48} {'before µs':>10} {'codec µs':>10} {'speed-up':>9}")
    for name, before, after in rows:
        b, a = per_call_us(before, n), per_call_us(after, n)
        print(f"{name:48} {b:10.2f} {a:10.2f} {b / a:8.2f}x")


if __name__ == "__main__":
    main()
