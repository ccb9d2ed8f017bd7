"""The ``lattice`` commands that run a host: ``lattice host``, ``lattice up`` and ``lattice down``.

They live with the host so that ``lattice/`` never imports ``host/``: the CLI finds them through the entry-point group
``wasmlattice.cli`` (pyproject.toml), each entry naming a ``register(subparsers)`` function.
"""
