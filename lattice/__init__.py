"""What every lattice member shares: keys, claims, subjects, wire types, clients, the provider SDK, the CLI."""

__version__ = "0.1.0"
