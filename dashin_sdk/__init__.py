"""Dashin SDK: a typed client for the Dashin lead-generation backend.

Only the version and the local stack exist so far; the resources and backends described in the
design document are added on top of this package.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
