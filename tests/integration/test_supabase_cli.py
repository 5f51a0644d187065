"""The migrations deploy the Supabase way, checked with the official CLI (no Docker needed).

Skipped only when the pinned CLI is absent on a developer machine; in CI (CI=true) its absence
is a failure, since scripts/bootstrap.sh installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashin_sdk.local import SupabaseProject, discover_migrations
from dashin_sdk.local.sqlsplit import split_statements
from tests.support.db import TestCluster, apply_platform_only, history
from tests.support.supabase_cli import (
    CLI_PATH,
    PINNED_VERSION,
    SupabaseCli,
    applied_remotely,
    cli_url,
    copy_project,
)

pytestmark = pytest.mark.slow

# Statements whose split the CLI and our splitter must agree on (and that run on Postgres).
TRICKY_MIGRATION = """\
-- leading comment; with a semicolon
create table public.split_probe (id int primary key, is_atomic boolean, note text);
create function public.split_probe_fn() returns int language sql
begin atomic
    select 1;
end;
create function public.split_probe_plpgsql() returns text language plpgsql as $body$
begin
    return 'a;b' || $x$c;d$x$; -- inner ; comment
end
$body$;
insert into public.split_probe values (1, true, 'it''s; fine'), (2, false, (select 'x;'));
/* block; /* nested; */ comment */
select 1 as is_atomic; select 2;
-- trailing comment
"""


@pytest.fixture(scope="module")
def cli_binary() -> Path:
    if not CLI_PATH.exists():
        reason = f"Supabase CLI {PINNED_VERSION} not installed in .tools/ (run make setup)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CLI_PATH


@pytest.fixture
def cli(cli_binary: Path, project: SupabaseProject, tmp_path: Path) -> SupabaseCli:
    return SupabaseCli(cli_binary, copy_project(project, tmp_path))


@pytest.fixture
def platform_only_url(pg: TestCluster, project: SupabaseProject) -> Iterator[str]:
    """A database like a brand-new Supabase project: platform, no migrations."""
    with pg.database("platform", template="template0") as url:
        apply_platform_only(url, project)
        yield url


def _ok(result: object) -> None:
    assert getattr(result, "returncode", 1) == 0, (
        f"stdout:\n{getattr(result, 'stdout', '')}\nstderr:\n{getattr(result, 'stderr', '')}"
    )


def test_cli_version(cli: SupabaseCli) -> None:
    result = cli.run("--version")
    _ok(result)
    assert result.stdout.strip() == PINNED_VERSION


def test_db_push_applies_every_migration_as_we_record_them(
    cli: SupabaseCli, project: SupabaseProject, platform_only_url: str, db_url: str
) -> None:
    _ok(cli.run("db", "push", "--db-url", cli_url(platform_only_url), "--yes"))

    local, _ = discover_migrations(project.migrations_dir)
    pushed = history(platform_only_url)
    assert [row[0] for row in pushed] == [m.version for m in local]
    # Byte for byte what `dashin db migrate` wrote into the template the db_url was cloned from.
    assert pushed == history(db_url)

    listed = cli.run("migration", "list", "--db-url", cli_url(platform_only_url))
    _ok(listed)
    remote = applied_remotely(listed.stdout)
    assert remote == {m.version: m.version for m in local}, listed.stdout

    lint = cli.run("db", "lint", "--db-url", cli_url(platform_only_url), "--fail-on", "error")
    _ok(lint)


def test_db_push_finds_nothing_after_dashin_migrate(cli: SupabaseCli, db_url: str) -> None:
    dry_run = cli.run("db", "push", "--db-url", cli_url(db_url), "--dry-run")
    _ok(dry_run)
    assert "Remote database is up to date" in dry_run.stdout + dry_run.stderr
    listed = cli.run("migration", "list", "--db-url", cli_url(db_url))
    _ok(listed)
    assert all(local == remote for local, remote in applied_remotely(listed.stdout).items())


def test_db_lint_passes_on_migrated_database(cli: SupabaseCli, db_url: str) -> None:
    _ok(cli.run("db", "lint", "--db-url", cli_url(db_url), "--fail-on", "error"))


def test_cli_splits_statements_like_we_do(
    cli_binary: Path, pg: TestCluster, project: SupabaseProject, tmp_path: Path
) -> None:
    workdir = tmp_path / "probe"
    (workdir / "supabase" / "migrations").mkdir(parents=True)
    (workdir / "supabase" / "config.toml").write_text(project.config_toml.read_text())
    (workdir / "supabase" / "migrations" / "20000101000000_split_probe.sql").write_text(
        TRICKY_MIGRATION
    )
    with pg.database("probe", template="template0") as url:
        _ok(SupabaseCli(cli_binary, workdir).run("db", "push", "--db-url", cli_url(url), "--yes"))
        assert history(url) == [
            ("20000101000000", "split_probe", split_statements(TRICKY_MIGRATION))
        ]
