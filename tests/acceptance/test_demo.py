"""`make demo`'s job, as a newcomer runs it: the dashin command on a fresh local stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashin_sdk.local import LocalStack, StackSettings, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    local_dir = tmp_path / "local"
    env = {**os.environ, "DASHIN_LOCAL_DIR": str(local_dir), "DASHIN_LOCAL_PORT": str(port)}
    try:
        yield env
    finally:
        LocalStack(StackSettings(local_dir=local_dir, port=port)).destroy()


def dashin(env: dict[str, str], *args: str) -> str:
    # The installed console script's entry point, in a subprocess like a shell would run it.
    done = subprocess.run(
        [sys.executable, "-c", "from functions_py.cli import main; main()", *args],
        env={**env, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_demo_starts_the_stack_and_shows_the_demo_agency(stack_env: dict[str, str]) -> None:
    overview = json.loads(dashin(stack_env, "demo", "--json"))
    # The seed's Demo Agency: 60 leads in 3 campaigns (1 active), 12 qualified, 1 data source.
    assert overview["leads"]["total"] == 60
    assert overview["leads"]["qualified"] == 12
    assert overview["campaigns"] == {"total": 3, "active": 1, "inactive": 2}
    assert overview["dataSources"]["total"] == 1
    assert set(overview) == {"campaigns", "leads", "dataSources", "scraping", "trends"}

    # The human view, on the stack that is now running.
    table = dashin(stack_env, "demo")
    assert "11111111-1111-4111-8111-111111111111" in table
    assert "leads.total" in table
