"""How a field is declared: its type says the kind, these markers say the rest (range, leniency, omission).

Every marker is an ``Annotated`` alias, so a field reads as one declaration and mypy sees the plain type::

    count: Omit[NumericText[UInt | None]] = None     # left out when None; "3" is read as 3
    link_name: Annotated[str, empty_means("default")] = "default"   # "" (or absent) reads as "default"
    actor_ref: Required[NonEmpty]                    # absent or null is an error

Without a marker, a field that is absent or null on the wire takes its default, or the zero value of its kind
(``""``, ``b""``, ``0``, ``False``, empty map or list; as wasmbus-rpc's ``#[serde(default)]``). Unknown fields are
ignored; a text field accepts msgpack bin that is UTF-8; a bytes field accepts bin, str (Elixir's Msgpax) and an
array of byte values (the OTP host's empty-array quirk).
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from msgspec import Meta

T = TypeVar("T")

OMIT = "omit"
REQUIRED = "required"
NUMERIC_TEXT = "numeric_text"
JSON_TEXT = "json_text"
ONE_OR_MANY = "one_or_many"
COMMA_JOINED = "comma_joined"
EMPTY_MEANS = "empty_means"
ALIASES = "aliases"
HINT = "hint"

Omit = Annotated[T, Meta(extra={OMIT: True})]
"""Left out of the encoding when equal to its default (or None, for a field without one)."""
Required = Annotated[T, Meta(extra={REQUIRED: True})]
"""Absent or null on the wire is an error (the field must have no default)."""
NumericText = Annotated[T, Meta(extra={NUMERIC_TEXT: True})]
"""An integer that may also arrive as decimal text (OTP 0.50's ``"replicas": "3"``)."""
JsonText = Annotated[T, Meta(extra={JSON_TEXT: True})]
"""Text that may also arrive as a JSON object or list, kept as its compact JSON text."""
OneOrMany = Annotated[T, Meta(extra={ONE_OR_MANY: True})]
"""A list that may also arrive as one bare string (a header with one value)."""
CommaJoined = Annotated[T, Meta(extra={COMMA_JOINED: True})]
"""A list of strings that travels as one comma-joined string (a list is accepted too; empty items are dropped)."""


def also_read(*names: str) -> Meta:
    """Other wire names read when the field's own is absent (``Annotated[int | None, also_read("replicas")]``)."""
    return Meta(extra={ALIASES: names})


def empty_means(value: object) -> Meta:
    """An empty string on the wire (or an absent field without a default) reads as ``value``."""
    return Meta(extra={EMPTY_MEANS: value})


def hint(text: str) -> Meta:
    """Advice appended to the error message of the field."""
    return Meta(extra={HINT: text})


NonEmpty = Annotated[str, Meta(min_length=1)]
UInt = Annotated[int, Meta(ge=0)]
U16 = Annotated[int, Meta(ge=0, le=2**16 - 1)]
U32 = Annotated[int, Meta(ge=0, le=2**32 - 1)]
I32 = Annotated[int, Meta(ge=-(2**31), le=2**31 - 1)]
U16_MAX, U32_MAX, I32_MIN, I32_MAX = 2**16 - 1, 2**32 - 1, -(2**31), 2**31 - 1
