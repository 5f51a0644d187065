"""Small builders for rows the seed does not provide, written as the connecting superuser.

They bypass RLS on purpose: they set up the world a test then looks at through an identity.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

Json = dict[str, Any]
Conn = psycopg.Connection[tuple[Any, ...]]


def connect(url: str) -> Conn:
    """An autocommit connection (transactions are explicit: ``conn.transaction()``)."""
    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def scalar(
    conn: psycopg.Connection[Any], query: str | bytes | sql.SQL | sql.Composed, params: Any = None
) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def column(conn: psycopg.Connection[Any], query: str, params: Sequence[object] = ()) -> list[Any]:
    """The first column of every row of ``query`` (run as the connection's role)."""
    return [row[0] for row in conn.execute(query, params).fetchall()]


def create_agency(conn: psycopg.Connection[Any], name: str) -> str:
    return str(scalar(conn, "insert into public.agencies (name) values (%s) returning id", (name,)))


def create_campaign(
    conn: psycopg.Connection[Any], agency_id: str, name: str, *, created_by: str | None = None
) -> str:
    return str(
        scalar(
            conn,
            "insert into public.campaigns (agency_id, name, status, created_by)"
            " values (%s, %s, 'active', %s) returning id",
            (agency_id, name, created_by),
        )
    )


def create_data_source(
    conn: psycopg.Connection[Any],
    agency_id: str,
    name: str,
    *,
    created_by: str | None = None,
    credentials: Json | None = None,
) -> str:
    return str(
        scalar(
            conn,
            "insert into public.data_sources (agency_id, name, type, created_by, credentials)"
            " values (%s, %s, 'csv', %s, %s) returning id",
            (agency_id, name, created_by, json.dumps(credentials) if credentials else None),
        )
    )


def create_job(
    conn: psycopg.Connection[Any],
    agency_id: str,
    data_source_id: str,
    *,
    created_by: str | None = None,
    campaign_id: str | None = None,
    started: bool = False,
    max_attempts: int = 3,
) -> str:
    """A pending job; ``started`` also queues it (``run_after = now()``), as start_job does."""
    return str(
        scalar(
            conn,
            "insert into public.scraping_jobs"
            " (agency_id, data_source_id, created_by, campaign_id, max_attempts, run_after)"
            " values (%s, %s, %s, %s, %s, case when %s then now() end) returning id",
            (agency_id, data_source_id, created_by, campaign_id, max_attempts, started),
        )
    )


def create_notification(
    conn: psycopg.Connection[Any], user_id: str, agency_id: str | None, title: str
) -> str:
    return str(
        scalar(
            conn,
            "insert into public.notifications (user_id, agency_id, title)"
            " values (%s, %s, %s) returning id",
            (user_id, agency_id, title),
        )
    )


def create_lead(
    conn: psycopg.Connection[Any],
    agency_id: str,
    campaign_id: str | None,
    email: str | None = None,
    **fields: Any,
) -> str:
    columns = ["agency_id", "campaign_id", "email", *fields]
    values = [agency_id, campaign_id, email or f"lead-{uuid.uuid4().hex[:12]}@example.com"]
    values += list(fields.values())
    query = sql.SQL("insert into public.leads ({}) values ({}) returning id").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", ").join(sql.Placeholder() for _ in values),
    )
    return str(scalar(conn, query, values))


def create_auth_user_without_profile(conn: psycopg.Connection[Any], email: str) -> str:
    """An auth.users row whose profile is gone: the target of a profile INSERT."""
    user_id = str(uuid.uuid4())
    with conn.transaction():
        conn.execute(
            "insert into auth.users (id, aud, role, email) values (%s, 'authenticated',"
            " 'authenticated', %s)",
            (user_id, email),
        )
        conn.execute("delete from public.user_profiles where id = %s", (user_id,))
    return user_id


CREDENTIAL_ENVELOPE: Json = {
    "v": 1,
    "alg": "AES-256-GCM",
    "kid": "test-key",
    "nonce": "bm9uY2U=",
    "ciphertext": "c2VjcmV0",
}


def wait_for_row_lock_wait(monitor: Conn, application_name: str) -> None:
    """Until the session named ``application_name`` waits on a row lock (steadily)."""
    steady = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        waiting = scalar(
            monitor,
            "select count(*) from pg_stat_activity where datname = current_database()"
            " and application_name = %s and wait_event in ('tuple', 'transactionid')",
            (application_name,),
        )
        steady = steady + 1 if waiting else 0
        if steady >= 3:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{application_name} never waited on a row lock")
