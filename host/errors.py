"""The root of every error the ``host`` package raises; docs/errors.md draws the whole tree."""

from __future__ import annotations


class HostError(Exception):
    """Base class of every error raised by the ``host`` package."""
