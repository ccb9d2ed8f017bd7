"""wasmlattice ``wasmcloud:httpserver`` provider (aiohttp): ``python -m wasmlattice_httpserver``."""
