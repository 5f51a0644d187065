"""dashin local start|status|stop|env|reset through the real CLI entry point (in-process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from dashin_sdk.local import LocalStack, StackSettings, free_port
from functions_py.cli import app


@pytest.fixture
def stack_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StackSettings]:
    port = free_port()
    local_dir = tmp_path / "local"
    monkeypatch.setenv("DASHIN_LOCAL_DIR", str(local_dir))
    monkeypatch.setenv("DASHIN_LOCAL_PORT", str(port))
    settings = StackSettings(local_dir=local_dir, port=port)
    try:
        yield settings
    finally:
        LocalStack(settings).destroy()


def _dashin(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _url(settings: StackSettings) -> str:
    return f"postgresql://postgres:postgres@127.0.0.1:{settings.port}/postgres"


def test_start_status_stop_cycle(stack_env: StackSettings) -> None:
    assert "state: not created" in _dashin("local", "status")

    first = _dashin("local", "start")
    assert "created a new cluster" in first
    assert f"DASHIN_DATABASE_URL={_url(stack_env)}" in first
    with psycopg.connect(_url(stack_env)) as conn:
        row = conn.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()
    assert row is not None
    assert row[0] > 0

    status = _dashin("local", "status")
    assert "state: running" in status
    if os.geteuid() == 0:
        # pytest's tmp dirs are 0700, so the postgres OS user cannot reach them.
        assert "relocated" in status

    again = _dashin("local", "start")
    assert "already running" in again
    assert "up to date" in again
    assert "seed: applied" not in again

    assert "stopped" in _dashin("local", "stop")
    assert "state: stopped" in _dashin("local", "status")
    assert "not running" in _dashin("local", "stop")

    restarted = _dashin("local", "start")
    assert "started" in restarted
    assert "created a new cluster" not in restarted


def test_env_prints_an_export_line(stack_env: StackSettings) -> None:
    assert _dashin("local", "env").strip() == f"export DASHIN_DATABASE_URL={_url(stack_env)}"


def test_reset_rebuilds_the_database(stack_env: StackSettings) -> None:
    _dashin("local", "start")
    with psycopg.connect(_url(stack_env), autocommit=True) as conn:
        conn.execute("create table public.scratch_left_by_a_user (id int)")

    _dashin("local", "reset")

    with psycopg.connect(_url(stack_env)) as conn:
        row = conn.execute("select to_regclass('public.scratch_left_by_a_user')").fetchone()
        versions = conn.execute("select count(*) from supabase_migrations.schema_migrations")
        count = versions.fetchone()
    assert row == (None,)
    assert count is not None
    assert count[0] > 0


def test_port_in_use_is_a_one_line_error(stack_env: StackSettings) -> None:
    import socket

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", stack_env.port))
        blocker.listen()
        result = CliRunner().invoke(app, ["local", "start"])
    assert result.exit_code == 1
    assert f"port {stack_env.port}" in result.output
    assert "Traceback" not in result.output
