"""``python -m host [flags]`` is ``lattice host [flags]``."""

from __future__ import annotations

import sys

from lattice.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["host", *sys.argv[1:]]))
