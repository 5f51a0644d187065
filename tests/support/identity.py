"""Run SQL as an API identity, exactly as PostgREST does it.

PostgREST connects as ``authenticator`` and, for each request, opens a transaction and runs::

    set local role authenticated;                       -- or anon / service_role
    select set_config('request.jwt.claims', '<claims json>', true);

``auth.uid()`` and ``auth.role()`` read those claims and RLS applies for real. The test
connection is a superuser, which may switch to any role, so the same two statements impersonate
any user. ``set local`` and ``set_config(..., true)`` end with the transaction: nothing leaks into
the next one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import sql

ApiRole = Literal["anon", "authenticated", "service_role"]

# Seeded ids (supabase/seed.sql).
AGENCY_A = "11111111-1111-4111-8111-111111111111"  # Demo Agency
AGENCY_B = "22222222-2222-4222-8222-222222222222"  # Acme Growth

SUPER_ADMIN = "00000000-0000-4000-8000-000000000001"
ADMIN_A = "00000000-0000-4000-8000-000000000011"
RESEARCHER_A = "00000000-0000-4000-8000-000000000012"
CLIENT_A = "00000000-0000-4000-8000-000000000013"
ADMIN_B = "00000000-0000-4000-8000-000000000021"
RESEARCHER_B = "00000000-0000-4000-8000-000000000022"
CLIENT_B = "00000000-0000-4000-8000-000000000023"

CAMPAIGN_A1 = "33333333-3333-4333-8333-000000000001"  # Q1 SaaS CTOs (CLIENT_A is a member)
CAMPAIGN_A2 = "33333333-3333-4333-8333-000000000002"  # Fintech Founders
CAMPAIGN_A3 = "33333333-3333-4333-8333-000000000003"  # EU Healthcare IT
CAMPAIGN_B1 = "33333333-3333-4333-8333-000000000004"  # US Retail Ops (CLIENT_B is a member)

DATA_SOURCE_A = "44444444-4444-4444-8444-000000000001"
DATA_SOURCE_B = "44444444-4444-4444-8444-000000000002"


@dataclass(frozen=True)
class Identity:
    """Who makes a call: an API role and, for ``authenticated``, the user."""

    name: str
    role: ApiRole
    user_id: str | None = None
    agency_id: str | None = None
    user_role: str | None = None  # public.user_role of the profile

    def __str__(self) -> str:
        return self.name


SUPER = Identity("super_admin", "authenticated", SUPER_ADMIN, None, "super_admin")
A_ADMIN = Identity("admin_a", "authenticated", ADMIN_A, AGENCY_A, "agency_admin")
A_RESEARCHER = Identity("researcher_a", "authenticated", RESEARCHER_A, AGENCY_A, "researcher")
A_CLIENT = Identity("client_a", "authenticated", CLIENT_A, AGENCY_A, "client")
B_ADMIN = Identity("admin_b", "authenticated", ADMIN_B, AGENCY_B, "agency_admin")
B_RESEARCHER = Identity("researcher_b", "authenticated", RESEARCHER_B, AGENCY_B, "researcher")
B_CLIENT = Identity("client_b", "authenticated", CLIENT_B, AGENCY_B, "client")
ANON = Identity("anon", "anon")
SERVICE = Identity("service_role", "service_role")

SEEDED_USERS: tuple[Identity, ...] = (
    SUPER,
    A_ADMIN,
    A_RESEARCHER,
    A_CLIENT,
    B_ADMIN,
    B_RESEARCHER,
    B_CLIENT,
)


def claims_for(user_id: str | None, role: ApiRole) -> dict[str, Any]:
    """The JWT claims PostgREST would put into ``request.jwt.claims``."""
    claims: dict[str, Any] = {"role": role}
    if user_id is not None:
        claims["sub"] = user_id
        claims["aud"] = "authenticated"
    return claims


def impersonate(
    cur: psycopg.Cursor[Any], user_id: str | None, role: ApiRole = "authenticated"
) -> None:
    """Switch the current transaction to ``role`` with ``user_id``'s claims (PostgREST's way)."""
    cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
    cur.execute(
        "select set_config('request.jwt.claims', %s, true)",
        (json.dumps(claims_for(user_id, role)),),
    )


@contextmanager
def acting_as(
    conn: psycopg.Connection[Any],
    user_id: str | Identity | None,
    role: ApiRole = "authenticated",
    *,
    rollback: bool = False,
) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor inside one transaction that runs as ``user_id`` under ``role``.

    The transaction commits when the block ends (rolls back on an exception, or always with
    ``rollback=True``). ``user_id`` may be an :class:`Identity`, whose role then wins.
    """
    if isinstance(user_id, Identity):
        role = user_id.role
        user_id = user_id.user_id
    with conn.transaction() as tx, conn.cursor() as cur:
        impersonate(cur, user_id, role)
        yield cur
        if rollback:
            raise psycopg.Rollback(tx)


@contextmanager
def as_service_role(conn: psycopg.Connection[Any]) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor in a transaction running as ``service_role`` (a trusted worker)."""
    with acting_as(conn, None, "service_role") as cur:
        yield cur
