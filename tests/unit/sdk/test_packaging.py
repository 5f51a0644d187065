"""The generated sync client is current, and ``import dashin_sdk`` stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("supabase", "supabase_auth", "postgrest", "realtime", "pydantic", "psycopg")


def test_generated_sync_code_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return set(json.loads(out))


def _top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_import_dashin_sdk_loads_nothing_heavy() -> None:
    loaded = _top_level(_loaded_after("import dashin_sdk"))
    assert "dashin_sdk" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize(
    "statement",
    [
        "from dashin_sdk import Dashin",
        "from dashin_sdk import AsyncDashin",
        "from dashin_sdk import Dashin; Dashin(database_url='postgresql://127.0.0.1:1/x')",
    ],
)
def test_the_direct_client_never_loads_supabase_py(statement: str) -> None:
    loaded = _top_level(_loaded_after(statement))
    assert loaded.isdisjoint({"supabase", "supabase_auth", "postgrest", "realtime"})
