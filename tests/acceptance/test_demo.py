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
from functions_py.demo import DEMO_CAMPAIGN
from functions_py.samples import bundled_sample_path, generate_leads_csv

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


def test_demo_imports_the_sample_through_a_job_and_is_repeatable(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    # The bundled file is the generator's default output: its stats are the expected figures.
    regenerated = tmp_path / "sample.csv"
    stats = generate_leads_csv(regenerated)
    assert regenerated.read_bytes() == bundled_sample_path().read_bytes()
    env = {**stack_env, "DASHIN_RAW_ARCHIVE": (tmp_path / "raw").as_uri()}

    first = json.loads(dashin(env, "demo", "--json"))
    job, campaign = first["job"], first["campaign"]
    assert job["status"] == "completed"
    assert job["progress"] == 100
    assert job["records_processed"] == stats.rows
    assert 0 < job["records_rejected"] < stats.rows
    assert 0 < job["records_qualified"] <= job["records_processed"] - job["records_rejected"]
    assert campaign["leads_count"] == stats.unique_valid_leads
    assert 0 < campaign["qualified_leads_count"] < campaign["leads_count"]

    # Again: the same campaign and source, a new job whose rows all merge into existing leads.
    second = json.loads(dashin(env, "demo", "--json"))
    assert second["campaign"]["id"] == campaign["id"]
    assert second["job"]["id"] != job["id"]
    assert second["job"]["status"] == "completed"
    assert second["job"]["records_processed"] == stats.rows
    assert second["campaign"]["leads_count"] == stats.unique_valid_leads

    # The seed's Demo Agency (60 leads, 3 campaigns, 1 data source) plus the demo's.
    overview = json.loads(dashin(env, "demo", "--overview", "--json"))
    assert overview["leads"]["total"] == 60 + stats.unique_valid_leads
    assert overview["campaigns"]["total"] == 4
    assert overview["dataSources"]["total"] == 2
    assert set(overview) == {"campaigns", "leads", "dataSources", "scraping", "trends"}

    # The human view: progress, the job's counts and the campaign's metrics.
    screen = dashin(env, "demo")
    assert "records processed" in screen
    assert f"Campaign '{DEMO_CAMPAIGN}'" in screen
    assert "leads count" in screen
