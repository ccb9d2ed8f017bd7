"""Errors of the key-value provider; both backends raise the same ones with the same messages (Redis's wording).

Tree::

    ProviderError
    └── KeyValueError               a key-value operation failed
        ├── WrongType               the key holds another kind of value (string / list / set)
        ├── NotAnInteger            Increment on a value that is not an integer
        ├── IncrementOverflow       the result does not fit the interface's i32
        ├── StoreUnavailable        the backend (NATS JetStream or Redis) cannot be reached
        └── StoreContention         a JetStream compare-and-set kept losing to concurrent writers
"""

from __future__ import annotations

from lattice.provider import ProviderError

WRONGTYPE_MESSAGE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER_MESSAGE = "ERR value is not an integer or out of range"
OVERFLOW_MESSAGE = "ERR increment or decrement would overflow"


class KeyValueError(ProviderError):
    """A key-value operation failed."""


class WrongType(KeyValueError):
    def __init__(self) -> None:
        super().__init__(WRONGTYPE_MESSAGE)


class NotAnInteger(KeyValueError):
    def __init__(self) -> None:
        super().__init__(NOT_INTEGER_MESSAGE)


class IncrementOverflow(KeyValueError):
    def __init__(self) -> None:
        super().__init__(OVERFLOW_MESSAGE)


class StoreUnavailable(KeyValueError):
    """The backend cannot be reached (the message names it, without credentials)."""


class StoreContention(KeyValueError):
    """Too many concurrent writers on one key for the compare-and-set loop."""
