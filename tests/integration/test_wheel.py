"""The built wheel carries the Supabase project, so an installed package finds its migrations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dashin_sdk.local import SupabaseProject

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    (built,) = out.glob("dashin-*.whl")
    return built


def test_wheel_ships_every_project_file(wheel: Path, project: SupabaseProject) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {"config.toml", "platform.sql", "seed.sql"} | {
        f"migrations/{p.name}" for p in project.migrations_dir.glob("*.sql")
    }
    assert {f"dashin_sdk/_supabase/{name}" for name in expected} <= names
    # pgTAP tests and CLI scratch files are not part of what gets applied.
    assert not any(name.startswith("dashin_sdk/_supabase/tests/") for name in names)


def test_installed_package_finds_its_own_project(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "-t",
            str(target),
            str(wheel),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    # Run from an unrelated folder with only the installed copy importable.
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from dashin_sdk.local import find_supabase_project as f; print(f().root)",
            str(target),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    ).stdout.strip()
    assert Path(found) == (target / "dashin_sdk" / "_supabase").resolve()
    assert sorted(p.name for p in (Path(found) / "migrations").glob("*.sql")) == sorted(
        p.name for p in (REPO / "supabase" / "migrations").glob("*.sql")
    )
