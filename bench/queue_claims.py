"""Benchmark: job-queue claims per second with several workers competing.

Run ``python -m bench.queue_claims [--jobs 10000] [--workers 4]``.

In a fresh database of a throwaway PostgreSQL 15 cluster (``bench.upsert_leads.bench_server``)
``--jobs`` runnable no-op jobs are queued; then ``--workers`` workers, each with its own
connection and process, loop ``dx.queue.claim_next`` -> ``dx.queue.complete`` (the SQL functions
``claim_next_job`` with FOR UPDATE SKIP LOCKED and ``complete_job``) until the queue is empty.
Reported: claims per second over the whole drain, per worker, and a check that every job was
claimed exactly once. Results go to ``bench/results/worker_queue_claims.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.upsert_leads import AGENCY_ID, bench_server
from dashin_sdk import AsyncDashin, ClientOptions

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "worker_queue_claims.json"
DATA_SOURCE_ID = "44444444-4444-4444-8444-000000000001"  # the seed's Demo Agency CSV source
QUEUE_JOBS = (
    "insert into public.scraping_jobs (agency_id, data_source_id, run_after)"
    " select %s, %s, now() - interval '1 second' from generate_series(1, %s)"
)


async def _worker_loop(url: str, name: str) -> list[str]:
    claimed: list[str] = []
    async with AsyncDashin(database_url=url, options=ClientOptions(pool_max_size=2)) as dx:
        while True:
            job = await dx.queue.claim_next(name, lease_seconds=60)
            if job is None:
                return claimed
            await dx.queue.complete(job.id, name)
            claimed.append(str(job.id))


def _worker_process(url: str, name: str, start: Any, out: Any) -> None:
    start.wait()  # every worker starts at once
    out.put((name, asyncio.run(_worker_loop(url, name))))


def drain(url: str, workers: int) -> tuple[float, list[list[str]]]:
    """Run the workers (one process each, as real workers) until none finds a job."""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out = context.Queue()
    procs = [
        context.Process(target=_worker_process, args=(url, f"bench-{n}", start, out))
        for n in range(workers)
    ]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # let the interpreters import before the clock starts
    started = time.perf_counter()
    start.set()
    results = dict(out.get() for _ in procs)
    seconds = time.perf_counter() - started
    for proc in procs:
        proc.join()
    return seconds, [results[f"bench-{n}"] for n in range(workers)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.queue_claims", description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000, help="no-op jobs to queue (10000)")
    parser.add_argument("--workers", type=int, default=4, help="competing workers (4)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--no-fsync", action="store_true", help="run the cluster with fsync off")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_server(fsync=not args.no_fsync) as server:
        with server.admin() as conn:
            version = conn.execute("show server_version").fetchone()
        with server.fresh_database("queue") as db:
            url = server.cluster.url_for(db)
            with server.connect(db) as conn:
                conn.execute(QUEUE_JOBS, (AGENCY_ID, DATA_SOURCE_ID, args.jobs))
                conn.execute("vacuum analyze public.scraping_jobs")
            seconds, claimed = drain(url, args.workers)
            with server.connect(db) as conn:
                row = conn.execute(
                    "select count(*) filter (where status = 'completed'), count(*)"
                    " from public.scraping_jobs where data_source_id = %s and attempts = 1",
                    (DATA_SOURCE_ID,),
                ).fetchone()
    every = [job for jobs in claimed for job in jobs]
    twice = [job for job, n in Counter(every).items() if n > 1]
    completed = row[0] if row else 0
    if twice or len(every) != args.jobs or completed != args.jobs:
        raise SystemExit(
            f"claimed {len(every)} ({len(twice)} twice), completed {completed} of {args.jobs}"
        )
    rate = args.jobs / seconds
    per_worker = [len(jobs) for jobs in claimed]
    print(f"server: PostgreSQL {version[0] if version else '?'}")
    print(f"{args.jobs} jobs, {args.workers} workers: {seconds:.2f} s, {rate:.0f} claims/s")
    print(f"claims per worker: {per_worker}; every job claimed exactly once")
    results: dict[str, Any] = {
        "benchmark": "queue_claims",
        "config": {"jobs": args.jobs, "workers": args.workers, "fsync": not args.no_fsync},
        "environment": {
            "postgres": version[0] if version else None,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "seconds": round(seconds, 3),
        "claims_per_second": round(rate, 1),
        "claims_per_worker": per_worker,
        "claimed_twice": len(twice),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
