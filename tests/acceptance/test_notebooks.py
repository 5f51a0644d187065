"""The analyst notebooks run top to bottom against a freshly seeded database.

Each code cell is executed in order in one namespace, as a kernel would (no Jupyter kernel is
needed for that); a failing cell fails the test with the cell's number.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def _code_cells(path: Path) -> list[str]:
    notebook = json.loads(path.read_text("utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHIN_DATABASE_URL", fresh_db_url)
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    cells = _code_cells(path)
    assert cells, f"{path.name} has no code"
    for number, source in enumerate(cells, start=1):
        try:
            exec(compile(source, f"{path.name}[cell {number}]", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{path.name} code cell {number} failed: {type(exc).__name__}: {exc}")


def test_quickstart_exists() -> None:
    assert any(p.name == "quickstart.ipynb" for p in NOTEBOOKS)
