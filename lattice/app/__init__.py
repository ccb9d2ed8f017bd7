"""Applications: wadm-style OAM manifests, and the planner that reconciles a lattice to them."""

from lattice.app.errors import AppError, ManifestInvalid, Unsatisfiable
from lattice.app.manifest import Application, Component, load, parse

__all__ = ["AppError", "Application", "Component", "ManifestInvalid", "Unsatisfiable", "load", "parse"]
