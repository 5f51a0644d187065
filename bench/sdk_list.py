"""Benchmark: a filtered, sorted page of leads through the SDK versus the same SQL in psycopg.

Run ``python -m bench.sdk_list [--rows 200000] [--iterations 600] [--warmup 100]``.

One throwaway PostgreSQL 15 cluster (``bench.upsert_leads.bench_server``: temporary directory,
free port, migrated and seeded template, stopped and deleted at the end). ``--rows`` synthetic
leads go to the Demo Agency, then three clients page through
``leads.list(status=..., sort_by="created_at", page_size=50, page=k)`` as its agency admin:

* ``Dashin(...).as_user(admin)`` (sync) and ``AsyncDashin(...).as_user(admin)`` (async);
* the baseline: one plain psycopg connection running, per call, exactly the SDK's
  statements (``dashin_sdk.sql_compiler`` compiles the same ``Select``) in one pipelined
  transaction: the SDK's ``set_config`` of role, claims and statement timeout
  (``dashin_sdk._sync.postgres.SET_IDENTITY``), the page query, the count query, commit.

The three run interleaved in rounds over the same page numbers; each reports the median of
its per-call wall times. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from bench.upsert_leads import ADMIN_ID, AGENCY_ID, TIMES, bench_server
from dashin_sdk import AsyncDashin, Dashin, sql_compiler
from dashin_sdk._sync.postgres import SET_IDENTITY
from dashin_sdk.identity import Identity
from dashin_sdk.local.queries import trusted
from dashin_sdk.models.tables import Lead, columns_of
from dashin_sdk.query import Order, Select, eq

STATUS = "contacted"
PAGE_SIZE = 50
PAGES = 20  # page numbers cycle through 1..PAGES (offsets up to 950)
TARGET_RATIO = 1.5


# SET_IDENTITY's arguments for the agency admin, with the default ClientOptions.timeout as the
# SDK sends it.
_ADMIN = Identity.user(UUID(ADMIN_ID))
ADMIN_IDENTITY = (_ADMIN.role, json.dumps(_ADMIN.claims), "30000ms")
LOAD_SQL = Path(__file__).resolve().parent / "sql" / "sdk_list_leads.sql"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "sdk_list.json"

Conn = psycopg.Connection[tuple[Any, ...]]


def page_query(page: int) -> Select:
    """The ``Select`` ``leads.list`` builds for the agency admin (scope, filter, tie-break)."""
    return Select(
        table="leads",
        columns=columns_of(Lead),
        where=(eq("agency_id", AGENCY_ID), eq("status", STATUS)),
        order=(Order("created_at", descending=True), Order("id", descending=True)),
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        count=True,
    )


def load(conn: Conn, rows: int) -> None:
    conn.execute(trusted(LOAD_SQL.read_text("utf-8")), {"rows": rows})
    conn.execute("vacuum analyze")


def raw_call(conn: Conn, identity: tuple[str, str, str], page: int) -> int:
    """The SDK's statements for one page, through psycopg alone (the baseline)."""
    query = page_query(page)
    statement, params = sql_compiler.select(query)
    count_statement, count_params = sql_compiler.count(query)
    with conn.pipeline():
        conn.execute(SET_IDENTITY, identity)
        cursor = conn.execute(statement, params)
        count_cursor = conn.execute(count_statement, count_params)
        rows = cursor.fetchall()
        counted = count_cursor.fetchone()
    conn.commit()
    assert counted is not None
    return len(rows)


@contextmanager
def timed(samples: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    samples.append(time.perf_counter() - start)


def check_same_rows(url: str) -> None:
    """The three paths must return the same page, or the comparison means nothing."""
    with Dashin(database_url=url) as dx:
        sdk_ids = [lead.id for lead in dx.as_user(ADMIN_ID).leads.list(**_list_args(3)).data]
    with psycopg.connect(url) as conn:
        query = page_query(3)
        statement, params = sql_compiler.select(query)
        conn.execute(SET_IDENTITY, ADMIN_IDENTITY)
        raw_ids = [row[0] for row in conn.execute(statement, params).fetchall()]
    if sdk_ids != raw_ids or len(sdk_ids) != PAGE_SIZE:
        raise SystemExit("the SDK and the baseline returned different pages")


def _list_args(page: int) -> dict[str, Any]:
    return {"status": STATUS, "sort_by": "created_at", "page_size": PAGE_SIZE, "page": page}


def measure(url: str, iterations: int, warmup: int, rounds: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"psycopg": [], "sync": [], "async": []}
    per_round = max(1, iterations // rounds)
    loop = asyncio.new_event_loop()
    sync_root = Dashin(database_url=url)
    async_root = AsyncDashin(database_url=url)
    try:
        sync_admin = sync_root.as_user(ADMIN_ID)
        async_admin = async_root.as_user(ADMIN_ID)
        with psycopg.connect(url) as conn:

            def run_raw(n: int, out: list[float] | None) -> None:
                for i in range(n):
                    with timed(out if out is not None else []):
                        raw_call(conn, ADMIN_IDENTITY, 1 + i % PAGES)

            def run_sync(n: int, out: list[float] | None) -> None:
                for i in range(n):
                    with timed(out if out is not None else []):
                        sync_admin.leads.list(**_list_args(1 + i % PAGES))

            async def run_async_calls(n: int, out: list[float]) -> None:
                for i in range(n):
                    with timed(out):
                        await async_admin.leads.list(**_list_args(1 + i % PAGES))

            def run_async(n: int, out: list[float] | None) -> None:
                loop.run_until_complete(run_async_calls(n, out if out is not None else []))

            runners: dict[str, Callable[[int, list[float] | None], None]] = {
                "psycopg": run_raw,
                "sync": run_sync,
                "async": run_async,
            }
            for run in runners.values():
                run(warmup, None)
            for _ in range(rounds):
                for name, run in runners.items():
                    run(per_round, samples[name])
    finally:
        sync_root.close()
        loop.run_until_complete(async_root.close())
        loop.close()
    return samples


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sdk_list", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="leads to load (200000)")
    parser.add_argument("--iterations", type=int, default=600, help="timed calls per client")
    parser.add_argument("--warmup", type=int, default=100, help="untimed calls per client first")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    args = parser.parse_args(argv)
    if args.rows < PAGE_SIZE * PAGES * 10 or args.iterations < args.rounds or args.rounds < 1:
        parser.error(f"need --rows >= {PAGE_SIZE * PAGES * 10} and --iterations >= --rounds >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_server(fsync=True) as server:
        with server.admin() as conn:
            version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
        with server.fresh_database("sdk_list") as db:
            url = server.cluster.url_for(db)
            started = time.perf_counter()
            with server.connect(db) as conn:
                load(conn, args.rows)
                matching = conn.execute(
                    "select count(*) from public.leads where agency_id = %s and status = %s",
                    (AGENCY_ID, STATUS),
                ).fetchone()
            print(f"loaded {args.rows} leads in {time.perf_counter() - started:.1f} s", flush=True)
            check_same_rows(url)
            samples = measure(url, args.iterations, args.warmup, args.rounds)

    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratios = {name: medians[name] / medians["psycopg"] for name in ("sync", "async")}
    print(f"\n{'client':<10}{'calls':>7}{'median ms':>11}{'p90 ms':>9}{'vs psycopg':>12}")
    for name, values in samples.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        ratio = medians[name] / medians["psycopg"]
        print(
            f"{name:<10}{len(values):>7}{medians[name] * 1000:>11.3f}{p90 * 1000:>9.3f}"
            f"{ratio:>11.2f}{TIMES}"
        )
    verdict = all(r <= TARGET_RATIO for r in ratios.values())
    print(
        f"\nsync / psycopg = {ratios['sync']:.2f}{TIMES}, async / psycopg = "
        f"{ratios['async']:.2f}{TIMES} (target <= {TARGET_RATIO}{TIMES}): "
        f"{'met' if verdict else 'NOT met'}"
    )
    result = {
        "benchmark": "sdk_list",
        "config": {
            "rows": args.rows,
            "matching_rows": matching[0] if matching else None,
            "status": STATUS,
            "page_size": PAGE_SIZE,
            "pages": PAGES,
            "iterations": args.iterations,
            "warmup": args.warmup,
            "rounds": args.rounds,
        },
        "environment": {
            "postgres": version,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "median_seconds": medians,
        "p90_seconds": {n: statistics.quantiles(v, n=10)[-1] for n, v in samples.items()},
        "ratios": ratios,
        "target_ratio": TARGET_RATIO,
        "target_met": verdict,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
