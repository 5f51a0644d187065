"""Connector lookup by data source type, custom classes, and the SDK's connection testers."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dashin_sdk import connection_testers
from functions_py.connectors.base import Batch, Connector
from functions_py.connectors.csv_source import CsvConnector
from functions_py.connectors.errors import ConnectorConfigError
from functions_py.connectors.registry import SOURCE_TYPES, create_connector
from tests.unit.connectors.support import run_fetch

ROOT = Path(__file__).resolve().parents[3]


class EchoConnector(Connector):
    """A complete custom connector: one batch made of its config's ``rows``."""

    type: ClassVar[str] = "custom"

    async def check(self) -> tuple[bool, str]:
        return True, f"echo with {len(self.config.get('rows', []))} rows"

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        rows = list(self.config.get("rows", []))
        return Batch(rows, rows, [], None, len(rows))


class Unfinished(Connector):  # fetch is missing
    type: ClassVar[str] = "custom"

    async def check(self) -> tuple[bool, str]:
        return True, ""


NOT_A_CONNECTOR = 42


def test_each_type_has_its_connector(tmp_path: Path) -> None:
    csv = create_connector("csv", {"path": str(tmp_path / "x.csv")}, None)
    assert isinstance(csv, CsvConnector)
    api = create_connector("api", {"base_url": "https://a.test", "mapping": {"email": "e"}}, None)
    assert api.type == "api"
    assert create_connector("apollo", {}, {"api_key": "k"}).type == "apollo"
    assert create_connector("zoominfo", {}, {"jwt": "t"}).type == "zoominfo"
    linkedin = create_connector(
        "linkedin", {"owner": "urn:li:organization:1"}, {"access_token": "t"}
    )
    assert linkedin.type == "linkedin"


def test_unknown_type_names_the_field() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        create_connector("fax", {}, None)
    assert caught.value.field == "type"


def test_custom_connector_is_loaded_and_runs() -> None:
    spec = f"{__name__}:EchoConnector"
    connector = create_connector("custom", {"class": spec, "rows": [{"email": "a@b.co"}]}, None)
    assert isinstance(connector, EchoConnector)
    assert run_fetch(connector).records == [{"email": "a@b.co"}]
    assert connector.test_connection() == (True, "echo with 1 rows")


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (None, "must be 'module:ClassName'"),
        ("no_colon_here", "must be 'module:ClassName'"),
        ("tests.unit.connectors.nope_module:Thing", "cannot import module"),
        (f"{__name__}:Missing", "has no attribute 'Missing'"),
        (f"{__name__}:NOT_A_CONNECTOR", "is not a Connector subclass"),
        ("pathlib:Path", "is not a Connector subclass"),
        (f"{__name__}:Unfinished", "does not implement fetch"),
    ],
)
def test_custom_loading_errors_are_clear(spec: Any, problem: str) -> None:
    with pytest.raises(ConnectorConfigError, match=problem) as caught:
        create_connector("custom", {"class": spec}, None)
    assert caught.value.field == "class"


def test_pyproject_registers_a_tester_per_type() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entries = pyproject["project"]["entry-points"][connection_testers.GROUP]
    assert set(entries) == set(SOURCE_TYPES)


@pytest.mark.parametrize("source_type", SOURCE_TYPES)
def test_sdk_finds_the_tester_through_entry_points(source_type: str) -> None:
    tester = connection_testers.tester_for(source_type)
    ok, message = tester.test_connection({"definitely": "wrong"}, None)
    assert ok is False
    assert "invalid data source config" in message


def test_csv_tester_succeeds_on_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("email\na@b.co\n")
    ok, message = connection_testers.tester_for("csv").test_connection({"path": str(path)}, None)
    assert ok, message
    assert "mapped: email" in message
