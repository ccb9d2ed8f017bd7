"""``python -m wasmlattice_messaging``: run the NATS messaging provider (HostData on stdin, or ``--manual``)."""

from __future__ import annotations

from lattice.provider import run
from wasmlattice_messaging.provider import MessagingProvider

if __name__ == "__main__":
    run(MessagingProvider)
