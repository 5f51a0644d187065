"""upsert_leads(): normalisation, rejections, dedupe, merge rules, idempotence, RLS, races."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import factories
from tests.support.factories import Conn
from tests.support.identity import (
    A_CLIENT,
    A_RESEARCHER,
    AGENCY_A,
    AGENCY_B,
    CAMPAIGN_A1,
    CAMPAIGN_A2,
    CAMPAIGN_B1,
    RESEARCHER_A,
    SERVICE,
    Identity,
    acting_as,
)

Result = dict[str, Any]

LEAD_COLUMNS = (
    "id, agency_id, campaign_id, email, first_name, last_name, company, title, linkedin_url,"
    " phone, source, status, qualification_status, qualification_reason, priority, metadata,"
    " created_by, updated_at"
)


def upsert(conn: Conn, actor: Identity, records: list[Any], **kwargs: Any) -> Result:
    names = ["records", *kwargs]
    args = ", ".join(f"{n} => %({n})s" for n in names)
    params = {"records": json.dumps(records), **kwargs}
    with acting_as(conn, actor) as cur:
        cur.execute(
            "select inserted, updated, unchanged, rejected, rejections"
            f" from public.upsert_leads({args})",
            params,
        )
        row = cur.fetchone()
    assert row is not None
    return dict(
        zip(("inserted", "updated", "unchanged", "rejected", "rejections"), row, strict=True)
    )


def lead_by_email(conn: Conn, email: str) -> dict[str, Any]:
    cur = conn.execute(
        f"select {LEAD_COLUMNS} from public.leads where email = %s",
        (email,),
    )
    assert cur.description is not None
    row = cur.fetchone()
    assert row is not None, email
    return dict(zip((d.name for d in cur.description), row, strict=True))


def snapshot(conn: Conn, agency: str = AGENCY_A) -> list[tuple[Any, ...]]:
    return conn.execute(
        f"select {LEAD_COLUMNS} from public.leads where agency_id = %s order by id",
        (agency,),
    ).fetchall()


def test_normalises_and_attributes_new_leads(conn: Conn) -> None:
    result = upsert(
        conn,
        A_RESEARCHER,
        [
            {
                "email": "  Ada.Lovelace@Example.COM ",
                "linkedin_url": "http://uk.linkedin.com/in/ada-l/?trk=x",
                "first_name": "  Ada ",
                "last_name": "",
                "company": " Analytical Engines ",
                "metadata": {"score": "a"},
            }
        ],
        campaign_id=CAMPAIGN_A1,
        source="import",
    )
    assert result == {"inserted": 1, "updated": 0, "unchanged": 0, "rejected": 0, "rejections": []}
    lead = lead_by_email(conn, "ada.lovelace@example.com")
    assert lead["linkedin_url"] == "https://www.linkedin.com/in/ada-l"
    assert (lead["first_name"], lead["last_name"], lead["company"]) == (
        "Ada",
        None,
        "Analytical Engines",
    )
    assert str(lead["agency_id"]) == AGENCY_A
    assert str(lead["campaign_id"]) == CAMPAIGN_A1
    assert str(lead["created_by"]) == RESEARCHER_A
    assert (lead["source"], lead["status"], lead["priority"]) == ("import", "new", "medium")
    assert lead["metadata"] == {"score": "a"}


def test_rejects_invalid_records_with_index_and_reason(conn: Conn) -> None:
    before = snapshot(conn)
    records: list[Any] = [
        {"email": "ok@example.com"},
        {"email": "not-an-email"},
        {"first_name": "Nameless"},
        {"email": "status@example.com", "status": "bogus"},
        {"emal": "typo@example.com"},
        {"email": {"nested": "x@example.com"}},
        {"email": "prio@example.com", "priority": "asap"},
        {"email": "meta@example.com", "metadata": [1]},
        {"email": "qual@example.com", "qualification_status": "maybe"},
    ]
    result = upsert(conn, A_RESEARCHER, records, campaign_id=CAMPAIGN_A1)
    assert (result["inserted"], result["updated"], result["unchanged"], result["rejected"]) == (
        1,
        0,
        0,
        8,
    )
    reasons = {r["index"]: r["reason"] for r in result["rejections"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert reasons[1] == "invalid email: not-an-email"
    assert reasons[2].startswith("no identity")
    assert reasons[3] == "invalid status: bogus"
    assert reasons[4] == "unknown field(s): emal"
    assert reasons[5].startswith("field(s) must be")
    assert reasons[5].endswith(": email")
    assert reasons[6] == "invalid priority: asap"
    assert reasons[7] == "metadata must be a JSON object"
    assert reasons[8] == "invalid qualification_status: maybe"
    assert len(snapshot(conn)) == len(before) + 1


@pytest.mark.parametrize("records", [{"email": "a@example.com"}, None], ids=["object", "null"])
def test_records_must_be_an_array(conn: Conn, records: Any) -> None:
    with pytest.raises(psycopg.Error) as excinfo, acting_as(conn, A_RESEARCHER) as cur:
        cur.execute(
            "select * from public.upsert_leads(%s::jsonb, %s)",
            (None if records is None else json.dumps(records), CAMPAIGN_A1),
        )
    assert excinfo.value.sqlstate == "22023"


def test_a_record_that_is_not_an_object_is_rejected_with_its_index(conn: Conn) -> None:
    result = upsert(
        conn, A_RESEARCHER, [{"email": "fine@example.com"}, 42, ["x"]], campaign_id=CAMPAIGN_A1
    )
    assert (result["inserted"], result["rejected"]) == (1, 2)
    assert result["rejections"] == [
        {"index": 1, "reason": "record is not a JSON object"},
        {"index": 2, "reason": "record is not a JSON object"},
    ]


def test_in_batch_duplicates_merge_into_the_first(conn: Conn) -> None:
    result = upsert(
        conn,
        A_RESEARCHER,
        [
            {"email": "dup@example.com", "first_name": "First"},
            {"email": " DUP@example.com ", "first_name": "Second", "last_name": "Filled"},
            {"email": "Dup@Example.com", "title": "CTO"},
        ],
        campaign_id=CAMPAIGN_A1,
    )
    assert (result["inserted"], result["updated"], result["unchanged"]) == (1, 0, 2)
    lead = lead_by_email(conn, "dup@example.com")
    assert (lead["first_name"], lead["last_name"], lead["title"]) == ("First", "Filled", "CTO")


def test_merge_fills_empty_fields_and_never_overwrites(conn: Conn) -> None:
    factories.create_lead(
        conn,
        AGENCY_A,
        CAMPAIGN_A1,
        "merge@example.com",
        first_name="Original",
        status="contacted",
        metadata=json.dumps({"a": 1}),
    )
    result = upsert(
        conn,
        A_RESEARCHER,
        [
            {
                "email": "MERGE@example.com",
                "first_name": "Replacement",
                "title": "CTO",
                "status": "qualified",
                "qualification_status": "qualified",
                "metadata": {"a": 2, "b": 1},
            }
        ],
        campaign_id=CAMPAIGN_A2,
    )
    assert (result["inserted"], result["updated"], result["unchanged"]) == (0, 1, 0)
    lead = lead_by_email(conn, "merge@example.com")
    assert lead["first_name"] == "Original"
    assert lead["title"] == "CTO"
    assert lead["status"] == "contacted"  # only 'new' counts as empty
    assert lead["qualification_status"] == "qualified"  # 'pending' counts as empty
    assert str(lead["campaign_id"]) == CAMPAIGN_A1  # never moved
    assert lead["metadata"] == {"a": 1, "b": 1}


def test_replaying_a_batch_changes_nothing(conn: Conn) -> None:
    batch = [
        {"email": f"replay{n}@example.com", "first_name": "R", "metadata": {"n": str(n)}}
        for n in range(20)
    ] + [{"linkedin_url": "https://linkedin.com/in/replay"}, {"email": "bad"}]
    first = upsert(conn, A_RESEARCHER, batch, campaign_id=CAMPAIGN_A1)
    assert (first["inserted"], first["rejected"]) == (21, 1)
    before = snapshot(conn)
    audit_before = factories.scalar(conn, "select count(*) from public.audit_log")
    counters_before = conn.execute(
        "select leads_count, qualified_leads_count from public.campaigns where id = %s",
        (CAMPAIGN_A1,),
    ).fetchone()

    again = upsert(conn, A_RESEARCHER, batch, campaign_id=CAMPAIGN_A1)
    assert again == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 21,
        "rejected": 1,
        "rejections": first["rejections"],
    }
    assert snapshot(conn) == before
    assert factories.scalar(conn, "select count(*) from public.audit_log") == audit_before
    assert (
        conn.execute(
            "select leads_count, qualified_leads_count from public.campaigns where id = %s",
            (CAMPAIGN_A1,),
        ).fetchone()
        == counters_before
    )


def test_dedupes_by_linkedin_url_then_by_name_and_company(conn: Conn) -> None:
    upsert(
        conn,
        A_RESEARCHER,
        [
            {"linkedin_url": "https://www.linkedin.com/in/grace-h", "first_name": "Grace"},
            {"first_name": "Alan", "last_name": "Turing", "company": "Bletchley"},
        ],
        campaign_id=CAMPAIGN_A1,
    )
    count = len(snapshot(conn))
    result = upsert(
        conn,
        A_RESEARCHER,
        [
            {"linkedin_url": "linkedin.com/in/Grace-H/?utm=1", "email": "grace@navy.example.com"},
            {"first_name": "ALAN", "last_name": "turing", "company": "bletchley", "title": "Dr"},
        ],
        campaign_id=CAMPAIGN_A1,
    )
    assert (result["inserted"], result["updated"], result["unchanged"]) == (0, 2, 0)
    assert len(snapshot(conn)) == count
    grace = lead_by_email(conn, "grace@navy.example.com")
    assert (grace["first_name"], grace["linkedin_url"]) == (
        "Grace",
        "https://www.linkedin.com/in/grace-h",
    )
    title = factories.scalar(
        conn,
        "select title from public.leads where last_name = 'Turing' and company = 'Bletchley'",
    )
    assert title == "Dr"


def test_linkedin_match_never_merges_two_different_emails(conn: Conn) -> None:
    upsert(
        conn,
        A_RESEARCHER,
        [{"email": "one@example.com", "linkedin_url": "https://www.linkedin.com/in/same"}],
    )
    result = upsert(
        conn,
        A_RESEARCHER,
        [{"email": "two@example.com", "linkedin_url": "https://www.linkedin.com/in/same"}],
    )
    assert result["inserted"] == 1


def test_concurrent_overlapping_upserts_create_no_duplicates(fresh_db_url: str) -> None:
    emails = [f"race{n}@example.com" for n in range(300)]
    batches = [
        [{"email": e, "first_name": "One"} for e in emails[:200]],
        [{"email": e.upper(), "last_name": "Two"} for e in emails[100:]],
    ]
    results: list[Result] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=10)

    def run(i: int) -> None:
        try:
            with factories.connect(fresh_db_url) as conn:
                barrier.wait()
                results.append(upsert(conn, A_RESEARCHER, batches[i], campaign_id=CAMPAIGN_A1))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r["inserted"] for r in results) == 300
    assert all(sum(r[k] for k in ("inserted", "updated", "unchanged")) == 200 for r in results)
    with factories.connect(fresh_db_url) as conn:
        rows = conn.execute(
            "select email, count(*) over (partition by email), first_name, last_name"
            " from public.leads where email like 'race%%'"
        ).fetchall()
        assert len(rows) == 300
        assert all(n == 1 for _, n, _, _ in rows)
        # The overlap got both halves, whoever won the insert.
        overlap = [r for r in rows if 100 <= int(r[0][4:].split("@")[0]) < 200]
        assert all((f, last) == ("One", "Two") for _, _, f, last in overlap)
        assert conn.execute(
            "select leads_count from public.campaigns where id = %s", (CAMPAIGN_A1,)
        ).fetchone() == (
            factories.scalar(
                conn, "select count(*) from public.leads where campaign_id = %s", (CAMPAIGN_A1,)
            ),
        )


@pytest.mark.parametrize("isolation", [None, psycopg.IsolationLevel.REPEATABLE_READ])
def test_an_upsert_that_loses_the_race_for_a_new_email_merges_into_the_winner(
    fresh_db_url: str, isolation: psycopg.IsolationLevel | None
) -> None:
    """The second insert of one new email waits for the first, then merges (no error, no twin).

    The first upsert's transaction stays open while the second one starts: the second cannot
    see the new lead, tries to insert it, and waits on the unique index. When the first
    commits, the second's attempt fails with a unique violation and runs again, now seeing the
    lead and filling what it lacks. Under REPEATABLE READ a new attempt would see the same
    snapshot, so the caller gets a serialization failure to retry, as with ON CONFLICT.
    """
    outcome: list[Result] = []
    errors: list[BaseException] = []

    def second_upsert() -> None:
        try:
            with factories.connect(fresh_db_url) as conn:
                conn.execute("set application_name = 'loser'")
                conn.isolation_level = isolation
                outcome.append(
                    upsert(
                        conn,
                        A_RESEARCHER,
                        [
                            {"email": "other-new@example.com"},
                            {
                                "email": " Race@Example.com",
                                "first_name": "B",
                                "last_name": "Two",
                                "status": "contacted",
                            },
                        ],
                        campaign_id=CAMPAIGN_A1,
                    )
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    loser = threading.Thread(target=second_upsert)
    with (
        factories.connect(fresh_db_url) as winner,
        factories.connect(fresh_db_url) as monitor,
    ):
        with acting_as(winner, A_RESEARCHER) as cur:
            cur.execute(
                "select inserted from public.upsert_leads(%s::jsonb, %s)",
                (json.dumps([{"email": "race@example.com", "first_name": "A"}]), CAMPAIGN_A1),
            )
            assert cur.fetchone() == (1,)
            loser.start()
            factories.wait_for_row_lock_wait(monitor, "loser")
        loser.join(timeout=30)
        rows = winner.execute(
            "select email, first_name, last_name, status::text from public.leads"
            " where email in ('race@example.com', 'other-new@example.com') order by email"
        ).fetchall()
    if isolation is None:
        assert errors == []
        assert outcome == [
            {"inserted": 1, "updated": 1, "unchanged": 0, "rejected": 0, "rejections": []}
        ]
        # One lead per email; the winner's first name stays, the loser filled the rest by the
        # rules of any duplicate (a 'new' status counts as empty).
        assert rows == [
            ("other-new@example.com", None, None, "new"),
            ("race@example.com", "A", "Two", "contacted"),
        ]
    else:
        assert [type(e) for e in errors] == [psycopg.errors.SerializationFailure]
        assert outcome == []
        # The loser's transaction rolled back whole: nothing of it was stored.
        assert rows == [("race@example.com", "A", None, "new")]


def test_a_client_cannot_upsert(conn: Conn) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        upsert(conn, A_CLIENT, [{"email": "client-new@example.com"}], campaign_id=CAMPAIGN_A1)
    # A lead of a campaign the client may read: nothing changes either.
    visible = factories.scalar(
        conn, "select email from public.leads where campaign_id = %s limit 1", (CAMPAIGN_A1,)
    )
    before = snapshot(conn)
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
        upsert(conn, A_CLIENT, [{"email": visible, "title": "Changed by client", "phone": "1"}])
    assert snapshot(conn) == before


@pytest.mark.parametrize(
    "kwargs",
    [{"agency_id": AGENCY_B}, {"campaign_id": CAMPAIGN_B1}],
    ids=["agency_id", "campaign_id"],
)
def test_a_researcher_cannot_upsert_into_the_other_agency(
    conn: Conn, kwargs: dict[str, str]
) -> None:
    existing = factories.scalar(
        conn, "select email from public.leads where agency_id = %s limit 1", (AGENCY_B,)
    )
    before = snapshot(conn, AGENCY_B)
    with pytest.raises(psycopg.Error):
        upsert(
            conn,
            A_RESEARCHER,
            [{"email": "intruder@example.com"}, {"email": existing, "title": "Hijacked"}],
            **kwargs,
        )
    assert snapshot(conn, AGENCY_B) == before


# Property: the counts add up and email dedupe is exact ------------------------------------------

valid_emails = st.builds(
    lambda local, domain, pad, upper: (
        (" " * pad) + (f"{local}@{domain}".upper() if upper else f"{local}@{domain}") + (" " * pad)
    ),
    st.sampled_from(["ada", "alan", "grace", "linus", "a.b", "x+y"]),
    st.sampled_from(["example.com", "mail.example.org"]),
    st.integers(0, 2),
    st.booleans(),
)
invalid_emails = st.sampled_from(["no-at-sign", "two@@example.com", "sp ace@example.com", "a@b"])
records_strategy = st.lists(
    st.one_of(
        valid_emails.map(lambda e: {"email": e}),
        valid_emails.map(lambda e: {"email": e, "title": "CTO"}),
        invalid_emails.map(lambda e: {"email": e}),
        st.just({"first_name": "Nobody"}),
    ),
    max_size=25,
)


@pytest.fixture(scope="module")
def property_conn(db_url: str) -> Iterator[tuple[Conn, str]]:
    with factories.connect(db_url) as c:
        yield c, factories.create_agency(c, "Property Agency")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=records_strategy)
def test_counts_add_up_and_emails_are_unique(
    property_conn: tuple[Conn, str], batch: list[dict[str, str]]
) -> None:
    conn, agency = property_conn
    valid = {
        r["email"].strip().lower()
        for r in batch
        if "email" in r
        and "@" in r["email"]
        and r["email"].strip().lower().count("@") == 1
        and " " not in r["email"].strip()
        and "." in r["email"].split("@")[-1]
    }
    with acting_as(conn, SERVICE, rollback=True) as cur:
        cur.execute(
            "select inserted, updated, unchanged, rejected"
            " from public.upsert_leads(%s::jsonb, agency_id => %s)",
            (json.dumps(batch), agency),
        )
        row = cur.fetchone()
        assert row is not None
        inserted, updated, unchanged, rejected = row
        cur.execute(
            "select count(*), count(distinct email) from public.leads"
            " where agency_id = %s and email is not null",
            (agency,),
        )
        with_email, distinct = cur.fetchone() or (None, None)
    assert inserted + updated + unchanged + rejected == len(batch)
    assert with_email == distinct == len(valid) == inserted
    assert rejected == len(batch) - sum(
        1 for r in batch if "email" in r and r["email"].strip().lower() in valid
    )


def test_a_batch_insert_is_audited_once_with_every_new_id(conn: Conn) -> None:
    result = upsert(
        conn,
        A_RESEARCHER,
        [{"email": f"audit{i}@example.com"} for i in range(3)],
        campaign_id=CAMPAIGN_A1,
    )
    assert result["inserted"] == 3
    rows = conn.execute(
        "select row_id, row_ids, actor_id::text, changes from public.audit_log"
        " where table_name = 'leads' and action = 'insert'"
        " and row_ids && array(select id from public.leads where email like 'audit%%')"
    ).fetchall()
    new_ids = {r[0] for r in conn.execute("select id from public.leads where email like 'audit%%'")}
    assert len(rows) == 1
    row_id, row_ids, actor, changes = rows[0]
    assert row_id is None  # several rows: see row_ids
    assert set(row_ids) == new_ids
    assert actor == RESEARCHER_A
    assert changes == {}
