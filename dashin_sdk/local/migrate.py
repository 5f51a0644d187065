"""Apply platform.sql, pending migrations and the seed, the way ``supabase db push`` does.

Each migration runs in its own transaction, statement by statement as the Supabase CLI splits
it (:mod:`dashin_sdk.local.sqlsplit`), after ``RESET ALL``, and is recorded in
``supabase_migrations.schema_migrations(version, statements, name)`` in the same transaction.
Hence ``supabase migration list`` agrees with us and ``supabase db push`` finds nothing to push.
A failing migration raises :class:`MigrationError`; the ones before it stay applied.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import LiteralString

import psycopg

from dashin_sdk.local.errors import MigrationError
from dashin_sdk.local.paths import SupabaseProject
from dashin_sdk.local.queries import query, trusted
from dashin_sdk.local.sqlsplit import split_statements

# The CLI's own pattern is looser; Supabase documents <timestamp>_<name>.sql and so do we.
MIGRATION_FILE = re.compile(r"^(\d{14})_(.+)\.sql$")
# The path the Supabase CLI records for supabase/seed.sql in supabase_migrations.seed_files,
# so that `supabase db push --include-seed` does not seed a second time.
SEED_RECORD_PATH = "supabase/seed.sql"


@dataclass(frozen=True)
class MigrationFile:
    version: str
    name: str
    path: Path

    @property
    def filename(self) -> str:
        return self.path.name

    def statements(self) -> list[str]:
        return split_statements(_read(self.path))


class SeedOutcome(enum.Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already applied"
    CHANGED_NOT_REAPPLIED = "changed since it was applied; not re-run (reset to re-seed)"
    NO_SEED_FILE = "no seed file"
    NOT_REQUESTED = "not requested"


@dataclass
class MigrationReport:
    platform_applied: bool = False
    applied: list[MigrationFile] = field(default_factory=list)
    skipped_files: list[Path] = field(default_factory=list)
    seed: SeedOutcome = SeedOutcome.NOT_REQUESTED


def discover_migrations(migrations_dir: Path) -> tuple[list[MigrationFile], list[Path]]:
    """Migration files in version order, and the .sql files whose names do not qualify."""
    found: list[MigrationFile] = []
    ignored: list[Path] = []
    if not migrations_dir.is_dir():
        return found, ignored
    for path in sorted(migrations_dir.glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if match is None:
            ignored.append(path)
        else:
            found.append(MigrationFile(version=match.group(1), name=match.group(2), path=path))
    return found, ignored


def migrate(db_url: str, project: SupabaseProject, *, seed: bool = False) -> MigrationReport:
    """Bring the database at ``db_url`` up to date with ``project``."""
    report = MigrationReport()
    with _connect(db_url) as conn:
        report.platform_applied = _apply_platform(conn, project.platform_sql)
        local, report.skipped_files = discover_migrations(project.migrations_dir)
        done = set(applied_versions(conn))
        pending = [m for m in local if m.version not in done]
        if pending:
            with conn.transaction():
                conn.execute(query("create_history_table"))
        for migration in pending:
            _apply_migration(conn, migration)
            report.applied.append(migration)
        if seed:
            report.seed = _apply_seed(conn, project.seed_sql)
    return report


def applied_versions(conn: psycopg.Connection[tuple[object, ...]]) -> list[str]:
    """Versions recorded in the migration history (empty when it does not exist yet)."""
    present = conn.execute(query("history_table_exists")).fetchone()
    if not present or not present[0]:
        return []
    return [str(row[0]) for row in conn.execute(query("applied_versions"))]


def platform_missing(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute(query("platform_missing")).fetchone()
    return bool(row and row[0])


@contextmanager
def _connect(db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    try:
        conn = psycopg.connect(db_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise MigrationError(Path("(connection)"), _one_line(str(exc))) from exc
    with conn:
        yield conn


def _apply_platform(conn: psycopg.Connection[tuple[object, ...]], path: Path) -> bool:
    if not platform_missing(conn):
        return False
    if not path.is_file():
        raise MigrationError(path, "the platform is missing and platform.sql does not exist")
    try:
        with conn.transaction():
            # Not a migration: run it whole, as psql -f would, in one transaction.
            conn.execute(trusted(_read(path)))
    except psycopg.Error as exc:
        raise MigrationError(path, _describe(exc)) from exc
    return True


def _apply_migration(
    conn: psycopg.Connection[tuple[object, ...]], migration: MigrationFile
) -> None:
    statements = migration.statements()
    # The CLI resets session state first: a previous file's set_config() must not leak.
    conn.execute(query("reset_session"))
    history_row: dict[str, object] = {
        "version": migration.version,
        "name": migration.name,
        "statements": statements,
    }
    _run_statements(conn, migration.path, statements, then=(query("insert_version"), history_row))


def _run_statements(
    conn: psycopg.Connection[tuple[object, ...]],
    path: Path,
    statements: list[str],
    *,
    then: tuple[LiteralString, dict[str, object]],
) -> None:
    """Run ``statements`` and then the bookkeeping query ``then``, all in one transaction."""
    index = 0
    try:
        with conn.transaction():
            for index, statement in enumerate(statements):  # noqa: B007 - used in except
                conn.execute(trusted(statement))
            index = len(statements)
            conn.execute(*then)
    except psycopg.Error as exc:
        failed = statements[index] if index < len(statements) else None
        raise MigrationError(path, _describe(exc), statement_index=index, statement=failed) from exc


def _apply_seed(conn: psycopg.Connection[tuple[object, ...]], path: Path) -> SeedOutcome:
    if not path.is_file():
        return SeedOutcome.NO_SEED_FILE
    text = _read(path)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with conn.transaction():
        conn.execute(query("create_seed_table"))
    row = conn.execute(query("seed_hash"), {"path": SEED_RECORD_PATH}).fetchone()
    if row is not None:
        # Like the CLI: a seed is data, re-running a changed one would duplicate rows.
        same = row[0] == digest
        return SeedOutcome.ALREADY_APPLIED if same else SeedOutcome.CHANGED_NOT_REAPPLIED
    conn.execute(query("reset_session"))
    statements = split_statements(text)
    seed_row: dict[str, object] = {"path": SEED_RECORD_PATH, "hash": digest}
    _run_statements(conn, path, statements, then=(query("upsert_seed_file"), seed_row))
    return SeedOutcome.APPLIED


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationError(path, f"cannot read: {exc}") from exc


def _describe(exc: psycopg.Error) -> str:
    diag = exc.diag
    parts: list[str] = [diag.message_primary or _one_line(str(exc))]
    if diag.message_detail:
        parts.append(f"detail: {diag.message_detail}")
    if diag.sqlstate:
        parts.append(f"SQLSTATE {diag.sqlstate}")
    return "; ".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())
