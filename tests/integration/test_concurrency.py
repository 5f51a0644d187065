"""Concurrency: exact counters under a random write storm, exclusive job claims, lease expiry.

Every thread has its own connection and runs as an API identity (``tests.support.identity``).
Nothing retries: the triggers are documented to keep counters exact without serialization
failures or deadlocks, so a 40P01 or 40001 is a failure, not something to retry.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from tests.support import factories
from tests.support.factories import Conn
from tests.support.identity import (
    A_ADMIN,
    A_RESEARCHER,
    AGENCY_A,
    CAMPAIGN_A1,
    CAMPAIGN_A2,
    CAMPAIGN_A3,
    DATA_SOURCE_A,
    RESEARCHER_A,
    Identity,
    acting_as,
    as_service_role,
)

THREADS = 8
SEED = 20250101

LEAD_STATUSES = (
    "new",
    "contacted",
    "responded",
    "qualified",
    "nurturing",
    "converted",
    "disqualified",
)
QUALIFICATIONS = ("pending", "qualified", "disqualified")

COUNTER_MISMATCHES = """
select c.id, c.leads_count, c.qualified_leads_count, c.contacted_count, c.responded_count,
    t.leads, t.qualified, t.contacted, t.responded
from public.campaigns as c
cross join lateral (
    select count(l.id)::integer as leads,
        (count(*) filter (where l.qualification_status = 'qualified'))::integer as qualified,
        (count(*) filter (where l.last_contacted_at is not null))::integer as contacted,
        (count(*) filter (where l.last_responded_at is not null))::integer as responded
    from public.leads as l where l.campaign_id = c.id
) as t
where (c.leads_count, c.qualified_leads_count, c.contacted_count, c.responded_count)
    is distinct from (t.leads, t.qualified, t.contacted, t.responded)
"""

DATA_SOURCE_MISMATCHES = """
select d.id, d.total_jobs, d.successful_jobs, d.failed_jobs, d.total_records_scraped,
    t.total, t.successful, t.failed, t.records
from public.data_sources as d
cross join lateral (
    select count(j.id)::integer as total,
        (count(*) filter (where j.status = 'completed'))::integer as successful,
        (count(*) filter (where j.status = 'failed'))::integer as failed,
        coalesce(sum(j.records_processed), 0)::integer as records
    from public.scraping_jobs as j where j.data_source_id = d.id
) as t
where (d.total_jobs, d.successful_jobs, d.failed_jobs, d.total_records_scraped)
    is distinct from (t.total, t.successful, t.failed, t.records)
"""


@dataclass
class Outcome:
    committed: int = 0
    rolled_back: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record_error(self, exc: psycopg.Error, what: str = "") -> None:
        with self.lock:
            self.errors[str(exc.sqlstate)] += 1
            if len(self.messages) < 10:
                self.messages.append(f"{what} -> {exc.sqlstate}: {exc} [{exc.diag.context}]")


def run_threads(worker: Callable[[int], None], n: int = THREADS) -> None:
    failures: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            worker(i)
        except BaseException as exc:  # surfaced in the main thread below
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    if failures:
        raise failures[0]


# (a) counters -------------------------------------------------------------------------------


class LeadStorm:
    """Random lead transactions against a few campaigns, driven by one seeded Random."""

    def __init__(self, url: str, campaigns: list[str], rng: random.Random) -> None:
        self.url = url
        self.campaigns = campaigns
        self.rng = rng
        self.email_pool = [f"pool{n}@storm.example.com" for n in range(150)]

    # PostgreSQL promises no lock order for a multi-row UPDATE/DELETE (an index scan goes by
    # id, a bitmap scan by physical position), so two such statements over overlapping rows
    # can deadlock whatever the schema does. The storm's clients therefore lock their rows in
    # id order first, as careful clients do; the database's own multi-row writers (the upsert's
    # merge, the counters applied at commit) keep that same id order themselves.
    LOCK_IN_ID_ORDER = (
        " where id in (select id from public.leads where id = any(%s::uuid[])"
        " order by id for no key update)"
    )

    def random_ids(self, cur: psycopg.Cursor[Any], campaign: str) -> list[str]:
        cur.execute(
            "select id from public.leads where campaign_id = %s order by id offset %s limit %s",
            (campaign, self.rng.randrange(0, 20), self.rng.randint(1, 4)),
        )
        return [str(r[0]) for r in cur.fetchall()]

    def op_insert(self, cur: psycopg.Cursor[Any], actor: Identity) -> None:
        rows = [
            (
                self.rng.choice(self.campaigns),
                f"ins-{uuid.UUID(int=self.rng.getrandbits(128)).hex}@storm.example.com",
                self.rng.choice(LEAD_STATUSES),
                self.rng.choice(QUALIFICATIONS),
            )
            for _ in range(self.rng.randint(1, 3))
        ]
        # One statement, whatever the number of rows (a PostgREST bulk insert).
        cur.execute(
            "insert into public.leads (campaign_id, email, status, qualification_status)"
            " select c, e, s::public.lead_status, q::public.qualification_status"
            " from unnest(%s::uuid[], %s::text[], %s::text[], %s::text[]) as r (c, e, s, q)",
            [list(col) for col in zip(*rows, strict=True)],
        )

    def op_status(self, cur: psycopg.Cursor[Any], actor: Identity) -> None:
        ids = self.random_ids(cur, self.rng.choice(self.campaigns))
        cur.execute(
            "update public.leads set status = %s" + self.LOCK_IN_ID_ORDER,
            (self.rng.choice(LEAD_STATUSES), ids),
        )

    def op_qualification(self, cur: psycopg.Cursor[Any], actor: Identity) -> None:
        ids = self.random_ids(cur, self.rng.choice(self.campaigns))
        cur.execute(
            "update public.leads set qualification_status = %s" + self.LOCK_IN_ID_ORDER,
            (self.rng.choice(QUALIFICATIONS), ids),
        )

    def op_move(self, cur: psycopg.Cursor[Any], actor: Identity) -> None:
        source, target = self.rng.sample(self.campaigns, 2)
        ids = self.random_ids(cur, source)
        cur.execute(
            "update public.leads set campaign_id = %s" + self.LOCK_IN_ID_ORDER,
            (None if self.rng.random() < 0.1 else target, ids),
        )

    def op_delete(self, cur: psycopg.Cursor[Any], actor: Identity) -> None:
        ids = self.random_ids(cur, self.rng.choice(self.campaigns))
        cur.execute("delete from public.leads" + self.LOCK_IN_ID_ORDER, (ids,))

    def op_upsert(self, cur: psycopg.Cursor[Any], actor: Identity) -> None:
        batch = [
            {
                "email": self.rng.choice(self.email_pool).upper(),
                "first_name": self.rng.choice(["Ada", "Alan", None]),
                "status": self.rng.choice(LEAD_STATUSES),
                "qualification_status": self.rng.choice(QUALIFICATIONS),
            }
            for _ in range(self.rng.randint(2, 12))
        ]
        cur.execute(
            "select * from public.upsert_leads(%s::jsonb, %s)",
            (json.dumps(batch), self.rng.choice(self.campaigns)),
        )

    def run(self, transactions: int, outcome: Outcome) -> None:
        ops = [
            self.op_insert,
            self.op_status,
            self.op_qualification,
            self.op_move,
            self.op_delete,
            self.op_upsert,
        ]
        with factories.connect(self.url) as conn:
            for _ in range(transactions):
                actor = self.rng.choice([A_ADMIN, A_ADMIN, A_RESEARCHER])
                # One write statement per transaction, as PostgREST runs a request (researchers'
                # deletes are RLS-filtered no-ops). Multi-statement transactions: see below.
                chosen = [self.rng.choice(ops)]
                rollback = self.rng.random() < 0.15
                try:
                    with acting_as(conn, actor, rollback=rollback) as cur:
                        for op in chosen:
                            op(cur, actor)
                except psycopg.Error as exc:
                    outcome.record_error(exc, ",".join(op.__name__ for op in chosen))
                    continue
                with outcome.lock:
                    if rollback:
                        outcome.rolled_back += 1
                    else:
                        outcome.committed += 1


class JobStorm:
    """Random job lifecycles on two data sources: create, start, claim, checkpoint, finish."""

    def __init__(self, url: str, data_sources: list[str], rng: random.Random, name: str) -> None:
        self.url = url
        self.data_sources = data_sources
        self.rng = rng
        self.worker = name

    def run(self, rounds: int, outcome: Outcome) -> None:
        with factories.connect(self.url) as conn:
            for _ in range(rounds):
                try:
                    self.one_round(conn)
                except psycopg.Error as exc:
                    outcome.record_error(exc)
                    continue
                with outcome.lock:
                    outcome.committed += 1

    def one_round(self, conn: Conn) -> None:
        with acting_as(conn, A_RESEARCHER) as cur:
            cur.execute(
                "insert into public.scraping_jobs (data_source_id) values (%s) returning id",
                (self.rng.choice(self.data_sources),),
            )
            row = cur.fetchone()
            assert row is not None
            cur.execute("select public.start_job(%s)", (row[0],))
        with as_service_role(conn) as cur:
            cur.execute("select id from public.claim_next_job(%s, 30)", (self.worker,))
            claimed = cur.fetchone()
        if claimed is None:
            return
        job_id = claimed[0]
        processed = self.rng.randint(0, 50)
        with as_service_role(conn) as cur:
            cur.execute(
                "select public.checkpoint_job(%s, %s, '{}'::jsonb, 50, %s, 0, 0, 30)",
                (job_id, self.worker, processed),
            )
        ending = self.rng.choice(["complete", "fail", "retry", "release", "delete", "running"])
        if ending == "delete":
            with acting_as(conn, A_ADMIN) as cur:
                cur.execute("delete from public.scraping_jobs where id = %s", (job_id,))
            return
        if ending == "running":
            return
        with as_service_role(conn) as cur:
            if ending == "complete":
                cur.execute("select public.complete_job(%s, %s)", (job_id, self.worker))
            elif ending == "release":
                cur.execute("select public.release_job(%s, %s)", (job_id, self.worker))
            else:
                cur.execute(
                    "select public.fail_job(%s, %s, 'boom', %s)",
                    (job_id, self.worker, ending == "retry"),
                )


@dataclass(frozen=True)
class Storm:
    url: str
    campaigns: list[str]
    leads: Outcome
    jobs: Outcome


@pytest.fixture(scope="module")
def storm(db_url: str) -> Storm:
    """8 threads of random single-statement lead transactions, then random job lifecycles."""
    with factories.connect(db_url) as conn:
        extra = factories.create_campaign(conn, AGENCY_A, "Storm campaign")
        second_source = factories.create_data_source(conn, AGENCY_A, "Storm source")
    campaigns = [CAMPAIGN_A1, CAMPAIGN_A2, CAMPAIGN_A3, extra]
    leads = Outcome()
    jobs = Outcome()

    def worker(i: int) -> None:
        rng = random.Random(SEED + i)
        LeadStorm(db_url, campaigns, rng).run(150, leads)
        JobStorm(db_url, [DATA_SOURCE_A, second_source], rng, f"w{i}").run(10, jobs)

    run_threads(worker)
    return Storm(db_url, campaigns, leads, jobs)


@pytest.mark.slow
def test_counters_stay_exact_under_concurrent_writes(storm: Storm) -> None:
    with factories.connect(storm.url) as conn:
        assert conn.execute(COUNTER_MISMATCHES).fetchall() == []
        assert conn.execute(DATA_SOURCE_MISMATCHES).fetchall() == []
        total = factories.scalar(
            conn,
            "select count(*) from public.leads where campaign_id = any(%s::uuid[])",
            (storm.campaigns,),
        )
    assert total > 0
    assert storm.leads.committed > 600, storm.leads
    assert storm.leads.rolled_back > 0
    assert storm.jobs.committed > 0
    # Deadlocks are asserted on their own below; nothing else may fail.
    others = {k: n for k, n in (storm.leads.errors + storm.jobs.errors).items() if k != "40P01"}
    assert others == {}, "\n".join(storm.leads.messages + storm.jobs.messages)


@pytest.mark.slow
def test_no_deadlock_under_concurrent_writes(storm: Storm) -> None:
    deadlocks = storm.leads.errors["40P01"] + storm.jobs.errors["40P01"]
    assert deadlocks == 0, "\n".join(storm.leads.messages + storm.jobs.messages)


def test_transactions_writing_two_campaigns_in_opposite_order_do_not_deadlock(
    fresh_db_url: str,
) -> None:
    barrier = threading.Barrier(2, timeout=10)
    errors: list[str] = []

    def transaction(i: int) -> None:
        first, second = (CAMPAIGN_A1, CAMPAIGN_A2) if i == 0 else (CAMPAIGN_A2, CAMPAIGN_A1)
        with factories.connect(fresh_db_url) as conn:
            conn.execute("set deadlock_timeout = '100ms'")
            conn.execute("set lock_timeout = '10s'")
            try:
                with acting_as(conn, A_RESEARCHER) as cur:
                    insert = "insert into public.leads (campaign_id, email) values (%s, %s)"
                    cur.execute(insert, (first, f"first-{i}@order.example.com"))
                    barrier.wait()
                    cur.execute(insert, (second, f"second-{i}@order.example.com"))
            except psycopg.Error as exc:
                errors.append(str(exc.sqlstate))

    run_threads(transaction, 2)
    assert errors == []


def test_two_upserts_crossing_campaigns_do_not_deadlock(fresh_db_url: str) -> None:
    with factories.connect(fresh_db_url) as conn:
        factories.create_lead(conn, AGENCY_A, CAMPAIGN_A1, "cross-a1@example.com")
        factories.create_lead(conn, AGENCY_A, CAMPAIGN_A2, "cross-a2@example.com")
    errors: list[str] = []

    def upsert(target: str, merged: str, new: str) -> None:
        with factories.connect(fresh_db_url) as conn:
            conn.execute("set deadlock_timeout = '100ms'")
            conn.execute("select set_config('application_name', %s, false)", (f"upsert-{new}",))
            # The merge moves a counter of the merged lead's campaign (new -> contacted).
            batch = [{"email": merged, "status": "contacted"}, {"email": new}]
            try:
                with acting_as(conn, A_RESEARCHER) as cur:
                    cur.execute(
                        "select * from public.upsert_leads(%s::jsonb, %s)",
                        (json.dumps(batch), target),
                    )
            except psycopg.Error as exc:
                errors.append(str(exc.sqlstate))

    # A third session holds campaign A2 so the two upserts queue up in a known order.
    with factories.connect(fresh_db_url) as blocker, factories.connect(fresh_db_url) as monitor:
        with blocker.transaction():
            blocker.execute(
                "select 1 from public.campaigns where id = %s for no key update", (CAMPAIGN_A2,)
            )
            into_a2 = threading.Thread(
                target=upsert, args=(CAMPAIGN_A2, "cross-a1@example.com", "new-a2@example.com")
            )
            into_a2.start()
            factories.wait_for_row_lock_wait(
                monitor, "upsert-new-a2@example.com"
            )  # holds no campaign
            into_a1 = threading.Thread(
                target=upsert, args=(CAMPAIGN_A1, "cross-a2@example.com", "new-a1@example.com")
            )
            into_a1.start()
            factories.wait_for_row_lock_wait(monitor, "upsert-new-a1@example.com")  # holds A1
        into_a2.join(timeout=30)
        into_a1.join(timeout=30)
    assert errors == []


# (b) claims ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_each_job_is_claimed_exactly_once(fresh_db_url: str) -> None:
    with factories.connect(fresh_db_url) as conn, conn.transaction():
        for _ in range(200):
            factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, started=True)
        expected = {
            str(r[0])
            for r in conn.execute(
                "select id from public.scraping_jobs where status = 'pending'"
                " and run_after is not null"
            )
        }
    assert len(expected) == 200
    claims: dict[str, list[str]] = {}
    lock = threading.Lock()

    def claimer(i: int) -> None:
        mine: list[str] = []
        with factories.connect(fresh_db_url) as conn:
            while True:
                with as_service_role(conn) as cur:
                    cur.execute("select id from public.claim_next_job(%s, 60)", (f"claimer-{i}",))
                    row = cur.fetchone()
                if row is None:
                    break
                mine.append(str(row[0]))
        with lock:
            claims[f"claimer-{i}"] = mine

    run_threads(claimer)

    every_claim = [job for mine in claims.values() for job in mine]
    assert len(every_claim) == len(set(every_claim)), "a job was claimed twice"
    assert set(every_claim) == expected
    assert sum(1 for mine in claims.values() if mine) > 1, "only one claimer got work"
    with factories.connect(fresh_db_url) as conn:
        rows = conn.execute(
            "select worker_id, count(*) from public.scraping_jobs"
            " where status = 'running' and attempts = 1 group by worker_id"
        ).fetchall()
    assert {w: n for w, n in rows} == {w: len(m) for w, m in claims.items() if m}


# (c) expired leases --------------------------------------------------------------------------


def expire_lease(conn: Conn, job_id: str) -> None:
    conn.execute(
        "update public.scraping_jobs set lease_expires_at = now() - interval '1 minute'"
        " where id = %s",
        (job_id,),
    )


def claim(conn: Conn, worker: str) -> dict[str, Any] | None:
    with as_service_role(conn) as cur:
        cur.execute(
            "select id::text, worker_id, attempts, status::text, checkpoint"
            " from public.claim_next_job(%s, 30)",
            (worker,),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return dict(zip(("id", "worker_id", "attempts", "status", "checkpoint"), row, strict=True))


def test_expired_lease_is_reclaimed_and_resumes_from_checkpoint(fresh_db_url: str) -> None:
    with factories.connect(fresh_db_url) as conn:
        job = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, started=True)
        first = claim(conn, "worker-1")
        assert first is not None
        assert (first["id"], first["attempts"]) == (job, 1)
        with as_service_role(conn) as cur:
            cur.execute(
                "select public.checkpoint_job(%s, 'worker-1', '{\"page\": 3}', 30, 60, 10, 5, 30)",
                (job,),
            )
        expire_lease(conn, job)

        second = claim(conn, "worker-2")
        assert second == {
            "id": job,
            "worker_id": "worker-2",
            "attempts": 2,
            "status": "running",
            "checkpoint": {"page": 3},
        }
        warnings = conn.execute(
            "select message, details from public.scraping_job_logs"
            " where job_id = %s and level = 'warning'",
            (job,),
        ).fetchall()
        assert len(warnings) == 1
        message, details = warnings[0]
        assert "reclaimed" in message
        assert details["previous_worker_id"] == "worker-1"
        assert details["worker_id"] == "worker-2"
        assert details["attempts"] == 2

        # The old worker lost its lease: its writes are refused.
        for call in (
            "select public.heartbeat_job(%s, 'worker-1', 30)",
            "select public.checkpoint_job(%s, 'worker-1', '{}', 90, 90, 0, 0, 30)",
            "select public.complete_job(%s, 'worker-1')",
        ):
            with pytest.raises(psycopg.Error) as excinfo, as_service_role(conn) as cur:
                cur.execute(call, (job,))
            assert excinfo.value.sqlstate == "PT409"


def test_job_past_max_attempts_fails_instead_of_being_reclaimed(fresh_db_url: str) -> None:
    with factories.connect(fresh_db_url) as conn:
        job = factories.create_job(
            conn, AGENCY_A, DATA_SOURCE_A, started=True, created_by=RESEARCHER_A, max_attempts=2
        )
        for attempt, worker in enumerate(("worker-1", "worker-2"), start=1):
            claimed = claim(conn, worker)
            assert claimed is not None
            assert (claimed["id"], claimed["attempts"]) == (job, attempt)
            expire_lease(conn, job)

        assert claim(conn, "worker-3") is None
        status, worker_id, error_count, errors, completed_at = conn.execute(
            "select status::text, worker_id, error_count, errors, completed_at"
            " from public.scraping_jobs where id = %s",
            (job,),
        ).fetchone() or (None, None, None, None, None)
        assert status == "failed"
        assert worker_id is None
        assert error_count == 1
        assert "max_attempts" in errors[-1]["message"]
        assert completed_at is not None
        notified = conn.execute(
            "select type::text, title from public.notifications where related_entity_id = %s",
            (job,),
        ).fetchall()
        assert notified == [("error", "Scraping job failed")]
        failed = factories.scalar(
            conn, "select failed_jobs from public.data_sources where id = %s", (DATA_SOURCE_A,)
        )
        assert failed == 1
