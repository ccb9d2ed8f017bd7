"""Errors of the dashboard.

Tree::

    LatticeError
    └── DashboardError                     the dashboard cannot start or do what was asked
        ├── TokenRequiredError             a bind address other than loopback was given without a token
        └── ActionInvalid (ValueError)     an action's values are missing or of the wrong kind (nothing was sent)

Errors of the control interface and of apps raised by an action are shown in the page as they are.
"""

from __future__ import annotations

from lattice.errors import LatticeError


class DashboardError(LatticeError):
    """The dashboard cannot start or do what was asked."""


class TokenRequiredError(DashboardError):
    """The dashboard would listen beyond this machine without a token."""


class ActionInvalid(DashboardError, ValueError):
    """An action's values are missing or of the wrong kind; the message names the field. Nothing was sent."""
