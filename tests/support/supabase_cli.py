"""Run the pinned Supabase CLI (npm ``supabase@2.117.0`` in ``.tools/``) against a database."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dashin_sdk.local import SupabaseProject

REPO_ROOT = Path(__file__).resolve().parents[2]
PINNED_VERSION = "2.117.0"
CLI_PATH = REPO_ROOT / ".tools" / "node_modules" / ".bin" / "supabase"


def cli_url(url: str) -> str:
    # The CLI would otherwise try TLS first against a server that has none.
    return f"{url}?sslmode=disable"


@dataclass(frozen=True)
class SupabaseCli:
    binary: Path
    workdir: Path

    def run(self, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DO_NOT_TRACK": "1", "SUPABASE_TELEMETRY_DISABLED": "1"}
        return subprocess.run(
            [str(self.binary), *args, "--workdir", str(self.workdir)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            env=env,
            check=False,
        )


def copy_project(project: SupabaseProject, workdir: Path) -> Path:
    """A private copy of the project, so the CLI's supabase/.temp files stay out of the repo."""
    target = workdir / "supabase"
    shutil.copytree(project.root, target, ignore=shutil.ignore_patterns("tests", ".temp"))
    return workdir


def applied_remotely(list_output: str) -> dict[str, str]:
    """``{local version: remote version}`` from the table ``supabase migration list`` prints."""
    rows: dict[str, str] = {}
    for line in list_output.splitlines():
        cells = [cell.strip().strip("`") for cell in line.split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            rows[cells[0]] = cells[1]
    return rows
