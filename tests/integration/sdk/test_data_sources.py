"""``dx.data_sources`` on the direct backend: sealed credentials, CRUD, jobs, connection tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import pytest

from dashin_sdk import (
    ConfigurationError,
    Dashin,
    NotFoundError,
    ValidationError,
    connection_testers,
)
from dashin_sdk.credentials import KEY_ENV, CredentialsKeyring, new_key
from dashin_sdk.models.enums import DataSourceStatus, DataSourceType
from dashin_sdk.models.tables import DataSource
from tests.integration.sdk.conftest import CREDENTIALS_KEY, AsUser
from tests.support import factories
from tests.support.factories import Conn, column
from tests.support.identity import (
    ADMIN_A,
    AGENCY_A,
    AGENCY_B,
    DATA_SOURCE_A,
    DATA_SOURCE_B,
    RESEARCHER_A,
)

SECRET = {"api_key": "sk-live-123", "account": "acme"}


def stored_envelope(conn: Conn, source_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(
        "select credentials from public.data_sources where id = %s", (source_id,)
    ).fetchone()
    assert row is not None
    envelope: dict[str, Any] | None = row[0]
    return envelope


def test_create_seals_credentials_and_never_shows_them(as_user: AsUser, conn: Conn) -> None:
    admin = as_user(ADMIN_A)
    source = admin.data_sources.create(
        name="Apollo EU", type="apollo", config={"per_page": 50}, credentials=SECRET
    )
    assert source.agency_id == UUID(AGENCY_A)
    assert source.type is DataSourceType.APOLLO
    assert source.has_credentials is True
    assert "credentials" not in DataSource.model_fields
    assert "sk-live" not in source.model_dump_json()

    envelope = stored_envelope(conn, source.id)
    assert envelope is not None
    assert set(envelope) == {"v", "alg", "kid", "nonce", "ciphertext"}
    assert envelope["kid"] == "test-k1"
    assert "sk-live" not in json.dumps(envelope)
    assert CredentialsKeyring.parse(CREDENTIALS_KEY).open(envelope) == SECRET

    plain = admin.data_sources.create(name="No secrets", type="csv")
    assert plain.has_credentials is False
    assert stored_envelope(conn, plain.id) is None


def test_credentials_key_from_the_environment(
    fresh_db_url: str, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key("env-key")
    monkeypatch.setenv(KEY_ENV, key)
    with Dashin(database_url=fresh_db_url) as dx:
        source = dx.data_sources.create(
            name="env", type="api", agency_id=AGENCY_A, credentials=SECRET
        )
    envelope = stored_envelope(conn, source.id)
    assert envelope is not None
    assert envelope["kid"] == "env-key"
    assert CredentialsKeyring.parse(key).open(envelope) == SECRET


def test_missing_key_is_a_configuration_error_and_writes_nothing(
    fresh_db_url: str, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    before = column(conn, "select count(*) from public.data_sources")
    with Dashin(database_url=fresh_db_url) as dx:
        with pytest.raises(ConfigurationError, match=KEY_ENV):
            dx.data_sources.create(name="x", type="api", agency_id=AGENCY_A, credentials=SECRET)
        with pytest.raises(ConfigurationError, match=KEY_ENV):
            dx.data_sources.update(DATA_SOURCE_A, credentials=SECRET)
        # Without credentials no key is needed.
        dx.data_sources.create(name="keyless", type="csv", agency_id=AGENCY_A)
    assert column(conn, "select count(*) from public.data_sources") == [before[0] + 1]


def test_list_get_update_delete(as_user: AsUser, conn: Conn) -> None:
    admin = as_user(ADMIN_A)
    page = admin.data_sources.list()
    assert [s.id for s in page.data] == [UUID(DATA_SOURCE_A)]
    created = admin.data_sources.create(name="LinkedIn SN", type="linkedin", status="inactive")
    assert {s.id for s in admin.data_sources.list(type="linkedin").data} == {created.id}
    assert {s.id for s in admin.data_sources.list(status="active").data} == {UUID(DATA_SOURCE_A)}
    assert {s.id for s in admin.data_sources.list(search="linked").data} == {created.id}
    names = [s.name for s in admin.data_sources.list(sort_by="name", sort_order="asc").data]
    assert names == sorted(names)

    updated = admin.data_sources.update(
        created.id, name="LinkedIn Sales Nav", credentials={"cookie": "li_at=1"}
    )
    assert updated.name == "LinkedIn Sales Nav"
    assert updated.has_credentials is True
    envelope = stored_envelope(conn, created.id)
    assert envelope is not None
    assert CredentialsKeyring.parse(CREDENTIALS_KEY).open(envelope) == {"cookie": "li_at=1"}
    assert admin.data_sources.get(created.id) == updated

    with pytest.raises(ValidationError) as caught:
        admin.data_sources.update(created.id, type="csv")  # the type is fixed at creation
    assert caught.value.field == "type"
    with pytest.raises(ValidationError) as caught:
        admin.data_sources.create(name="bad", type="carrier-pigeon")
    assert caught.value.field == "type"

    admin.data_sources.delete(created.id)
    with pytest.raises(NotFoundError):
        admin.data_sources.get(created.id)
    with pytest.raises(NotFoundError):
        admin.data_sources.get(DATA_SOURCE_B)


def test_jobs_of_a_source(as_user: AsUser, conn: Conn) -> None:
    jobs = [factories.create_job(conn, AGENCY_A, DATA_SOURCE_A) for _ in range(3)]
    other = factories.create_data_source(conn, AGENCY_A, "other")
    factories.create_job(conn, AGENCY_A, other)
    conn.execute("update public.scraping_jobs set status = 'cancelled' where id = %s", (jobs[0],))
    admin = as_user(ADMIN_A)
    page = admin.data_sources.jobs(DATA_SOURCE_A, page_size=2)
    assert page.meta.total == 3
    expected = column(
        conn,
        "select id from public.scraping_jobs where data_source_id = %s"
        " order by created_at desc, id desc",
        (DATA_SOURCE_A,),
    )
    assert [j.id for j in page.iter_all()] == expected
    cancelled = admin.data_sources.jobs(DATA_SOURCE_A, status="cancelled")
    assert [j.id for j in cancelled.data] == [UUID(jobs[0])]
    assert admin.data_sources.jobs(DATA_SOURCE_B).meta.total == 0


class FakeTester:
    """A connection tester that records what it was given."""

    def __init__(self, outcome: tuple[bool, str] | Exception) -> None:
        self.outcome = outcome
        self.calls: list[tuple[Mapping[str, Any], Mapping[str, Any] | None]] = []
        self.threads: list[str] = []

    def test_connection(
        self, config: Mapping[str, Any], credentials: Mapping[str, Any] | None
    ) -> tuple[bool, str]:
        self.calls.append((config, credentials))
        self.threads.append(threading.current_thread().name)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.fixture
def testers(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty tester registry for this test (registrations do not leak into others)."""
    monkeypatch.setattr(connection_testers, "_registered", {})
    # Installed packages register real testers (functions_py.connectors): hide them too.
    monkeypatch.setattr(connection_testers, "entry_points", lambda **_: [])


def test_a_successful_connection_test(as_user: AsUser, conn: Conn, testers: None) -> None:
    tester = FakeTester((True, "connected as acme"))
    connection_testers.register("csv", tester)
    admin = as_user(ADMIN_A)
    source = admin.data_sources.create(
        name="Sheet", type="csv", config={"delimiter": ";"}, credentials=SECRET
    )
    conn.execute("update public.data_sources set status = 'error' where id = %s", (source.id,))
    result = admin.data_sources.test(source.id)
    assert (result.success, result.message) == (True, "connected as acme")
    assert tester.calls == [({"delimiter": ";"}, SECRET)]  # the opened credentials
    tested = admin.data_sources.get(source.id)
    assert tested.last_test_status == "success"
    assert tested.last_test_error is None
    assert tested.last_test_at == result.timestamp
    assert tested.status is DataSourceStatus.ACTIVE  # a passing test clears an error


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ((False, "401 unauthorized"), "401 unauthorized"),
        (RuntimeError("socket closed"), "RuntimeError: socket closed"),
    ],
)
def test_a_failing_connection_test(
    as_user: AsUser,
    testers: None,
    outcome: tuple[bool, str] | Exception,
    message: str,
) -> None:
    tester = FakeTester(outcome)
    connection_testers.register("csv", tester)
    researcher = as_user(RESEARCHER_A)
    result = researcher.data_sources.test(DATA_SOURCE_A)
    assert (result.success, result.message) == (False, message)
    assert tester.calls == [
        ({"delimiter": ",", "mapping": {"Email": "email", "First Name": "first_name"}}, None)
    ]
    tested = researcher.data_sources.get(DATA_SOURCE_A)
    assert (tested.last_test_status, tested.last_test_error) == ("failed", message)
    assert tested.status is DataSourceStatus.ERROR


def test_no_tester_for_the_type(
    as_user: AsUser, testers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a process without the connectors (functions_py) installed: no entry points.
    monkeypatch.setattr(connection_testers, "entry_points", lambda **_: [])
    admin = as_user(ADMIN_A)
    source = admin.data_sources.create(name="zoom", type="zoominfo")
    with pytest.raises(ConfigurationError, match="connection tester"):
        admin.data_sources.test(source.id)
    assert admin.data_sources.get(source.id).last_test_at is None


def test_service_role_tests_any_agency(dx: Dashin, testers: None) -> None:
    connection_testers.register("apollo", FakeTester((True, "ok")))
    assert dx.data_sources.test(DATA_SOURCE_B).success
    assert dx.data_sources.get(DATA_SOURCE_B).agency_id == UUID(AGENCY_B)
