"""The table models and enums against the live catalog of the migrated database.

A migration that adds, drops, retypes or changes the nullability of a column an API role can
read, or changes an enum's values, fails here until ``dashin_sdk/models`` follows.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import pytest
from pydantic.fields import FieldInfo

from dashin_sdk.models import enums, tables
from dashin_sdk.models._base import Row
from tests.support.factories import connect

MODELS: dict[type[Row], str] = {
    tables.Agency: "agencies",
    tables.UserProfile: "user_profiles",
    tables.Campaign: "campaigns",
    tables.CampaignMember: "campaign_members",
    tables.Lead: "leads",
    tables.DataSource: "data_sources",
    tables.ScrapingJob: "scraping_jobs",
    tables.ScrapingJobLog: "scraping_job_logs",
    tables.Notification: "notifications",
    tables.AuditLogEntry: "audit_log",
}

# Columns deliberately not in a model, and why. They must still exist (a stale entry fails).
NOT_MODELLED: dict[str, set[str]] = {
    "data_sources": {"credentials"},  # ciphertext: never read through the API (no grant)
    "leads": {"search_text"},  # generated, only for the trigram search index
}

# information_schema.columns.data_type -> the Python types a field may use for it.
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "uuid": (UUID,),
    "text": (str,),
    "character varying": (str,),
    "integer": (int,),
    "bigint": (int,),
    "smallint": (int,),
    "boolean": (bool,),
    "timestamp with time zone": (datetime,),
    "date": (date,),
    "jsonb": (dict, list),
    "numeric": (float,),
    "ARRAY": (list,),
}

# Enums of the SDK that are not database types.
SDK_ONLY_ENUMS = {enums.SortOrder}

Column = tuple[str, bool, str, str]  # name, nullable, data_type, udt_name


@pytest.fixture(scope="module")
def catalog(db_url: str) -> dict[str, list[Column]]:
    with connect(db_url) as conn:
        rows = conn.execute(
            "select table_name, column_name, is_nullable = 'YES', data_type, udt_name"
            " from information_schema.columns c join information_schema.tables t"
            " using (table_schema, table_name)"
            " where table_schema = 'public' and t.table_type = 'BASE TABLE'"
            " order by table_name, ordinal_position"
        ).fetchall()
    result: dict[str, list[Column]] = {}
    for table, name, nullable, data_type, udt in rows:
        result.setdefault(table, []).append((name, nullable, data_type, udt))
    return result


@pytest.fixture(scope="module")
def pg_enums(db_url: str) -> dict[str, list[str]]:
    with connect(db_url) as conn:
        rows = conn.execute(
            "select t.typname, array_agg(e.enumlabel order by e.enumsortorder)"
            " from pg_type t join pg_enum e on e.enumtypid = t.oid"
            " join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'public'"
            " group by t.typname"
        ).fetchall()
    return {name: list(labels) for name, labels in rows}


def _members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _is_optional(field: FieldInfo) -> bool:
    return type(None) in _members(field.annotation)


def _base_types(field: FieldInfo) -> list[Any]:
    return [typing.get_origin(m) or m for m in _members(field.annotation) if m is not type(None)]


def _has_default(field: FieldInfo) -> bool:
    return not field.is_required()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_fields_are_exactly_the_readable_columns(
    catalog: dict[str, list[Column]], model: type[Row]
) -> None:
    table = MODELS[model]
    columns = {name for name, *_ in catalog[table]}
    hidden = NOT_MODELLED.get(table, set())
    assert hidden <= columns, f"{table}: NOT_MODELLED lists columns that no longer exist"
    assert set(model.model_fields) == columns - hidden


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_nullability_matches(catalog: dict[str, list[Column]], model: type[Row]) -> None:
    for name, nullable, _, _ in catalog[MODELS[model]]:
        field = model.model_fields.get(name)
        if field is None:
            continue
        if nullable:
            assert _is_optional(field) or _has_default(field), (
                f"{model.__name__}.{name} may be null"
            )
        else:
            assert not _is_optional(field), f"{model.__name__}.{name} is never null"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_types_match(catalog: dict[str, list[Column]], model: type[Row]) -> None:
    for name, _, data_type, udt in catalog[MODELS[model]]:
        field = model.model_fields.get(name)
        if field is None:
            continue
        found = _base_types(field)
        where = f"{model.__name__}.{name} ({data_type} {udt})"
        if data_type == "USER-DEFINED":
            assert len(found) == 1, where
            assert issubclass(found[0], StrEnum), where
            assert _snake(found[0].__name__) == udt, where
        elif data_type == "jsonb" and found == [Any]:
            continue
        else:
            allowed = PYTHON_TYPES[data_type]
            assert found, where
            assert all(t in allowed for t in found), where


def test_data_sources_never_carry_credentials() -> None:
    assert "credentials" not in tables.DataSource.model_fields
    assert "credentials" not in tables.columns_of(tables.DataSource)


def test_every_table_the_api_reads_has_a_model(catalog: dict[str, list[Column]]) -> None:
    # analytics_cache is read only by SECURITY DEFINER functions.
    assert set(catalog) - {"analytics_cache"} == set(MODELS.values())


DB_ENUMS = [
    e
    for e in vars(enums).values()
    if isinstance(e, type)
    and issubclass(e, StrEnum)
    and e is not StrEnum
    and e not in SDK_ONLY_ENUMS
]


@pytest.mark.parametrize("enum", DB_ENUMS, ids=lambda e: e.__name__)
def test_enum_values_match_pg_enum(pg_enums: dict[str, list[str]], enum: type[StrEnum]) -> None:
    assert [member.value for member in enum] == pg_enums[_snake(enum.__name__)]


def test_every_database_enum_has_a_strenum(pg_enums: dict[str, list[str]]) -> None:
    assert set(pg_enums) == {_snake(e.__name__) for e in DB_ENUMS}
