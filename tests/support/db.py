"""Throwaway PostgreSQL clusters and cheap per-test databases.

One cluster per test session holds ``dashin_template``: platform.sql, every migration and the
seed, applied once. Tests get their own database cloned from it with
``CREATE DATABASE ... TEMPLATE`` (a file copy: milliseconds, not a re-migration).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from dashin_sdk.local import LocalCluster, SupabaseProject, free_port, migrate
from dashin_sdk.local.migrate import MigrationReport
from dashin_sdk.local.queries import trusted

TEMPLATE_DB = "dashin_template"


@dataclass
class TestCluster:
    """A started cluster with a migrated template database."""

    __test__ = False  # not a pytest test class despite its name

    cluster: LocalCluster
    project: SupabaseProject
    template_report: MigrationReport | None = None
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def admin_url(self) -> str:
        return self.cluster.url

    def url_for(self, dbname: str) -> str:
        return self.cluster.url_for(dbname)

    def build_template(self) -> None:
        self.create_database(TEMPLATE_DB, template="template1")
        self.template_report = migrate(self.url_for(TEMPLATE_DB), self.project, seed=True)
        with self._admin() as conn:
            conn.execute(
                sql.SQL("alter database {} with is_template true").format(
                    sql.Identifier(TEMPLATE_DB)
                )
            )

    def new_name(self, prefix: str) -> str:
        return f"{prefix}_{os.getpid()}_{next(self._names)}"

    def create_database(self, name: str, *, template: str = TEMPLATE_DB) -> str:
        """Create ``name`` as a copy of ``template`` and return its URL.

        ``template0`` gives an empty database (nothing applied); the default gives a migrated
        and seeded one.
        """
        with self._admin() as conn:
            conn.execute(
                sql.SQL("create database {} template {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )

    @contextmanager
    def database(self, prefix: str, *, template: str = TEMPLATE_DB) -> Iterator[str]:
        name = self.new_name(prefix)
        url = self.create_database(name, template=template)
        try:
            yield url
        finally:
            self.drop_database(name)

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10)


@contextmanager
def throwaway_cluster(
    project: SupabaseProject, *, with_template: bool = True
) -> Iterator[TestCluster]:
    """A started cluster in a temporary directory, always stopped and deleted afterwards."""
    base = Path(tempfile.mkdtemp(prefix="dashin-test-"))
    # mkdtemp makes a 0700 directory; when we are root the postgres OS user must traverse it.
    base.chmod(0o755)
    cluster = LocalCluster(base / "data", free_port(), fsync=False)
    try:
        cluster.init()
        cluster.start()
        test_cluster = TestCluster(cluster=cluster, project=project)
        if with_template:
            test_cluster.build_template()
        yield test_cluster
    finally:
        try:
            cluster.destroy()
        finally:
            shutil.rmtree(base, ignore_errors=True)


def apply_platform_only(url: str, project: SupabaseProject) -> None:
    """Prepare a database like a fresh Supabase project: the platform, no migrations."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(trusted(project.platform_sql.read_text(encoding="utf-8")))


def history(url: str) -> list[tuple[str, str, list[str]]]:
    """``(version, name, statements)`` rows of the Supabase migration history."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select version, name, statements from supabase_migrations.schema_migrations"
            " order by version"
        ).fetchall()
    return [(str(v), str(n), list(s)) for v, n, s in rows]
