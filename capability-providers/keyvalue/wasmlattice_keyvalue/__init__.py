"""wasmlattice ``wasmcloud:keyvalue`` provider (NATS JetStream KV or Redis): ``python -m wasmlattice_keyvalue``."""
