"""Helpers for the worker tests: jobs over CSV files, real ``dashin worker`` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dashin_sdk import Dashin
from dashin_sdk.credentials import new_key
from dashin_sdk.models.tables import ScrapingJob
from tests.integration.worker.expected import CRITERIA
from tests.support.factories import Conn, connect, scalar
from tests.support.identity import ADMIN_A, ADMIN_B

CONNECTORS = "tests.integration.worker.connectors"
ROOT = Path(__file__).resolve().parents[3]


@dataclass
class JobSetup:
    job_id: str
    campaign_id: str
    data_source_id: str


class Queue:
    """One test database seen three ways: the SDK (an admin), raw SQL, and workers."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.tmp_path = tmp_path
        # Data-source credentials are sealed with this key; workers get it in their env.
        self.credentials_key = new_key("test")
        self.dx = Dashin(database_url=url, credentials_key=self.credentials_key)
        self.admin = self.dx.as_user(ADMIN_A)
        # Leads are deduplicated per agency: jobs meant not to share leads use agency B.
        self.other_admin = self.dx.as_user(ADMIN_B)
        self.sql: Conn = connect(url)
        self.workers: list[subprocess.Popen[str]] = []
        self._names = 0

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        self.sql.close()
        self.dx.close()

    def _name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix} {self._names}"

    def job(
        self,
        csv: Path,
        *,
        connector: str | None = None,
        config: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        job_config: dict[str, Any] | None = None,
        criteria: dict[str, Any] | None = None,
        start: bool = True,
        other_agency: bool = False,
    ) -> JobSetup:
        """A campaign, a data source over ``csv`` (a test connector if named) and a job."""
        admin = self.other_admin if other_agency else self.admin
        campaign = admin.campaigns.create(name=self._name("worker test"), status="active")
        source_config: dict[str, Any] = {"path": str(csv), **(config or {})}
        if connector is not None:
            source_config["class"] = f"{CONNECTORS}:{connector}"
        secrets = {"credentials": credentials} if credentials is not None else {}
        source = admin.data_sources.create(
            name=self._name("worker source"),
            type="custom" if connector else "csv",
            config=source_config,
            **secrets,
        )
        job = admin.jobs.create(
            source.id,
            CRITERIA if criteria is None else criteria,
            campaign_id=campaign.id,
            config=job_config,
        )
        if start:
            admin.jobs.start(job.id)
        return JobSetup(str(job.id), str(campaign.id), str(source.id))

    def get(self, job_id: str) -> ScrapingJob:
        return self.dx.jobs.get(job_id)

    def wait_for(
        self, job_id: str, ready: Callable[[ScrapingJob], bool], *, timeout: float = 60
    ) -> ScrapingJob:
        """Poll the job until ``ready`` (a generous timeout only guards against hangs)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if ready(job):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job never got there; last seen: {job!r}")
            time.sleep(0.05)

    def worker(self, *args: str, worker_id: str) -> subprocess.Popen[str]:
        """A real ``dashin worker`` process on this database."""
        env = {
            **os.environ,
            "DASHIN_DATABASE_URL": self.url,
            "DASHIN_RAW_ARCHIVE": (self.tmp_path / "archive").as_uri(),
            "DASHIN_CREDENTIALS_KEY": self.credentials_key,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("SUPABASE_URL", None)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from functions_py.cli import main; main()",
                "worker",
                "--worker-id",
                worker_id,
                "--poll-interval",
                "0.3",
                *args,
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.workers.append(proc)
        return proc

    def finish(self, proc: subprocess.Popen[str], *, timeout: float = 60) -> str:
        """Wait for a worker to exit on its own (``--burst``) and check it exited cleanly."""
        output, _ = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, output
        return output

    def terminate(self, proc: subprocess.Popen[str], *, timeout: float = 30) -> str:
        proc.send_signal(signal.SIGTERM)
        return self.finish(proc, timeout=timeout)

    # Facts from the database -----------------------------------------------------------
    def campaign_leads(self, campaign_id: str) -> int:
        return int(
            scalar(
                self.sql, "select count(*) from public.leads where campaign_id = %s", (campaign_id,)
            )
        )

    def duplicate_emails(self, campaign_id: str) -> int:
        return int(
            scalar(
                self.sql,
                "select count(*) from (select email from public.leads where campaign_id = %s"
                " and email is not null group by email having count(*) > 1) d",
                (campaign_id,),
            )
        )

    def leads_count_column(self, campaign_id: str) -> int:
        return int(
            scalar(
                self.sql, "select leads_count from public.campaigns where id = %s", (campaign_id,)
            )
        )

    def workers_of(self, job_id: str) -> list[str]:
        """Every worker that claimed the job, from its log (claims and reclaims)."""
        rows = self.sql.execute(
            "select details ->> 'worker_id' from public.scraping_job_logs where job_id = %s"
            " and message in ('job running', 'job reclaimed after lease expiry')"
            " order by created_at",
            (job_id,),
        ).fetchall()
        return [row[0] for row in rows]

    def run_now(self, job_id: str) -> None:
        """Skip a retry's backoff (the schedule itself is the SQL's, tested there)."""
        self.sql.execute(
            "update public.scraping_jobs set run_after = now()"
            " where id = %s and status = 'pending'",
            (job_id,),
        )


@pytest.fixture
def queue(fresh_db_url: str, tmp_path: Path) -> Iterator[Queue]:
    q = Queue(fresh_db_url, tmp_path)
    try:
        yield q
    finally:
        q.close()
