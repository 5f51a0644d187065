"""Every SQL file of the Supabase project parses with sqlfluff (dialect postgres).

An unparsable section means sqlfluff checked nothing in it, so a lint run would be green for
the wrong reason. ``-- noqa: PRS`` on a line is honoured, as in ``sqlfluff lint``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlfluff

from dashin_sdk.local import SupabaseProject, find_supabase_project

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / ".sqlfluff"


def _sql_files(project: SupabaseProject) -> list[Path]:
    files = [project.platform_sql, project.seed_sql, *sorted(project.migrations_dir.glob("*.sql"))]
    return [path for path in files if path.is_file()]


@pytest.mark.parametrize("path", _sql_files(find_supabase_project()), ids=lambda path: path.name)
def test_no_unparsable_section(path: Path) -> None:
    # Any one cheap rule: parse errors are reported whatever rules are selected.
    violations = sqlfluff.lint(
        path.read_text(encoding="utf-8"), rules=["CP01"], config_path=str(CONFIG)
    )
    unparsable = [v for v in violations if v["code"] == "PRS"]
    assert not unparsable, "\n".join(
        f"{path.name}:{v['start_line_no']}: {v['description'][:160]}" for v in unparsable
    )
