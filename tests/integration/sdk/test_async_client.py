"""``AsyncDashin`` on the direct backend: the same resources, awaited, concurrently."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from dashin_sdk import (
    AsyncDashin,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    connection_testers,
)
from dashin_sdk.models.enums import JobStatus, LeadStatus
from tests.integration.sdk.conftest import CREDENTIALS_KEY
from tests.support import factories
from tests.support.factories import Conn, column
from tests.support.identity import (
    ADMIN_A,
    AGENCY_A,
    CAMPAIGN_A1,
    CAMPAIGN_B1,
    CLIENT_A,
    DATA_SOURCE_A,
    RESEARCHER_A,
)


def test_async_reads_and_paging(fresh_db_url: str, conn: Conn) -> None:
    async def scenario() -> None:
        async with AsyncDashin(database_url=fresh_db_url) as dx:
            admin = dx.as_user(ADMIN_A)
            # Concurrent calls share the pool and each keeps its own identity.
            campaigns, leads, client_campaigns = await asyncio.gather(
                admin.campaigns.list(),
                admin.leads.list(status="new", page_size=5, sort_by="email", sort_order="asc"),
                dx.as_user(CLIENT_A).campaigns.list(),
            )
            assert campaigns.meta.total == 3
            assert [c.id for c in client_campaigns.data] == [UUID(CAMPAIGN_A1)]
            expected = column(
                conn,
                "select id from public.leads where agency_id = %s and status = 'new'"
                " order by email, id",
                (AGENCY_A,),
            )
            assert [lead.id for lead in leads.data] == expected[:5]
            assert [lead.id async for lead in leads.iter_all()] == expected
            second = await leads.next_page()
            assert second is not None
            assert [lead.id for lead in second.data] == expected[5:10]
            with pytest.raises(NotFoundError):
                await admin.campaigns.get(CAMPAIGN_B1)
            overview = await admin.analytics.overview(range="7d")
            assert overview.overview.campaigns.total == 3

    asyncio.run(scenario())


def test_async_writes_and_workflow(fresh_db_url: str, conn: Conn) -> None:
    async def scenario() -> None:
        async with AsyncDashin(database_url=fresh_db_url, credentials_key=CREDENTIALS_KEY) as dx:
            admin = dx.as_user(ADMIN_A)
            researcher = dx.as_user(RESEARCHER_A)
            campaign = await admin.campaigns.create(name="Async campaign")
            lead = await researcher.leads.create(email="async@example.com", campaign_id=campaign.id)
            contacted = await researcher.leads.record_contact(lead.id, channel="email")
            assert contacted.status is LeadStatus.CONTACTED
            result = await researcher.leads.upsert_many(
                [{"email": f"a{n}@example.com"} for n in range(5)], batch_size=2
            )
            assert result.inserted == 5
            with pytest.raises(PermissionDeniedError):
                await researcher.leads.delete(lead.id)
            await admin.leads.delete(lead.id)

            source = await admin.data_sources.create(
                name="async source", type="api", credentials={"token": "t"}
            )
            assert source.has_credentials
            job = await researcher.jobs.create(source.id, {"q": "cto"})
            started = await researcher.jobs.start(job.id)
            assert started.run_after is not None
            with pytest.raises(InvalidStateError):
                await researcher.jobs.start(job.id)
            claimed = await dx.queue.claim_next("async-worker")
            assert claimed is not None
            assert claimed.id == job.id
            await dx.queue.add_logs(job.id, AGENCY_A, [("info", "hello", {})])
            done = await dx.queue.complete(job.id, "async-worker")
            assert done.status is JobStatus.COMPLETED
            logs = await researcher.jobs.logs(job.id, level="info")
            assert "hello" in [log.message for log in logs.data]

    asyncio.run(scenario())
    assert column(conn, "select count(*) from public.leads where email like 'a_@example.com'") == [
        5
    ]


class _Passing:
    def test_connection(self, config: object, credentials: object) -> tuple[bool, str]:
        return True, f"credentials: {sorted(credentials or {})}"  # type: ignore[call-overload]


def test_async_connection_test_runs_the_tester(
    fresh_db_url: str, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection_testers, "_registered", {})
    connection_testers.register("api", _Passing())
    source_id = factories.create_data_source(conn, AGENCY_A, "x")
    conn.execute("update public.data_sources set type = 'api' where id = %s", (source_id,))

    async def scenario() -> None:
        async with AsyncDashin(database_url=fresh_db_url, credentials_key=CREDENTIALS_KEY) as dx:
            admin = dx.as_user(ADMIN_A)
            await admin.data_sources.update(source_id, credentials={"token": "t"})
            result = await admin.data_sources.test(source_id)
            assert (result.success, result.message) == (True, "credentials: ['token']")
            assert (await admin.data_sources.get(DATA_SOURCE_A)).last_test_at is None

    asyncio.run(scenario())
