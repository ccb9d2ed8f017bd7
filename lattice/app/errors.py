"""Errors of application manifests and their deployment.

Tree::

    LatticeError
    └── AppError                    an application cannot be deployed as written
        ├── ManifestInvalid         unknown fields, wrong types, missing refs, bad links (before any change)
        ├── Unsatisfiable           no host matches a spread's label requirements (before any change)
        ├── StaleModule             a module changed but keeps its revision: no host would run the new code
        └── AppNotDeployed          no application of that name is deployed (undeploy, status)
"""

from __future__ import annotations

from lattice.errors import LatticeError


class AppError(LatticeError):
    """An application cannot be deployed as written."""


class ManifestInvalid(AppError):
    """The manifest is not a valid application; the message names the field."""


class Unsatisfiable(AppError):
    """The lattice has no host that fits a component's spread requirements."""


class StaleModule(AppError):
    """A module changed (another hash) but keeps its revision; bump it, or deploy with ``--force-update``."""


class AppNotDeployed(AppError):
    """No application of that name is deployed on the lattice."""
