"""The ``lattice`` command line: thin parsers over the library, human tables by default, ``--json`` everywhere."""
