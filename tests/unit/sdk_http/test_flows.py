"""Calls that take more than one request: memberships, job creation, batched upserts,
sealed credentials, connection tests, lazy paging and the worker queue (service key)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from dashin_sdk import connection_testers
from dashin_sdk.credentials import CredentialsKeyring, new_key
from dashin_sdk.errors import ConfigurationError, NotFoundError, PermissionDeniedError
from dashin_sdk.models.enums import JobStatus
from dashin_sdk.models.tables import CampaignMember, DataSource, ScrapingJob, columns_of
from tests.support import postgrest as pg
from tests.support.identity import ADMIN_A, AGENCY_A, CAMPAIGN_A1, CLIENT_A, DATA_SOURCE_A
from tests.unit.sdk_http.harness import Harness, params, sent

SECRET = {"api_key": "plaintext-apollo-key-123"}


def test_add_member_reads_the_campaign_then_inserts(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    get = h.api.get("/rest/v1/campaigns").mock(return_value=pg.rows([pg.campaign()]))
    insert = h.api.post("/rest/v1/campaign_members").mock(return_value=pg.created([pg.member()]))
    member = h.call(dx, lambda c: c.campaigns.add_member(CAMPAIGN_A1, CLIENT_A))
    assert isinstance(member, CampaignMember)
    assert get.call_count == 1
    assert json.loads(sent(insert).content) == [
        {"campaign_id": CAMPAIGN_A1, "user_id": CLIENT_A, "agency_id": AGENCY_A}
    ]
    assert params(sent(insert)) == [("select", ",".join(columns_of(CampaignMember)))]


def test_job_create_takes_the_agency_of_its_data_source(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    source = h.api.get("/rest/v1/data_sources").mock(return_value=pg.rows([pg.data_source()]))
    insert = h.api.post("/rest/v1/scraping_jobs").mock(return_value=pg.created([pg.job()]))
    job = h.call(dx, lambda c: c.jobs.create(DATA_SOURCE_A, {"title": "CTO"}, max_attempts=5))
    assert isinstance(job, ScrapingJob)
    assert params(sent(source))[1] == ("id", f"eq.{DATA_SOURCE_A}")
    assert json.loads(sent(insert).content) == [
        {
            "data_source_id": DATA_SOURCE_A,
            "search_criteria": {"title": "CTO"},
            "max_attempts": 5,
            "agency_id": AGENCY_A,
        }
    ]
    assert sent(insert).headers["Prefer"] == "return=representation"


def test_update_matching_nothing_tells_hidden_from_forbidden(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    h.api.patch("/rest/v1/leads").mock(return_value=pg.rows([]))
    exists = h.api.get("/rest/v1/leads").mock(
        side_effect=[pg.rows([{"id": pg.LEAD_ID}]), pg.rows([])]
    )
    with pytest.raises(PermissionDeniedError):
        h.call(dx, lambda c: c.leads.update(pg.LEAD_ID, title="x"))
    with pytest.raises(NotFoundError):
        h.call(dx, lambda c: c.leads.update(pg.LEAD_ID, title="x"))
    assert params(sent(exists)) == [("select", "id"), ("id", f"eq.{pg.LEAD_ID}"), ("limit", "1")]


def test_upsert_many_sends_batches_and_offsets_rejection_indexes(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    results = [
        {"inserted": 1, "updated": 1, "unchanged": 0, "rejected": 0, "rejections": []},
        {
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": 1,
            "rejections": [{"index": 0, "reason": "no email, linkedin_url or name+company"}],
        },
    ]
    route = h.api.post("/rest/v1/rpc/upsert_leads").mock(
        side_effect=[httpx.Response(200, json=r) for r in results]
    )
    records = [{"email": "a@x.io"}, {"email": "b@x.io"}, {"title": "nobody"}]
    result = h.call(
        dx, lambda c: c.leads.upsert_many(records, campaign_id=CAMPAIGN_A1, batch_size=2)
    )
    assert route.call_count == 2
    first, second = (json.loads(call.request.content) for call in route.calls)
    assert first["records"] == records[:2]
    assert second["records"] == records[2:]
    assert first["campaign_id"] == CAMPAIGN_A1
    assert set(first) == {
        "records",
        "campaign_id",
        "source",
        "data_source_id",
        "scraping_job_id",
        "agency_id",
    }
    assert (result.inserted, result.updated, result.rejected) == (1, 1, 1)
    assert [(r.index, r.reason) for r in result.rejections] == [
        (2, "no email, linkedin_url or name+company")
    ]


def test_data_source_credentials_are_sealed_before_they_leave(h: Harness) -> None:
    key = new_key("k1")
    keyed = h.signed_in(ADMIN_A, credentials_key=key)
    route = h.api.post("/rest/v1/data_sources").mock(return_value=pg.created([pg.data_source()]))
    created = h.call(
        keyed,
        lambda c: c.data_sources.create(
            name="Apollo", type="apollo", config={"per_page": 100}, credentials=SECRET
        ),
    )
    assert isinstance(created, DataSource)
    raw = sent(route).content.decode()
    assert SECRET["api_key"] not in raw
    envelope = json.loads(raw)[0]["credentials"]
    assert envelope["alg"] == "A256GCM"
    assert envelope["kid"] == "k1"
    assert CredentialsKeyring.parse(key).open(envelope) == SECRET


def test_credentials_without_a_key_are_refused_before_any_request(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHIN_CREDENTIALS_KEY", raising=False)
    dx = h.signed_in(ADMIN_A)
    create = h.api.post("/rest/v1/data_sources")
    update = h.api.patch("/rest/v1/data_sources")
    with pytest.raises(ConfigurationError, match="DASHIN_CREDENTIALS_KEY"):
        h.call(dx, lambda c: c.data_sources.create(name="A", type="apollo", credentials=SECRET))
    with pytest.raises(ConfigurationError, match="DASHIN_CREDENTIALS_KEY"):
        h.call(dx, lambda c: c.data_sources.update(DATA_SOURCE_A, credentials=SECRET))
    assert (create.call_count, update.call_count) == (0, 0)


def test_untrusted_connection_test_runs_on_the_dashin_api(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHIN_API_URL", raising=False)
    dx = h.signed_in(ADMIN_A)
    h.api.get("/rest/v1/data_sources").mock(return_value=pg.rows([pg.data_source()]))
    api = h.api.post(f"/functions/v1/data-sources/{DATA_SOURCE_A}/test").mock(
        return_value=httpx.Response(
            200, json={"success": True, "message": "connected", "timestamp": pg.TS}
        )
    )
    result = h.call(dx, lambda c: c.data_sources.test(DATA_SOURCE_A))
    assert (result.success, result.message) == (True, "connected")
    request = sent(api)
    assert request.headers["Authorization"] == f"Bearer {pg.user_token(ADMIN_A)}"
    assert request.headers["apikey"] == pg.ANON_KEY


def test_dashin_api_url_comes_from_the_environment(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHIN_API_URL", "https://api.dashin.test/v1/")
    dx = h.signed_in(ADMIN_A)
    h.api.get("/rest/v1/data_sources").mock(return_value=pg.rows([pg.data_source()]))
    api = h.api.post(f"https://api.dashin.test/v1/data-sources/{DATA_SOURCE_A}/test").mock(
        return_value=httpx.Response(
            200, json={"success": False, "message": "401 from Apollo", "timestamp": pg.TS}
        )
    )
    result = h.call(dx, lambda c: c.data_sources.test(DATA_SOURCE_A))
    assert api.call_count == 1
    assert result.success is False


class _RecordingTester:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def test_connection(
        self, config: Mapping[str, Any], credentials: Mapping[str, Any] | None
    ) -> tuple[bool, str]:
        self.seen.append((dict(config), credentials))
        return True, "ok"


def test_trusted_connection_test_opens_credentials_in_process(h: Harness) -> None:
    key = new_key("k1")
    envelope = CredentialsKeyring.parse(key).seal(SECRET)
    tester = _RecordingTester()
    connection_testers.register("apollo", tester)
    dx = h.client(pg.SERVICE_KEY, credentials_key=key)
    sources = h.api.get("/rest/v1/data_sources").mock(
        side_effect=[pg.rows([pg.data_source()]), pg.rows([{"credentials": envelope}])]
    )
    record = h.api.post("/rest/v1/rpc/record_data_source_test").mock(
        return_value=httpx.Response(
            200, json={"success": True, "message": "ok", "timestamp": pg.TS}
        )
    )
    result = h.call(dx, lambda c: c.data_sources.test(DATA_SOURCE_A))
    assert result.success is True
    assert tester.seen == [({"per_page": 100}, SECRET)]
    assert params(sent(sources)) == [("select", "credentials"), ("id", f"eq.{DATA_SOURCE_A}")]
    assert sent(sources).headers["Authorization"] == f"Bearer {pg.SERVICE_KEY}"
    assert json.loads(sent(record).content) == {
        "data_source_id": DATA_SOURCE_A,
        "success": True,
        "message": "ok",
    }


def test_iter_all_fetches_the_next_page_only_when_needed(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    route = h.api.get("/rest/v1/leads").mock(
        side_effect=[
            pg.rows([pg.lead(), pg.lead(id="66666666-6666-4666-8666-000000000002")], total=3),
            pg.rows([pg.lead(id="66666666-6666-4666-8666-000000000003")], offset=2, total=3),
        ]
    )
    page = h.call(dx, lambda c: c.leads.list(page_size=2))
    assert (page.meta.total, page.meta.page, page.meta.has_more) == (3, 1, True)
    assert route.call_count == 1  # page 2 not fetched yet
    leads = h.collect(page.iter_all())
    assert [str(lead.id)[-1] for lead in leads] == ["1", "2", "3"]
    assert route.call_count == 2
    assert ("offset", "2") in params(sent(route))
    assert ("limit", "2") in params(sent(route))


def test_empty_page_reads_the_star_content_range(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    h.api.get("/rest/v1/campaigns").mock(return_value=pg.rows([], total=0))
    page = h.call(dx, lambda c: c.campaigns.list())
    assert (page.meta.total, page.meta.has_more, page.data) == (0, False, [])
    assert h.call(page, lambda p: p.next_page()) is None


WORKER = "worker-1"
QUEUE_CASES: list[tuple[str, Any, str, Any, dict[str, Any], Any]] = [
    (
        "claim_next",
        lambda dx: dx.queue.claim_next(WORKER, lease_seconds=30),
        "claim_next_job",
        [pg.job(status="running", worker_id=WORKER)],
        {"worker_id": WORKER, "lease_seconds": 30},
        lambda r: isinstance(r, ScrapingJob) and r.worker_id == WORKER,
    ),
    (
        "claim_next(idle)",
        lambda dx: dx.queue.claim_next(WORKER),
        "claim_next_job",
        [],
        {"worker_id": WORKER, "lease_seconds": 60},
        lambda r: r is None,
    ),
    (
        "heartbeat",
        lambda dx: dx.queue.heartbeat(pg.JOB_ID, WORKER),
        "heartbeat_job",
        "paused",
        {"job_id": pg.JOB_ID, "worker_id": WORKER, "lease_seconds": 60},
        lambda r: r is JobStatus.PAUSED,
    ),
    (
        "checkpoint",
        lambda dx: dx.queue.checkpoint(
            pg.JOB_ID,
            WORKER,
            checkpoint={"page": 3},
            progress=30,
            records_processed=300,
            records_qualified=20,
            records_rejected=2,
        ),
        "checkpoint_job",
        "running",
        {
            "job_id": pg.JOB_ID,
            "worker_id": WORKER,
            "checkpoint": {"page": 3},
            "progress": 30,
            "records_processed": 300,
            "records_qualified": 20,
            "records_rejected": 2,
            "lease_seconds": 60,
        },
        lambda r: r is JobStatus.RUNNING,
    ),
    (
        "complete",
        lambda dx: dx.queue.complete(pg.JOB_ID, WORKER, result_file_url="s3://r.csv"),
        "complete_job",
        pg.job(status="completed", progress=100),
        {
            "job_id": pg.JOB_ID,
            "worker_id": WORKER,
            "result_file_url": "s3://r.csv",
            "raw_data_url": None,
        },
        lambda r: r.status is JobStatus.COMPLETED,
    ),
    (
        "fail",
        lambda dx: dx.queue.fail(pg.JOB_ID, WORKER, "429 from Apollo", retryable=True),
        "fail_job",
        pg.job(status="pending", attempts=1),
        {
            "job_id": pg.JOB_ID,
            "worker_id": WORKER,
            "error": "429 from Apollo",
            "retryable": True,
            "details": {},
        },
        lambda r: r.attempts == 1,
    ),
    (
        "fail after a Retry-After",
        lambda dx: dx.queue.fail(pg.JOB_ID, WORKER, "429", retryable=True, retry_after=120),
        "fail_job",
        pg.job(status="pending", attempts=1),
        {
            "job_id": pg.JOB_ID,
            "worker_id": WORKER,
            "error": "429",
            "retryable": True,
            "details": {"retry_after_seconds": 120},
        },
        lambda r: r.attempts == 1,
    ),
    (
        "release",
        lambda dx: dx.queue.release(pg.JOB_ID, WORKER),
        "release_job",
        pg.job(status="pending"),
        {"job_id": pg.JOB_ID, "worker_id": WORKER},
        lambda r: r.status is JobStatus.PENDING,
    ),
]


@pytest.mark.parametrize(
    ("action", "function", "payload", "args", "check"),
    [case[1:] for case in QUEUE_CASES],
    ids=[case[0] for case in QUEUE_CASES],
)
def test_queue_calls_with_the_service_key(
    h: Harness, action: Any, function: str, payload: Any, args: dict[str, Any], check: Any
) -> None:
    dx = h.client(pg.SERVICE_KEY)
    route = h.api.post(f"/rest/v1/rpc/{function}").mock(
        return_value=httpx.Response(200, json=payload)
    )
    result = h.call(dx, action)
    request = sent(route)
    assert json.loads(request.content) == args
    assert request.headers["Authorization"] == f"Bearer {pg.SERVICE_KEY}"
    assert request.headers["apikey"] == pg.SERVICE_KEY
    assert check(result), result


def test_queue_add_logs_is_one_insert(h: Harness) -> None:
    dx = h.client(pg.SERVICE_KEY)
    route = h.api.post("/rest/v1/scraping_job_logs").mock(
        return_value=pg.created([{"id": "a"}, {"id": "b"}])
    )
    entries = [("info", "batch 1", {"n": 100}), ("warning", "slow", {})]
    written = h.call(dx, lambda c: c.queue.add_logs(pg.JOB_ID, AGENCY_A, entries))
    assert written == 2
    assert params(sent(route)) == [("select", "id")]
    assert json.loads(sent(route).content) == [
        {
            "job_id": pg.JOB_ID,
            "agency_id": AGENCY_A,
            "level": "info",
            "message": "batch 1",
            "details": {"n": 100},
        },
        {
            "job_id": pg.JOB_ID,
            "agency_id": AGENCY_A,
            "level": "warning",
            "message": "slow",
            "details": {},
        },
    ]
