"""The local stack: one cluster per project with platform.sql, migrations and the seed.

Defaults mirror ``supabase start`` (database on port 54322) so URLs and habits carry over;
``DASHIN_LOCAL_DIR`` and ``DASHIN_LOCAL_PORT`` override the directory and the port.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dashin_sdk.local.cluster import ClusterStatus, LocalCluster
from dashin_sdk.local.errors import LocalStackError
from dashin_sdk.local.migrate import MigrationReport, migrate
from dashin_sdk.local.paths import SupabaseProject, find_supabase_project

DEFAULT_PORT = 54322
ENV_LOCAL_DIR = "DASHIN_LOCAL_DIR"
ENV_LOCAL_PORT = "DASHIN_LOCAL_PORT"
LOCAL_DIR_NAME = Path(".dashin") / "local"
_PROJECT_MARKERS = ("pyproject.toml", ".git", "supabase")


def find_project_root(start: Path) -> Path:
    """The nearest ancestor of ``start`` that looks like a project, else ``start``."""
    for directory in (start, *start.parents):
        if any((directory / marker).exists() for marker in _PROJECT_MARKERS):
            return directory
    return start


@dataclass(frozen=True)
class StackSettings:
    local_dir: Path
    port: int

    @classmethod
    def from_env(cls, cwd: Path | None = None) -> StackSettings:
        local_dir_env = os.environ.get(ENV_LOCAL_DIR)
        if local_dir_env:
            local_dir = Path(local_dir_env)
        else:
            local_dir = find_project_root(cwd or Path.cwd()) / LOCAL_DIR_NAME
        port_env = os.environ.get(ENV_LOCAL_PORT, str(DEFAULT_PORT))
        try:
            port = int(port_env)
        except ValueError:
            raise LocalStackError(
                f"{ENV_LOCAL_PORT} must be a port number, not {port_env!r}"
            ) from None
        if not 0 < port < 65536:
            raise LocalStackError(f"{ENV_LOCAL_PORT} must be between 1 and 65535, not {port}")
        return cls(local_dir=local_dir.absolute(), port=port)


@dataclass(frozen=True)
class StackStartResult:
    url: str
    created: bool
    started: bool
    report: MigrationReport


class LocalStack:
    """``start()`` is idempotent: it creates, starts and migrates only what is missing."""

    def __init__(
        self, settings: StackSettings | None = None, project: SupabaseProject | None = None
    ) -> None:
        self.settings = settings or StackSettings.from_env()
        self._project = project
        self.cluster = LocalCluster(self.settings.local_dir / "data", self.settings.port)

    @property
    def project(self) -> SupabaseProject:
        # Resolved lazily: stop/status must work even where no supabase/ project is found.
        if self._project is None:
            self._project = find_supabase_project()
        return self._project

    @property
    def url(self) -> str:
        return self.cluster.url

    def start(self) -> StackStartResult:
        project = self.project
        created = self.cluster.init()
        started = self.cluster.start()
        # The seed runs once: migrate() records it in supabase_migrations.seed_files (as the
        # Supabase CLI does) and skips it afterwards.
        report = migrate(self.cluster.url, project, seed=True)
        return StackStartResult(url=self.url, created=created, started=started, report=report)

    def stop(self) -> bool:
        return self.cluster.stop()

    def status(self) -> ClusterStatus:
        return self.cluster.status()

    def reset(self) -> StackStartResult:
        """Throw the database away and start again from platform.sql, migrations and seed."""
        self.cluster.destroy()
        return self.start()

    def destroy(self) -> None:
        """Stop the cluster and delete its data (including a relocated data directory)."""
        self.cluster.destroy()
