"""``python -m wasmlattice_keyvalue``: run the key-value provider (HostData on stdin, or ``--manual``)."""

from __future__ import annotations

from lattice.provider import run
from wasmlattice_keyvalue.provider import KeyValueProvider

if __name__ == "__main__":
    run(KeyValueProvider)
