"""dashin db migrate: Supabase-compatible history, idempotence, failure atomicity."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from dashin_sdk.local import (
    MigrationError,
    SeedOutcome,
    SupabaseProject,
    discover_migrations,
    migrate,
)
from functions_py.cli import app
from tests.support.db import history

BROKEN_SQL = """
create table public.made_by_broken_migration (id int);
select 1 / 0;
"""


def _copy_project(project: SupabaseProject, target: Path) -> SupabaseProject:
    shutil.copytree(project.root, target, ignore=shutil.ignore_patterns("tests", ".temp"))
    return SupabaseProject(target)


def test_history_rows_match_the_migration_files(db_url: str, project: SupabaseProject) -> None:
    local, _ = discover_migrations(project.migrations_dir)
    assert local, "supabase/migrations holds no migration"
    expected = [(m.version, m.name, m.statements()) for m in local]
    assert history(db_url) == expected


def test_rerunning_applies_nothing(fresh_db_url: str, project: SupabaseProject) -> None:
    report = migrate(fresh_db_url, project, seed=True)
    assert report.applied == []
    assert not report.platform_applied
    seeded = project.seed_sql.is_file()
    assert report.seed is (SeedOutcome.ALREADY_APPLIED if seeded else SeedOutcome.NO_SEED_FILE)


def test_empty_database_gets_platform_and_all_migrations(
    empty_db_url: str, project: SupabaseProject
) -> None:
    report = migrate(empty_db_url, project)
    assert report.platform_applied
    local, _ = discover_migrations(project.migrations_dir)
    assert [m.version for m in report.applied] == [m.version for m in local]
    assert report.seed is SeedOutcome.NOT_REQUESTED


def test_broken_migration_raises_and_keeps_earlier_ones(
    empty_db_url: str, project: SupabaseProject, tmp_path: Path
) -> None:
    broken_project = _copy_project(project, tmp_path / "supabase")
    broken = broken_project.migrations_dir / "99991231235959_broken.sql"
    broken.write_text(BROKEN_SQL)

    with pytest.raises(MigrationError) as caught:
        migrate(empty_db_url, broken_project)

    error = caught.value
    assert error.path == broken
    assert error.statement_index == 1
    assert "division by zero" in error.pg_error
    assert "99991231235959_broken.sql" in str(error)
    local, _ = discover_migrations(project.migrations_dir)
    assert [row[0] for row in history(empty_db_url)] == [m.version for m in local]
    with psycopg.connect(empty_db_url) as conn:
        row = conn.execute("select to_regclass('public.made_by_broken_migration')").fetchone()
    assert row == (None,), "the failed migration was not rolled back"


def test_cli_migrate_reports_a_broken_migration_in_one_line(
    empty_db_url: str, project: SupabaseProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_project = _copy_project(project, tmp_path / "supabase")
    (broken_project.migrations_dir / "99991231235959_broken.sql").write_text(BROKEN_SQL)
    monkeypatch.setenv("DASHIN_SUPABASE_DIR", str(broken_project.root))

    result = CliRunner().invoke(app, ["db", "migrate", "--db-url", empty_db_url])

    assert result.exit_code == 1
    assert "99991231235959_broken.sql" in result.output
    assert "division by zero" in result.output
    assert "Traceback" not in result.output


def test_cli_migrate_is_idempotent(fresh_db_url: str) -> None:
    result = CliRunner().invoke(app, ["db", "migrate", "--db-url", fresh_db_url, "--seed"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_unreachable_database_is_a_typed_error() -> None:
    with pytest.raises(MigrationError, match="connection"):
        migrate(
            "postgresql://postgres:postgres@127.0.0.1:1/postgres",
            SupabaseProject(Path("unused")),
        )
