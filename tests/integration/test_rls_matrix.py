"""The RLS matrix: who may select / insert / update / delete what, table by table.

Every case runs inside one transaction as an API identity, the way PostgREST does it
(``tests.support.identity``), and is rolled back. Expectations are *scopes* — which rows of the
targeted agency the identity may touch — turned into exact row counts by the same predicate
evaluated as the superuser, or ``DENIED`` (SQLSTATE 42501: no privilege, or a new row that
violates a policy).

The rules (DESIGN.md, migration 002's header, and the product rules):

* super_admin: everything, every agency — except what no API user may do at all: writing job
  logs (workers write them), writing notifications of others, touching analytics_cache,
  writing audit_log, editing campaign_members rows (they are added and removed, not edited);
* agency_admin: full CRUD inside their own agency;
* researcher: reads campaigns, reads/creates/updates leads (never deletes them, never writes
  campaigns), reads data sources (never ``credentials``), creates and controls jobs;
* client: reads the campaigns they are a member of and those campaigns' leads; nothing of data
  sources, jobs, job logs;
* every user reads / marks read / deletes only their own notifications;
* analytics_cache: no API role reads it; audit_log: super_admin and the agency's admins read it,
  nobody writes it (service_role included);
* anon: nothing.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.support import factories
from tests.support.factories import Conn
from tests.support.identity import (
    A_ADMIN,
    A_CLIENT,
    A_RESEARCHER,
    ADMIN_B,
    AGENCY_A,
    AGENCY_B,
    ANON,
    B_ADMIN,
    B_CLIENT,
    B_RESEARCHER,
    CAMPAIGN_A1,
    CAMPAIGN_A2,
    CAMPAIGN_B1,
    CLIENT_A,
    CLIENT_B,
    DATA_SOURCE_A,
    DATA_SOURCE_B,
    RESEARCHER_A,
    RESEARCHER_B,
    SEEDED_USERS,
    SERVICE,
    SUPER,
    Identity,
    acting_as,
)


class Scope(enum.Enum):
    ALL = "all rows of the target agency"
    AGENCY = "rows of the caller's own agency"
    AGENCY_NOT_SELF = "rows of the caller's own agency except their own profile"
    SELF = "the caller's own rows"
    MEMBER = "rows of campaigns the caller is a member of"
    NONE = "no row (silently filtered; an INSERT is rejected)"
    DENIED = "SQLSTATE 42501"
    FK_RESTRICT = "SQLSTATE 23503 (the agency still has users)"


ALL = Scope.ALL
AGENCY = Scope.AGENCY
AGENCY_NOT_SELF = Scope.AGENCY_NOT_SELF
SELF = Scope.SELF
MEMBER = Scope.MEMBER
NONE = Scope.NONE
DENIED = Scope.DENIED
FK_RESTRICT = Scope.FK_RESTRICT

OPS = ("select", "insert", "update", "delete")
ROLE_KINDS = ("super_admin", "agency_admin", "researcher", "client")

# table -> op -> (super_admin, agency_admin, researcher, client). anon is DENIED everywhere.
RULES: dict[str, dict[str, tuple[Scope, Scope, Scope, Scope]]] = {
    "agencies": {
        "select": (ALL, AGENCY, AGENCY, AGENCY),
        "insert": (ALL, NONE, NONE, NONE),
        "update": (ALL, AGENCY, NONE, NONE),
        # ON DELETE RESTRICT from user_profiles; deleting an empty agency: see below.
        "delete": (FK_RESTRICT, NONE, NONE, NONE),
    },
    "user_profiles": {
        "select": (ALL, AGENCY, AGENCY, SELF),
        "insert": (ALL, AGENCY, NONE, NONE),
        "update": (ALL, AGENCY, SELF, SELF),
        "delete": (ALL, AGENCY_NOT_SELF, NONE, NONE),
    },
    "campaigns": {
        "select": (ALL, AGENCY, AGENCY, MEMBER),
        "insert": (ALL, AGENCY, NONE, NONE),
        "update": (ALL, AGENCY, NONE, NONE),
        "delete": (ALL, AGENCY, NONE, NONE),
    },
    "campaign_members": {
        "select": (ALL, AGENCY, AGENCY, SELF),
        "insert": (ALL, AGENCY, NONE, NONE),
        "update": (DENIED, DENIED, DENIED, DENIED),
        "delete": (ALL, AGENCY, NONE, NONE),
    },
    "leads": {
        "select": (ALL, AGENCY, AGENCY, MEMBER),
        "insert": (ALL, AGENCY, AGENCY, NONE),
        "update": (ALL, AGENCY, AGENCY, NONE),
        "delete": (ALL, AGENCY, NONE, NONE),
    },
    "data_sources": {
        "select": (ALL, AGENCY, AGENCY, NONE),
        "insert": (ALL, AGENCY, NONE, NONE),
        "update": (ALL, AGENCY, NONE, NONE),
        "delete": (ALL, AGENCY, NONE, NONE),
    },
    "scraping_jobs": {
        "select": (ALL, AGENCY, AGENCY, NONE),
        "insert": (ALL, AGENCY, AGENCY, NONE),
        "update": (ALL, AGENCY, AGENCY, NONE),
        "delete": (ALL, AGENCY, NONE, NONE),
    },
    "scraping_job_logs": {
        "select": (ALL, AGENCY, AGENCY, NONE),
        "insert": (DENIED, DENIED, DENIED, DENIED),
        "update": (DENIED, DENIED, DENIED, DENIED),
        "delete": (DENIED, DENIED, DENIED, DENIED),
    },
    "notifications": {
        "select": (SELF, SELF, SELF, SELF),
        "insert": (DENIED, DENIED, DENIED, DENIED),
        "update": (SELF, SELF, SELF, SELF),
        "delete": (SELF, SELF, SELF, SELF),
    },
    "analytics_cache": {
        "select": (DENIED, DENIED, DENIED, DENIED),
        "insert": (DENIED, DENIED, DENIED, DENIED),
        "update": (DENIED, DENIED, DENIED, DENIED),
        "delete": (DENIED, DENIED, DENIED, DENIED),
    },
    "audit_log": {
        "select": (ALL, AGENCY, NONE, NONE),
        "insert": (DENIED, DENIED, DENIED, DENIED),
        "update": (DENIED, DENIED, DENIED, DENIED),
        "delete": (DENIED, DENIED, DENIED, DENIED),
    },
}

IDENTITIES = (SUPER, A_ADMIN, A_RESEARCHER, A_CLIENT, B_ADMIN, B_RESEARCHER, B_CLIENT, ANON)
TARGETS = {"agency_a": AGENCY_A, "agency_b": AGENCY_B}


@dataclass(frozen=True)
class TableSpec:
    agency_col: str = "agency_id"
    self_col: str | None = None  # the column naming the user a row belongs to
    member_col: str | None = None  # the column naming the campaign a row belongs to
    set_clause: str = ""  # the UPDATE the matrix tries (columns the API may update)


TABLES: dict[str, TableSpec] = {
    "agencies": TableSpec("id", set_clause="settings = settings || '{\"matrix\": true}'"),
    "user_profiles": TableSpec(
        self_col="id", set_clause="settings = settings || '{\"matrix\": true}'"
    ),
    "campaigns": TableSpec(member_col="id", set_clause="description = 'matrix'"),
    "campaign_members": TableSpec(self_col="user_id", set_clause="created_at = now()"),
    "leads": TableSpec(member_col="campaign_id", set_clause="title = 'matrix'"),
    "data_sources": TableSpec(set_clause="description = 'matrix'"),
    "scraping_jobs": TableSpec(set_clause="config = config || '{\"matrix\": true}'"),
    "scraping_job_logs": TableSpec(set_clause="message = 'matrix'"),
    "notifications": TableSpec(self_col="user_id", set_clause="read = true"),
    "analytics_cache": TableSpec(set_clause="cache_value = '{}'"),
    "audit_log": TableSpec(set_clause="actor_role = 'matrix'"),
}


@dataclass(frozen=True)
class World:
    """Rows added to the seed so every table has data in both agencies."""

    campaign_b2: str  # a second Acme campaign CLIENT_B is not a member of
    orphan_user: str  # an auth user without a profile (target of profile inserts)
    jobs: dict[str, str]  # agency -> a pending job
    empty_agency: str


@pytest.fixture(scope="module")
def conn(db_url: str) -> Iterator[Conn]:
    with factories.connect(db_url) as c:
        yield c


@pytest.fixture(scope="module")
def world(conn: Conn) -> World:
    campaign_b2 = factories.create_campaign(conn, AGENCY_B, "Matrix B2", created_by=ADMIN_B)
    for n in range(3):
        factories.create_lead(conn, AGENCY_B, campaign_b2, f"b2-{n}@retail.example.com")
    conn.execute(
        "update public.data_sources set credentials = %s where id = %s",
        (json.dumps(factories.CREDENTIAL_ENVELOPE), DATA_SOURCE_A),
    )
    jobs = {
        AGENCY_A: factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, created_by=RESEARCHER_A),
        AGENCY_B: factories.create_job(conn, AGENCY_B, DATA_SOURCE_B, created_by=RESEARCHER_B),
    }
    for user in SEEDED_USERS:
        for agency in (user.agency_id,) if user.agency_id else (AGENCY_A, AGENCY_B):
            factories.create_notification(conn, str(user.user_id), agency, "Welcome")
            factories.create_notification(conn, str(user.user_id), agency, "Second")
    for agency in (AGENCY_A, AGENCY_B):
        conn.execute(
            "insert into public.analytics_cache (cache_key, cache_value, agency_id, expires_at)"
            " values (%s, '{}', %s, now() + interval '1 hour')",
            (f"matrix:{agency}", agency),
        )
    return World(
        campaign_b2=campaign_b2,
        orphan_user=factories.create_auth_user_without_profile(conn, "orphan@example.com"),
        jobs=jobs,
        empty_agency=factories.create_agency(conn, "Empty Agency"),
    )


def insert_statement(table: str, actor: Identity, target: str, world: World) -> sql.Composed:
    """An INSERT of one valid row into ``table`` for agency ``target``."""
    other_campaign = {AGENCY_A: CAMPAIGN_A2, AGENCY_B: world.campaign_b2}[target]
    client = {AGENCY_A: CLIENT_A, AGENCY_B: CLIENT_B}[target]
    data_source = {AGENCY_A: DATA_SOURCE_A, AGENCY_B: DATA_SOURCE_B}[target]
    rows: dict[str, dict[str, object]] = {
        "agencies": {"name": "Matrix Agency"},
        "user_profiles": {"id": world.orphan_user, "agency_id": target, "role": "researcher"},
        "campaigns": {"agency_id": target, "name": "Matrix campaign"},
        "campaign_members": {"campaign_id": other_campaign, "user_id": client, "agency_id": target},
        "leads": {"agency_id": target, "email": "matrix-new@example.com"},
        "data_sources": {"agency_id": target, "name": "Matrix source", "type": "csv"},
        "scraping_jobs": {"agency_id": target, "data_source_id": data_source},
        "scraping_job_logs": {
            "job_id": world.jobs[target],
            "agency_id": target,
            "message": "forged",
        },
        "notifications": {
            "user_id": actor.user_id or client,
            "agency_id": target,
            "title": "forged",
        },
        "analytics_cache": {
            "cache_key": "matrix:forged",
            "cache_value": "{}",
            "agency_id": target,
            "expires_at": "2100-01-01",
        },
        "audit_log": {
            "table_name": "leads",
            "action": "insert",
            "actor_role": "forged",
            "agency_id": target,
            "changes": "{}",
        },
    }
    row = rows[table]
    return sql.SQL("insert into public.{} ({}) values ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in row),
        sql.SQL(", ").join(sql.Literal(v) for v in row.values()),
    )


def scope_predicate(table: str, scope: Scope, actor: Identity) -> sql.Composable:
    spec = TABLES[table]
    if scope is ALL:
        return sql.SQL("true")
    if scope is NONE:
        return sql.SQL("false")
    if scope is AGENCY:
        return sql.SQL("{} = {}").format(
            sql.Identifier(spec.agency_col), sql.Literal(actor.agency_id)
        )
    if scope is AGENCY_NOT_SELF:
        return sql.SQL("{} = {} and id <> {}").format(
            sql.Identifier(spec.agency_col),
            sql.Literal(actor.agency_id),
            sql.Literal(actor.user_id),
        )
    if scope is SELF:
        assert spec.self_col, table
        return sql.SQL("{} = {}").format(sql.Identifier(spec.self_col), sql.Literal(actor.user_id))
    if scope is MEMBER:
        assert spec.member_col, table
        return sql.SQL(
            "{} in (select m.campaign_id from public.campaign_members as m where m.user_id = {})"
        ).format(sql.Identifier(spec.member_col), sql.Literal(actor.user_id))
    raise AssertionError(scope)


def target_predicate(table: str, target: str) -> sql.Composed:
    return sql.SQL("{} = {}").format(sql.Identifier(TABLES[table].agency_col), sql.Literal(target))


def expected_scope(actor: Identity, table: str, op: str) -> Scope:
    if actor.role == "anon":
        return DENIED
    return RULES[table][op][ROLE_KINDS.index(str(actor.user_role))]


def matrix_cases() -> Iterator[Any]:
    for actor in IDENTITIES:
        for table in RULES:
            for op in OPS:
                for target_name in TARGETS:
                    case_id = f"{actor}-{table}-{op}-{target_name}"
                    yield pytest.param(actor, table, op, target_name, id=case_id)


def run_as(conn: Conn, actor: Identity, statement: sql.Composed | sql.SQL) -> int:
    """Run ``statement`` as ``actor`` in a rolled-back transaction; rows affected or counted."""
    with acting_as(conn, actor, rollback=True) as cur:
        cur.execute(statement)
        if cur.description is not None:
            row = cur.fetchone()
            assert row is not None
            return int(row[0])
        return cur.rowcount


def operation_statement(
    table: str, op: str, actor: Identity, target: str, world: World
) -> sql.Composed:
    where = target_predicate(table, target)
    ident = sql.Identifier(table)
    if op == "select":
        return sql.SQL("select count(*) from public.{} where {}").format(ident, where)
    if op == "insert":
        return insert_statement(table, actor, target, world)
    if op == "update":
        return sql.SQL("update public.{} set {} where {}").format(
            ident,
            sql.SQL(TABLES[table].set_clause),
            where,
        )
    return sql.SQL("delete from public.{} where {}").format(ident, where)


@pytest.mark.parametrize(("actor", "table", "op", "target_name"), list(matrix_cases()))
def test_matrix(
    conn: Conn, world: World, actor: Identity, table: str, op: str, target_name: str
) -> None:
    target = TARGETS[target_name]
    scope = expected_scope(actor, table, op)
    statement = operation_statement(table, op, actor, target, world)

    if (
        scope is DENIED
        or scope is FK_RESTRICT
        or (op == "insert" and (scope is NONE or (scope is not ALL and target != actor.agency_id)))
    ):
        sqlstate = "23503" if scope is FK_RESTRICT else "42501"
        with pytest.raises(psycopg.Error) as excinfo:
            run_as(conn, actor, statement)
        assert excinfo.value.sqlstate == sqlstate, excinfo.value
        return

    if op == "insert":
        assert run_as(conn, actor, statement) == 1
        return

    expected = factories.scalar(
        conn,
        sql.SQL("select count(*) from public.{} where {} and {}").format(
            sql.Identifier(table),
            target_predicate(table, target),
            scope_predicate(table, scope, actor),
        ),
    )
    if scope is not NONE and (actor is SUPER or target == actor.agency_id):
        assert expected > 0, "the fixture leaves this case vacuous"
    assert run_as(conn, actor, statement) == expected


# Beyond the matrix -----------------------------------------------------------------------------


def test_every_table_has_rows_in_both_agencies(conn: Conn, world: World) -> None:
    for table, spec in TABLES.items():
        for agency in (AGENCY_A, AGENCY_B):
            n = factories.scalar(
                conn,
                sql.SQL("select count(*) from public.{} where {} = %s").format(
                    sql.Identifier(table), sql.Identifier(spec.agency_col)
                ),
                (agency,),
            )
            assert n > 0, (table, agency)


AUTHENTICATED = (SUPER, A_ADMIN, A_RESEARCHER, A_CLIENT, B_ADMIN, B_RESEARCHER, B_CLIENT)


@pytest.mark.parametrize("actor", AUTHENTICATED, ids=str)
@pytest.mark.parametrize(
    "query",
    [
        "select credentials from public.data_sources",
        "select * from public.data_sources",
        "select id from public.data_sources where credentials is not null",
    ],
    ids=["column", "star", "filter"],
)
def test_credentials_are_never_readable(
    conn: Conn, world: World, actor: Identity, query: str
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run_as(conn, actor, sql.SQL(query))


@pytest.mark.parametrize("actor", [SUPER, A_ADMIN, A_RESEARCHER], ids=str)
def test_staff_see_that_credentials_exist(conn: Conn, world: World, actor: Identity) -> None:
    with acting_as(conn, actor, rollback=True) as cur:
        cur.execute(
            "select has_credentials from public.data_sources where id = %s", (DATA_SOURCE_A,)
        )
        assert cur.fetchall() == [(True,)]


# Role and agency changes: (actor, profile changed, SET clause, expected rows or SQLSTATE).
ROLE_CHANGES: list[tuple[Identity, Identity, str, int | str]] = [
    (A_RESEARCHER, A_RESEARCHER, "role = 'agency_admin'", "42501"),
    (A_RESEARCHER, A_RESEARCHER, "role = 'super_admin'", "42501"),
    (A_RESEARCHER, A_RESEARCHER, "agency_id = '22222222-2222-4222-8222-222222222222'", "42501"),
    (A_CLIENT, A_CLIENT, "role = 'researcher'", "42501"),
    (A_CLIENT, A_CLIENT, "agency_id = null", "42501"),
    (A_RESEARCHER, A_CLIENT, "role = 'researcher'", 0),
    (A_RESEARCHER, A_RESEARCHER, 'settings = \'{"theme": "dark"}\'', 1),
    (A_ADMIN, A_RESEARCHER, "role = 'client'", 1),
    (A_ADMIN, A_CLIENT, "role = 'agency_admin'", 1),
    (A_ADMIN, A_RESEARCHER, "role = 'super_admin'", "42501"),
    (A_ADMIN, A_ADMIN, "role = 'super_admin'", "42501"),
    (A_ADMIN, A_RESEARCHER, "agency_id = '22222222-2222-4222-8222-222222222222'", "42501"),
    (A_ADMIN, A_ADMIN, "agency_id = '22222222-2222-4222-8222-222222222222'", "42501"),
    (A_ADMIN, A_CLIENT, "agency_id = null", "42501"),
    (A_ADMIN, B_RESEARCHER, "role = 'client'", 0),
    (A_ADMIN, SUPER, "role = 'client'", 0),
    (B_ADMIN, A_RESEARCHER, "role = 'agency_admin'", 0),
    (SUPER, A_RESEARCHER, "role = 'agency_admin'", 1),
    (SUPER, A_RESEARCHER, "role = 'super_admin'", 1),
    (SUPER, A_RESEARCHER, "agency_id = '22222222-2222-4222-8222-222222222222'", 1),
]


@pytest.mark.parametrize(
    ("actor", "subject", "set_clause", "expected"),
    ROLE_CHANGES,
    ids=[f"{a}-sets-{s}-{c.split(' =')[0]}-{e}" for a, s, c, e in ROLE_CHANGES],
)
def test_role_and_agency_changes(
    conn: Conn, world: World, actor: Identity, subject: Identity, set_clause: str, expected: object
) -> None:
    statement = sql.SQL("update public.user_profiles set {} where id = {}").format(
        sql.SQL(set_clause),
        sql.Literal(subject.user_id),
    )
    if isinstance(expected, str):
        with pytest.raises(psycopg.Error) as excinfo:
            run_as(conn, actor, statement)
        assert excinfo.value.sqlstate == expected, excinfo.value
    else:
        assert run_as(conn, actor, statement) == expected


@pytest.mark.parametrize(
    ("actor", "role", "agency", "expected"),
    [
        (A_ADMIN, "researcher", AGENCY_A, None),
        (A_ADMIN, "super_admin", AGENCY_A, "42501"),
        (A_ADMIN, "super_admin", None, "42501"),
        (A_ADMIN, "researcher", AGENCY_B, "42501"),
        (A_RESEARCHER, "researcher", AGENCY_A, "42501"),
        (A_CLIENT, "client", AGENCY_A, "42501"),
        (SUPER, "super_admin", None, None),
    ],
    ids=lambda v: str(v) if v is not None else "none",
)
def test_creating_a_profile(
    conn: Conn,
    world: World,
    actor: Identity,
    role: str,
    agency: str | None,
    expected: str | None,
) -> None:
    statement = sql.SQL(
        "insert into public.user_profiles (id, role, agency_id) values ({}, {}, {})"
    ).format(sql.Literal(world.orphan_user), sql.Literal(role), sql.Literal(agency))
    if expected is None:
        assert run_as(conn, actor, statement) == 1
    else:
        with pytest.raises(psycopg.Error) as excinfo:
            run_as(conn, actor, statement)
        assert excinfo.value.sqlstate == expected, excinfo.value


# Moving a row of one's own agency into the other agency.
MOVES = [
    ("leads", "agency_id", "campaign_id is null and agency_id = %s"),
    ("campaigns", "agency_id", "agency_id = %s"),
    ("data_sources", "agency_id", "agency_id = %s"),
    ("scraping_jobs", "agency_id", "agency_id = %s"),
    ("user_profiles", "agency_id", "role = 'researcher' and agency_id = %s"),
    ("notifications", "agency_id", "agency_id = %s"),
]


@pytest.mark.parametrize("actor", [A_ADMIN, A_RESEARCHER], ids=str)
@pytest.mark.parametrize(("table", "column", "where"), MOVES, ids=[m[0] for m in MOVES])
def test_rows_cannot_be_moved_to_another_agency(
    conn: Conn, world: World, actor: Identity, table: str, column: str, where: str
) -> None:
    if table == "leads":
        factories.create_lead(conn, AGENCY_A, None, "movable@example.com")
    statement = sql.SQL("update public.{} set {} = {} where {}").format(
        sql.Identifier(table),
        sql.Identifier(column),
        sql.Literal(AGENCY_B),
        sql.SQL(where.replace("%s", "{}")).format(sql.Literal(AGENCY_A)),
    )
    try:
        # No column privilege, a WITH CHECK violation or the profile guard: 42501 each time.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            run_as(conn, actor, statement)
    finally:
        conn.execute("delete from public.leads where email = 'movable@example.com'")


def test_super_admin_deletes_an_empty_agency(conn: Conn, world: World) -> None:
    statement = sql.SQL("delete from public.agencies where id = {}").format(
        sql.Literal(world.empty_agency)
    )
    assert run_as(conn, A_ADMIN, statement) == 0
    assert run_as(conn, SUPER, statement) == 1


@pytest.mark.parametrize(
    "statement",
    [
        "insert into public.audit_log (table_name, action, actor_role, changes)"
        " values ('leads', 'insert', 'forged', '{}')",
        "update public.audit_log set actor_role = 'forged'",
        "delete from public.audit_log",
        "truncate public.audit_log",
    ],
    ids=["insert", "update", "delete", "truncate"],
)
def test_audit_log_is_not_writable_by_service_role(
    conn: Conn, world: World, statement: str
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run_as(conn, SERVICE, sql.SQL(statement))


def test_audit_log_is_append_only_even_for_the_owner(conn: Conn, world: World) -> None:
    for statement in (
        "update public.audit_log set actor_role = 'x'",
        "delete from public.audit_log",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(statement)


def test_service_role_reads_the_whole_audit_log(conn: Conn, world: World) -> None:
    total = factories.scalar(conn, "select count(*) from public.audit_log")
    assert run_as(conn, SERVICE, sql.SQL("select count(*) from public.audit_log")) == total


def test_writes_are_audited_with_the_caller(conn: Conn, world: World) -> None:
    with acting_as(conn, A_RESEARCHER, rollback=True) as cur:
        cur.execute(
            "update public.leads set title = 'Audited' where campaign_id = %s", (CAMPAIGN_A1,)
        )
        changed = cur.rowcount
        cur.execute("reset role")
        cur.execute(
            "select count(*), min(actor_id::text), min(actor_role), min(agency_id::text)"
            " from public.audit_log where table_name = 'leads' and action = 'update'"
            " and changes ? 'title' and (changes -> 'title' ->> 'new') = 'Audited'"
        )
        assert cur.fetchone() == (changed, RESEARCHER_A, "authenticated", AGENCY_A)


@pytest.mark.parametrize(
    ("actor", "expected_campaigns"),
    [(A_CLIENT, {CAMPAIGN_A1}), (B_CLIENT, {CAMPAIGN_B1}), (A_RESEARCHER, None)],
    ids=str,
)
def test_views_apply_the_callers_rls(
    conn: Conn, world: World, actor: Identity, expected_campaigns: set[str] | None
) -> None:
    with acting_as(conn, actor, rollback=True) as cur:
        cur.execute("select distinct campaign_id::text from public.campaign_performance_view")
        performance = {r[0] for r in cur.fetchall()}
        cur.execute("select distinct campaign_id::text from public.lead_pipeline_view")
        pipeline = {r[0] for r in cur.fetchall() if r[0] is not None}
    if expected_campaigns is None:  # staff: every campaign of their agency
        expected_campaigns = {
            str(r[0])
            for r in conn.execute(
                "select id from public.campaigns where agency_id = %s", (actor.agency_id,)
            )
        }
    assert performance == expected_campaigns
    assert pipeline <= expected_campaigns
