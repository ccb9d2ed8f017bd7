"""wasmlattice ``wasmcloud:messaging`` provider (NATS): ``python -m wasmlattice_messaging``."""
