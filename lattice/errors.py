"""The root of every error the ``lattice`` package raises.

Each module adds its own branch under :class:`LatticeError`; docs/errors.md draws the whole tree.
"""

from __future__ import annotations

import asyncio


class LatticeError(Exception):
    """Base class of every error raised by the ``lattice`` package."""


class LatticeTimeoutError(LatticeError, asyncio.TimeoutError):
    """Something did not answer in time. Also an :class:`asyncio.TimeoutError`."""
