"""One scenario through both backends yields equal typed results.

The HTTP side talks to a replaying PostgREST double: each request the SDK sends is answered by
running the very query the SDK compiled against the same real database, as the identity the
request's bearer token names, and serialising the result with Postgres's own JSON rendering
(``json_agg`` / ``to_json``), which is what PostgREST returns. Parity therefore covers both
transports' decoding: psycopg's native types on one side, JSON strings on the other, into the
same pydantic models.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
import respx
from psycopg import sql

from dashin_sdk import Dashin, postgrest_compiler, sql_compiler
from dashin_sdk.auth_session import jwt_claims
from dashin_sdk.query import Delete, Insert, Rpc, Select, Update
from tests.support import postgrest as pg
from tests.support.identity import ADMIN_A, CAMPAIGN_A1, acting_as

Query = Select | Insert | Update | Delete | Rpc


class ReplayingPostgrest:
    """Answers PostgREST requests by executing the SDK's compiled query on the database."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.pending: deque[Query] = deque()
        self.served = 0

    def record(self, compile_: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def recording(query: Any) -> Any:
            self.pending.append(query)
            return compile_(query)

        return recording

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = self.pending.popleft()
        claims = jwt_claims(request.headers["Authorization"].removeprefix("Bearer "))
        assert claims is not None
        with (
            psycopg.connect(self.db_url) as conn,
            acting_as(conn, claims.get("sub"), claims["role"]) as cur,
        ):
            response = self._answer(cur, query)
        self.served += 1
        return response

    def _answer(self, cur: psycopg.Cursor[Any], query: Query) -> httpx.Response:
        if isinstance(query, Select):
            statement, params = sql_compiler.select(query)
            body = _scalar(
                cur,
                sql.SQL("select coalesce(json_agg(t), '[]')::text from ({}) t").format(statement),
                params,
            )
            headers = {"Content-Type": "application/json"}
            if query.count:
                count_statement, count_params = sql_compiler.count(query)
                total = _scalar(cur, count_statement, count_params)
                rows = len(json.loads(body))
                start = query.offset or 0
                span = f"{start}-{start + rows - 1}" if rows else "*"
                headers["Content-Range"] = f"{span}/{total}"
            return httpx.Response(200, content=body.encode(), headers=headers)
        if isinstance(query, Rpc):
            statement, args = sql_compiler.rpc(query)
            wrapped = sql.SQL("select coalesce(json_agg(t.v), '[]')::text from ({}) as t (v)")
            values = json.loads(_scalar(cur, wrapped.format(statement), args))
            body_value: Any = values if query.shape == "rows" else (values[0] if values else None)
            return httpx.Response(200, json=body_value)
        compile_mutation = {
            Insert: sql_compiler.insert,
            Update: sql_compiler.update,
            Delete: sql_compiler.delete,
        }[type(query)]
        statement, params = compile_mutation(query)  # type: ignore[operator]
        wrapped = sql.SQL(
            "with changed as ({}) select coalesce(json_agg(changed), '[]')::text from changed"
        )
        body = _scalar(cur, wrapped.format(statement), params)
        return httpx.Response(
            201, content=body.encode(), headers={"Content-Type": "application/json"}
        )


def _scalar(cur: psycopg.Cursor[Any], statement: sql.Composed, params: Any) -> Any:
    row = cur.execute(statement, params).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def replay(fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayingPostgrest]:
    double = ReplayingPostgrest(fresh_db_url)
    for name in ("select", "mutation", "rpc"):
        monkeypatch.setattr(
            postgrest_compiler, name, double.record(getattr(postgrest_compiler, name))
        )
    with respx.mock(assert_all_mocked=True) as api:
        api.route(url__startswith=pg.REST).mock(side_effect=double)
        api.post(f"{pg.AUTH}/token", params={"grant_type": "password"}).mock(
            return_value=httpx.Response(200, json=pg.gotrue_session(ADMIN_A))
        )
        yield double


def _scenario(dx: Dashin) -> dict[str, Any]:
    """Reads a user of the API would make; returns every typed result by name."""
    page = dx.leads.list(status="contacted", sort_by="created_at", page_size=7)
    first = page.data[0]
    return {
        "campaigns": dx.campaigns.list(sort_by="name", sort_order="asc").data,
        "campaign": dx.campaigns.get(CAMPAIGN_A1),
        "leads_page": (page.data, page.meta),
        "leads_all": list(page.iter_all()),
        "search": dx.leads.list(search="a", page_size=5).data,
        "lead": dx.leads.get(first.id),
        "score": dx.leads.score(first.id),
        "sources": dx.data_sources.list().data,
        "overview": dx.analytics.overview(range="90d").overview,
        "campaign_analytics": dx.campaigns.analytics(CAMPAIGN_A1, range="30d", group_by="week"),
        "performance": dx.campaigns.performance(CAMPAIGN_A1),
        "lead_analytics": dx.analytics.leads(group_by="campaign"),
        "members": dx.campaigns.members(CAMPAIGN_A1),
        "me": dx.auth.current_user(),
    }


def test_direct_and_http_backends_agree_for_an_agency_admin(
    replay: ReplayingPostgrest, fresh_db_url: str
) -> None:
    with Dashin(database_url=fresh_db_url) as service:
        direct = _scenario(service.as_user(ADMIN_A))
    with Dashin(supabase_url=pg.URL, supabase_key=pg.ANON_KEY) as http:
        http.auth.sign_in_with_password("admin@demo.dashin.test", "dashin-demo-password")
        over_http = _scenario(http)
    assert replay.served > len(direct)  # every HTTP call was answered by the database
    assert direct.keys() == over_http.keys()
    for name in direct:
        assert over_http[name] == direct[name], name


def test_mutations_agree(replay: ReplayingPostgrest, fresh_db_url: str) -> None:
    """The same writes through both backends produce equally shaped rows."""
    with Dashin(database_url=fresh_db_url) as service:
        direct = service.as_user(ADMIN_A).campaigns.create(name="Parity", status="draft")
    with Dashin(supabase_url=pg.URL, supabase_key=pg.ANON_KEY) as http:
        http.auth.sign_in_with_password("admin@demo.dashin.test", "dashin-demo-password")
        over_http = http.campaigns.create(name="Parity", status="draft")
        updated = http.campaigns.update(over_http.id, description="via http")
    ignored = {"id", "created_at", "updated_at"}
    assert over_http.model_dump(exclude=ignored) == direct.model_dump(exclude=ignored)
    assert updated.description == "via http"
    assert updated.agency_id == direct.agency_id
