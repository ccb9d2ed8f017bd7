"""``python -m wasmlattice_httpserver``: run the HTTP server provider (HostData on stdin, or ``--manual``)."""

from __future__ import annotations

from lattice.provider import run
from wasmlattice_httpserver.provider import HttpServerProvider

if __name__ == "__main__":
    run(HttpServerProvider)
