"""Arguments are checked before anything is sent, and the error names the argument.

The client points at a port nobody listens on: a call that reached the network would fail with
``ConnectionError`` / ``TimeoutError`` instead of the ``ValidationError`` expected here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dashin_sdk import Dashin, ValidationError
from dashin_sdk.settings import ClientOptions

NOWHERE = "postgresql://nobody@127.0.0.1:1/nothing"
UUID1 = "11111111-1111-4111-8111-111111111111"
USER = "00000000-0000-4000-8000-000000000011"


@pytest.fixture(params=["service_role", "user"])
def dx(request: pytest.FixtureRequest) -> Iterator[Dashin]:
    client = Dashin(database_url=NOWHERE, options=ClientOptions(timeout=1, max_retries=0))
    try:
        yield client if request.param == "service_role" else client.as_user(USER)
    finally:
        client.close()


CASES: list[tuple[str, Callable[[Dashin], Any], str]] = [
    ("campaigns.list page", lambda d: d.campaigns.list(page=0), "page"),
    ("campaigns.list status", lambda d: d.campaigns.list(status="gone"), "status"),
    ("campaigns.list search", lambda d: d.campaigns.list(search=5), "search"),  # type: ignore[arg-type]
    ("campaigns.get", lambda d: d.campaigns.get("nope"), "campaign_id"),
    ("campaigns.create name", lambda d: d.campaigns.create(name=""), "name"),
    ("campaigns.create unknown", lambda d: d.campaigns.create(name="x", colour="red"), "colour"),
    ("campaigns.update", lambda d: d.campaigns.update(UUID1, end_date="someday"), "end_date"),
    ("campaigns.analytics", lambda d: d.campaigns.analytics(UUID1, group_by="year"), "group_by"),  # type: ignore[arg-type]
    ("campaigns.add_member", lambda d: d.campaigns.add_member("x", UUID1), "campaign_id"),
    ("leads.list sort_by", lambda d: d.leads.list(sort_by="search_text"), "sort_by"),
    ("leads.list status", lambda d: d.leads.list(status="cold"), "status"),
    ("leads.list priority", lambda d: d.leads.list(priority="p0"), "priority"),
    (
        "leads.list qualification",
        lambda d: d.leads.list(qualification_status="meh"),
        "qualification_status",
    ),
    ("leads.list assigned_to", lambda d: d.leads.list(assigned_to="me"), "assigned_to"),
    ("leads.list campaign_id", lambda d: d.leads.list(campaign_id="c1"), "campaign_id"),
    ("leads.create", lambda d: d.leads.create(email="a@b.c", priority="p0"), "priority"),
    ("leads.record_contact", lambda d: d.leads.record_contact(UUID1, note="x" * 2001), "note"),
    ("leads.bulk_update ids", lambda d: d.leads.bulk_update("abc", status="new"), "lead_ids"),
    ("leads.upsert_many", lambda d: d.leads.upsert_many([], agency_id="a"), "agency_id"),
    ("data_sources.list type", lambda d: d.data_sources.list(type="fax"), "type"),
    ("data_sources.create", lambda d: d.data_sources.create(name="x", type="fax"), "type"),
    ("data_sources.jobs", lambda d: d.data_sources.jobs(UUID1, status="done"), "status"),
    ("jobs.list", lambda d: d.jobs.list(data_source_id="ds"), "data_source_id"),
    ("jobs.create criteria", lambda d: d.jobs.create(UUID1, "criteria"), "search_criteria"),  # type: ignore[arg-type]
    ("jobs.start", lambda d: d.jobs.start("job"), "job_id"),
    ("jobs.logs", lambda d: d.jobs.logs(UUID1, page_size=5000), "page_size"),
    ("analytics.overview", lambda d: d.analytics.overview(range="forever"), "range"),  # type: ignore[arg-type]
    ("analytics.leads", lambda d: d.analytics.leads(campaign_id="c"), "campaign_id"),
    ("notifications.list", lambda d: d.notifications.list(page=-1), "page"),
    ("notifications.mark_read", lambda d: d.notifications.mark_read(["x"]), "ids"),
    ("auth.sign_in email", lambda d: d.auth.sign_in_with_password("nobody", "pw"), "email"),
    ("queue.heartbeat", lambda d: d.queue.heartbeat(UUID1, "w", lease_seconds=0), "lease_seconds"),
    ("queue.fail", lambda d: d.queue.fail("j", "w", "e"), "job_id"),
    ("queue.fail wait", lambda d: d.queue.fail(UUID1, "w", "e", retry_after=-1), "retry_after"),
]


@pytest.mark.parametrize(("call", "field"), [pytest.param(c, f, id=n) for n, c, f in CASES])
def test_bad_argument_is_named_before_any_query(
    dx: Dashin, call: Callable[[Dashin], Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        call(dx)
    assert caught.value.field == field
    assert caught.value.code == "invalid_argument"
    assert field in str(caught.value)
