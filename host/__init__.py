"""The wasmlattice host: the wasm runtime and its lattice side."""
