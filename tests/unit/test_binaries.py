"""Missing PostgreSQL 15 is a clear, typed error, and the CLI prints it on one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashin_sdk.local import PostgresNotFoundError, binaries
from functions_py.cli import app


@pytest.fixture
def no_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHIN_PG_BINDIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_config
    monkeypatch.setattr(binaries, "_DEBIAN_BINDIR", tmp_path / "nowhere")


@pytest.mark.usefixtures("no_postgres")
def test_missing_postgres_raises_typed_error() -> None:
    with pytest.raises(PostgresNotFoundError, match="PostgreSQL 15 not found"):
        binaries.find_pg_binaries()


@pytest.mark.usefixtures("no_postgres")
def test_cli_reports_missing_postgres_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHIN_LOCAL_DIR", str(tmp_path / "local"))
    result = CliRunner().invoke(app, ["local", "start"])
    assert result.exit_code == 1
    assert "PostgreSQL 15 not found" in result.output
    assert "Traceback" not in result.output


def test_wrong_major_version_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    postgres = fake / "postgres"
    postgres.write_text("#!/bin/sh\necho 'postgres (PostgreSQL) 16.4'\n")
    postgres.chmod(0o755)
    monkeypatch.setenv("DASHIN_PG_BINDIR", str(fake))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(binaries, "_DEBIAN_BINDIR", tmp_path / "nowhere")
    with pytest.raises(PostgresNotFoundError, match="is PostgreSQL 16"):
        binaries.find_pg_binaries()
