"""Benchmark: one ``dashin worker`` importing a CSV end to end versus the bare SQL upsert.

Run ``python -m bench.worker_ingest [--rows 100000] [--fetch 1000] [--batch 5000]``.

Both measurements run in ONE run against ONE throwaway PostgreSQL 15 cluster (see
``bench.upsert_leads.bench_server``), each in a fresh database cloned from the migrated,
seeded template:

1. worker: a campaign, a CSV data source over a generated file (``functions_py.samples``:
   duplicates, invalid emails, broken lines) and a started job; then an in-process
   :class:`functions_py.worker.Worker` (one slot, burst) runs it: reading the file,
   normalising, qualifying, and committing ``--batch`` records per ``ingest_job_batch``
   together with the checkpoint, logs and the raw JSONL archive. Timed from ``run()`` to its
   return (the job completed).
2. raw upsert: the same records, parsed and normalised beforehand (not timed), sent to
   ``public.upsert_leads`` as ``service_role`` in batches of the same size.

The ratio worker / raw says what the worker adds on top of the database's own work; the
target from the issue is at most 2x. Results go to ``bench/results/worker_ingest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.upsert_leads import ADMIN_ID, TIMES, BenchServer, batches, bench_server, run_upsert
from dashin_sdk import AsyncDashin
from dashin_sdk.models.enums import JobStatus
from functions_py.connectors.csv_source import CsvConnector
from functions_py.samples import SampleStats, generate_leads_csv
from functions_py.worker import Worker, WorkerOptions
from functions_py.worker.runner import default_transform_processes
from functions_py.worker.transform import transform

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "worker_ingest.json"
CRITERIA: dict[str, Any] = {"title_keywords": ["CTO", "CEO", "Founder", "VP"]}
TARGET_RATIO = 2.0


async def parse_file(csv: Path, fetch: int) -> list[dict[str, Any]]:
    """The upsert-ready records the worker would send, in file order (not timed)."""
    connector = CsvConnector({"path": str(csv)}, None)
    records: list[dict[str, Any]] = []
    cursor: dict[str, Any] | None = None
    try:
        while True:
            batch = await connector.fetch(CRITERIA, cursor, batch_size=fetch)
            records.extend(transform(batch, CRITERIA).records)
            cursor = batch.next_cursor
            if cursor is None:
                return records
    finally:
        await connector.aclose()


async def run_worker(
    url: str, csv: Path, fetch: int, batch: int, processes: int, archive: Path
) -> dict[str, Any]:
    async with AsyncDashin(database_url=url) as dx:
        admin = dx.as_user(ADMIN_ID)
        campaign = await admin.campaigns.create(name="bench worker ingest", status="active")
        source = await admin.data_sources.create(
            name="bench csv", type="csv", config={"path": str(csv)}
        )
        job = await admin.jobs.create(source.id, CRITERIA, campaign_id=campaign.id)
        await admin.jobs.start(job.id)
        worker = Worker(
            dx,
            WorkerOptions(
                concurrency=1,
                burst=True,
                worker_id="bench",
                batch_size=fetch,
                flush_records=batch,
                # Commit by size only, so both sides send batches of the same size.
                flush_interval=math.inf,
                transform_processes=processes,
                archive_dir=archive,
            ),
        )
        started = time.perf_counter()
        await worker.run()
        seconds = time.perf_counter() - started
        done = await dx.jobs.get(job.id)
        campaign = await dx.campaigns.get(campaign.id)
    if done.status is not JobStatus.COMPLETED:
        raise SystemExit(f"the job did not complete: {done!r}")
    return {
        "seconds": seconds,
        "records_processed": done.records_processed,
        "records_rejected": done.records_rejected,
        "records_qualified": done.records_qualified,
        "leads": campaign.leads_count,
    }


def run_raw(
    server: BenchServer, db: str, records: Sequence[dict[str, Any]], batch: int
) -> dict[str, Any]:
    """The same records straight through ``upsert_leads``, in batches of ``batch``."""
    payloads = [json.dumps(chunk, separators=(",", ":")) for chunk in batches(records, batch)]
    with server.connect(db) as conn:
        seconds, totals = run_upsert(conn, payloads, source="csv")
    return {"seconds": seconds, "inserted": totals.inserted, "calls": len(payloads)}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_ingest", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="CSV data rows (100000)")
    parser.add_argument("--fetch", type=int, default=1000, help="records per connector fetch")
    parser.add_argument("--batch", type=int, default=5000, help="records per commit / upsert")
    parser.add_argument(
        "--processes",
        type=int,
        default=default_transform_processes(),
        help="processes normalising records besides the loop (default: per spare CPU)",
    )
    parser.add_argument("--seed", type=int, default=20250101, help="sample generator seed")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--no-fsync", action="store_true", help="run the cluster with fsync off")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # The sample CSV and the raw archive (tens of MB) go with the run, also on errors.
    with tempfile.TemporaryDirectory(prefix="dashin-bench-worker-") as work:
        return run(args, Path(work))


def run(args: argparse.Namespace, work: Path) -> int:
    csv = work / "leads.csv"
    stats: SampleStats = generate_leads_csv(csv, args.rows, seed=args.seed)
    records = asyncio.run(parse_file(csv, args.fetch))
    print(
        f"{args.rows} CSV rows -> {len(records)} valid records, {stats.unique_valid_leads} unique"
    )

    with bench_server(fsync=not args.no_fsync) as server:
        with server.admin() as conn:
            version = conn.execute("show server_version").fetchone()
        with server.fresh_database("worker") as db:
            worker = asyncio.run(
                run_worker(
                    server.cluster.url_for(db),
                    csv,
                    args.fetch,
                    args.batch,
                    args.processes,
                    work / "raw",
                )
            )
        with server.fresh_database("raw") as db:
            raw = run_raw(server, db, records, args.batch)

    if worker["leads"] != stats.unique_valid_leads or raw["inserted"] != stats.unique_valid_leads:
        raise SystemExit(f"lead counts differ: worker {worker}, raw {raw}, expected {stats}")
    ratio = worker["seconds"] / raw["seconds"]
    lines = [
        f"server: PostgreSQL {version[0] if version else '?'}",
        f"worker end to end : {worker['seconds']:7.2f} s  "
        f"{args.rows / worker['seconds']:9.0f} rows/s  ({worker['leads']} leads)",
        f"raw upsert_leads  : {raw['seconds']:7.2f} s  "
        f"{len(records) / raw['seconds']:9.0f} records/s  ({raw['calls']} calls)",
        f"worker / raw = {ratio:.2f}{TIMES} (target ≤ {TARGET_RATIO:g}{TIMES})",
    ]
    print("\n".join(lines))
    results = {
        "benchmark": "worker_ingest",
        "config": {
            "rows": args.rows,
            "fetch": args.fetch,
            "batch": args.batch,
            "transform_processes": args.processes,
            "seed": args.seed,
            "fsync": not args.no_fsync,
        },
        "environment": {
            "postgres": version[0] if version else None,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "data": {
            "rows": stats.rows,
            "valid_records": len(records),
            "unique_valid_leads": stats.unique_valid_leads,
        },
        "worker": {**worker, "rows_per_second": round(args.rows / worker["seconds"], 1)},
        "raw_upsert": {**raw, "records_per_second": round(len(records) / raw["seconds"], 1)},
        "verdict": {
            "worker_over_raw": round(ratio, 3),
            "target": TARGET_RATIO,
            "met": ratio <= TARGET_RATIO,
        },
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
