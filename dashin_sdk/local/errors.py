"""Errors raised by the local stack.

    LocalStackError
     ├── PostgresNotFoundError     PostgreSQL 15 binaries are not installed
     ├── ClusterError              initdb / pg_ctl failed, or the port is taken
     ├── SupabaseDirNotFoundError  no supabase/ project to apply
     └── MigrationError            a migration (or platform.sql, or the seed) failed

They are ordinary exceptions with a one-line ``str()`` so the CLI can print them without a
traceback.
"""

from __future__ import annotations

from pathlib import Path


class LocalStackError(Exception):
    """Base class of every expected failure of the local stack."""


class PostgresNotFoundError(LocalStackError):
    """PostgreSQL 15 server binaries could not be located."""


class ClusterError(LocalStackError):
    """A cluster operation (initdb, pg_ctl, ...) failed."""


class SupabaseDirNotFoundError(LocalStackError):
    """Neither the checkout nor the installed package holds a ``supabase/`` project."""


class MigrationError(LocalStackError):
    """A SQL file failed to apply; everything it did was rolled back.

    Files applied before it stay applied, exactly as with ``supabase db push``.
    """

    def __init__(
        self,
        path: Path,
        pg_error: str,
        *,
        statement_index: int | None = None,
        statement: str | None = None,
    ) -> None:
        self.path = path
        self.pg_error = pg_error
        self.statement_index = statement_index
        self.statement = statement
        where = f" (statement {statement_index + 1})" if statement_index is not None else ""
        super().__init__(f"{path.name}{where} failed: {pg_error}")
