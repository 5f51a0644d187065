"""``dashin jobs ...`` drives the same SDK calls as a script would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.worker.conftest import ROOT, Queue
from tests.integration.worker.expected import expected_for, sample_csv


def dashin(queue: Queue, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from functions_py.cli import main; main()", *args],
        env={**os.environ, "DASHIN_DATABASE_URL": queue.url, "COLUMNS": "120"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_create_start_watch_and_logs(queue: Queue, tmp_path: Path) -> None:
    csv = tmp_path / "leads.csv"
    sample_csv(csv, rows=500)
    want = expected_for(csv)
    setup = queue.job(csv, start=False)

    created = json.loads(
        dashin(
            queue,
            "jobs",
            "create",
            "--data-source",
            setup.data_source_id,
            "--campaign",
            setup.campaign_id,
            "--criteria",
            '{"title_keywords": ["CTO", "CEO", "Founder", "VP"]}',
            "--json",
        )
    )
    assert created["status"] == "pending"
    assert created["run_after"] is None
    started = json.loads(dashin(queue, "jobs", "start", created["id"], "--json"))
    assert started["run_after"] is not None

    queue.finish(queue.worker("--burst", worker_id="w-cli"))

    screen = dashin(queue, "jobs", "watch", created["id"])
    assert "completed" in screen
    assert f"{want.rows} processed" in screen
    logs = json.loads(dashin(queue, "jobs", "logs", created["id"], "--json"))
    messages = [line["message"] for line in logs]
    assert messages[0] == "job created"
    assert "worker w-cli started attempt 1" in messages
    assert messages[-1] == "job completed"
    table = dashin(queue, "jobs", "logs", created["id"], "--level", "warning")
    assert "row rejected" in table
