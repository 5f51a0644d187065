"""Migration discovery: only <14-digit version>_<name>.sql files, in version order."""

from __future__ import annotations

from pathlib import Path

from dashin_sdk.local import discover_migrations


def test_discovers_in_version_order_and_reports_misnamed(tmp_path: Path) -> None:
    for name in ("20250102000000_b.sql", "20250101000000_a.sql", "1_short.sql", "notes.txt"):
        (tmp_path / name).write_text("select 1;")
    found, ignored = discover_migrations(tmp_path)
    assert [(m.version, m.name) for m in found] == [
        ("20250101000000", "a"),
        ("20250102000000", "b"),
    ]
    assert [p.name for p in ignored] == ["1_short.sql"]


def test_missing_directory_is_empty(tmp_path: Path) -> None:
    assert discover_migrations(tmp_path / "nope") == ([], [])
