"""Helpers shared by more than one test suite (unit, integration, faults, fuzz, security).

A suite imports another suite's code only from here; ``tests/unit/test_test_hygiene.py`` checks it.
"""
