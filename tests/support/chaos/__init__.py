"""The chaos run: a real lattice (3 NATS nodes, two hosts, the example app with its providers) under load while
hosts, providers and NATS nodes are SIGKILLed at random; see bench/chaos.py (``make chaos``) and
tests/faults/test_chaos.py (the 60-second variant)."""
