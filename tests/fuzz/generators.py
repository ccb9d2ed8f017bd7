"""Hostile values for the live fuzz run, from a seeded :class:`random.Random` (a run is reproducible by its seed).

Three families, mixed by the probes in :mod:`tests.fuzz.probes`:

* random bytes and random JSON / msgpack values of any type (``value``, ``json_value``);
* structurally valid maps with the protocol's field names but values of random types (``wrong_types``);
* mutations of a valid encoded message (``mutate_bytes``, ``mutate_map``): flipped bytes, truncation, appended
  garbage, swapped or dropped fields, fields replaced by random values, and huge lengths (a msgpack bin/str/array
  header announcing 4 GiB, ``content_length`` up to 2⁶⁴-1).
"""

from __future__ import annotations

import random
import string
from typing import Any

import msgpack

MAX_BYTES = 512
HUGE_LENGTHS = (2**32 - 1, 2**53, 2**63 - 1, 2**64 - 1)
# msgpack headers whose 32-bit length follows: bin32, str32, array32, map32
HUGE_HEADERS = (b"\xc6\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff", b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff")
NASTY_TEXT = ("", " ", ".", "*", ">", "a.b", "..", "\x00", "é", "\ud7ff", "💥", "{}", "null", "-1", "%s", "\n\r")
ALPHABET = string.ascii_letters + string.digits + "._-:/ *>"


class Fuzz:
    """Random building blocks; every method draws from the one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, items: Any) -> Any:
        return self.r.choice(list(items))

    def raw(self, max_size: int = MAX_BYTES) -> bytes:
        return self.r.randbytes(self.r.randint(0, max_size))

    def text(self, max_size: int = 24) -> str:
        if self.chance(0.2):
            return str(self.pick(NASTY_TEXT))
        if self.chance(0.1):
            return "".join(chr(self.r.randint(0x20, 0x2FFF)) for _ in range(self.r.randint(1, 8)))
        return "".join(self.r.choice(ALPHABET) for _ in range(self.r.randint(0, max_size)))

    def integer(self) -> int:
        return int(
            self.pick(
                [
                    self.r.randint(-3, 3),
                    self.r.randint(-(2**31), 2**31 - 1),
                    self.pick([2**31, -(2**31) - 1, 2**32, 2**63 - 1, -(2**63), 2**64 - 1]),
                ]
            )
        )

    def scalar(self) -> Any:
        kind = self.r.randrange(7)
        if kind == 0:
            return None
        if kind == 1:
            return self.chance(0.5)
        if kind == 2:
            return self.integer()
        if kind == 3:
            return self.r.uniform(-1e9, 1e9)
        if kind == 4:
            return self.text()
        if kind == 5:
            return self.raw(64)
        return self.pick(NASTY_TEXT)

    def value(self, depth: int = 2) -> Any:
        """Any msgpack value (maps may have non-string keys)."""
        if depth <= 0 or self.chance(0.6):
            return self.scalar()
        if self.chance(0.5):
            return [self.value(depth - 1) for _ in range(self.r.randint(0, 4))]
        return {
            self.pick([self.text(8), self.integer(), None]): self.value(depth - 1) for _ in range(self.r.randint(0, 4))
        }

    def json_value(self, depth: int = 2) -> Any:
        if depth <= 0 or self.chance(0.5):
            return self.pick([None, self.chance(0.5), self.integer(), self.r.uniform(-1e6, 1e6), self.text()])
        if self.chance(0.5):
            return [self.json_value(depth - 1) for _ in range(self.r.randint(0, 4))]
        return {self.text(10): self.json_value(depth - 1) for _ in range(self.r.randint(0, 4))}

    def wrong_types(self, fields: list[str]) -> dict[Any, Any]:
        """A map with (some of) the protocol's field names, each holding a value of a random type."""
        chosen = self.r.sample(fields, self.r.randint(0, len(fields)))
        out: dict[Any, Any] = {name: self.value() for name in chosen}
        if self.chance(0.2):
            out[self.text(6)] = self.value()
        return out

    # --- mutations ------------------------------------------------------------------------------------------------

    def mutate_bytes(self, data: bytes) -> bytes:
        """One byte-level mutation of an encoded message."""
        buf = bytearray(data)
        op = self.r.randrange(6)
        if op == 0 and buf:  # flip 1-4 bytes
            for _ in range(self.r.randint(1, 4)):
                buf[self.r.randrange(len(buf))] ^= 1 << self.r.randrange(8)
        elif op == 1 and buf:  # truncate
            del buf[self.r.randrange(len(buf)) :]
        elif op == 2:  # append garbage
            buf += self.raw(32)
        elif op == 3 and buf:  # overwrite a run with random bytes
            at = self.r.randrange(len(buf))
            buf[at : at + 4] = self.r.randbytes(4)
        elif op == 4:  # a huge length header spliced in
            at = self.r.randrange(len(buf) + 1)
            buf[at:at] = self.pick(HUGE_HEADERS)
        else:  # duplicate a slice
            at = self.r.randrange(len(buf) + 1)
            buf[at:at] = buf[at : at + self.r.randint(1, 16)]
        return bytes(buf)

    def mutate_map(self, wire: dict[str, Any]) -> dict[Any, Any]:
        """One field-level mutation: swap two fields, drop one, replace one, huge length, nest or wrap."""
        out: dict[Any, Any] = dict(wire)
        names = list(out)
        op = self.r.randrange(6)
        if op == 0 and len(names) >= 2:
            a, b = self.r.sample(names, 2)
            out[a], out[b] = out[b], out[a]
        elif op == 1 and names:
            del out[self.pick(names)]
        elif op == 2 and names:
            out[self.pick(names)] = self.value()
        elif op == 3:
            out[self.pick([*names, "content_length"])] = self.pick(HUGE_LENGTHS)
        elif op == 4 and names:
            name = self.pick(names)
            out[name] = self.pick([[out[name]], {"v": out[name]}, str(out[name]), None])
        else:
            for name in self.r.sample(names, min(len(names), 2)):
                out[name] = self.value()
        return out

    def mutate(self, wire: dict[str, Any]) -> bytes:
        """A mutated message: either the map mutated then packed, or the packed bytes mutated."""
        if self.chance(0.5):
            return pack_any(self.mutate_map(wire))
        return self.mutate_bytes(pack_any(wire))


def pack_any(value: Any) -> bytes:
    """msgpack of anything the generators make (non-string keys included)."""
    return msgpack.packb(value, use_bin_type=True, strict_types=False)  # type: ignore[no-any-return]
