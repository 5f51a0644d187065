"""The CSV connector: detection, bad lines with their numbers, resumable cursors, Storage."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from functions_py.connectors.base import Batch
from functions_py.connectors.csv_source import CsvConnector, default_column
from functions_py.connectors.errors import (
    AuthFailedError,
    ConnectorConfigError,
    PermanentError,
)
from functions_py.ingest.normalize import NormalizedLead, normalize_lead
from functions_py.samples import generate_leads_csv


def fetch(
    config: Mapping[str, Any], cursor: Mapping[str, Any] | None = None, batch_size: int = 100
) -> Batch:
    async def run() -> Batch:
        connector = CsvConnector(config, None)
        try:
            return await connector.fetch({}, cursor, batch_size=batch_size)
        finally:
            await connector.aclose()

    return asyncio.run(run())


def read_all(config: Mapping[str, Any], batch_size: int) -> list[Batch]:
    async def run() -> list[Batch]:
        connector = CsvConnector(config, None)
        batches = []
        cursor: Mapping[str, Any] | None = None
        try:
            while True:
                batch = await connector.fetch({}, cursor, batch_size=batch_size)
                batches.append(batch)
                if batch.next_cursor is None:
                    return batches
                cursor = batch.next_cursor
        finally:
            await connector.aclose()

    return asyncio.run(run())


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["Email", "First Name", "Company", "Job Title"],
        ["ada@example.com", "Ada", "Analytical Engines", "CTO"],
        ["bob@example.com", "Bob", "Builders", "VP Sales"],
    ]
    path = write(tmp_path, "\n".join(delimiter.join(r) for r in rows) + "\n")
    batch = fetch({"path": str(path)})
    assert [r["email"] for r in batch.records] == ["ada@example.com", "bob@example.com"]
    assert batch.records[0]["company"] == "Analytical Engines"
    assert batch.records[1]["title"] == "VP Sales"
    assert batch.rejected == []


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("latin-1", b"")],
)
def test_encoding_is_detected(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = (
        "email,first_name,last_name,company\n"
        "zoe@example.com,Zoë,Müller,Café Crème\n"
        "jose@example.com,José,García,Señor Ltd\n"
    )
    if encoding == "cp1252":
        text += "eur@example.com,Anne,O\u2019Neil,Euro \u20ac Ltd\n"  # bytes 0x92, 0x80
    if encoding == "latin-1":
        text += "nbsp@example.com,Ann,Lee,Ctrl\x81Co\n"  # 0x81 is undefined in cp1252
    path = tmp_path / "enc.csv"
    path.write_bytes(prefix + text.encode(encoding))
    batch = fetch({"path": str(path)})
    assert batch.rejected == []
    assert batch.records[0]["email"] == "zoe@example.com"  # the BOM is not in the header
    assert batch.records[0]["first_name"] == "Zoë"
    assert batch.records[1]["last_name"] == "García"
    assert batch.records[0]["company"] == "Café Crème"
    if encoding == "cp1252":
        assert batch.records[2]["company"] == "Euro \u20ac Ltd"


def test_bad_lines_are_rejected_with_their_numbers(tmp_path: Path) -> None:
    good = "a@example.com,Ann,Acme\n"
    content = (
        b"email,first_name,company\n"  # line 1
        + good.encode()  # 2
        + b"b@example.com,Bob\n"  # 3: a field short
        + b"c@example.com,Cy,Acme,extra\n"  # 4: a field too many
        + b"\n"  # 5: blank, skipped
        + b"d@example.com,D\xff\xfeve,Acme\n"  # 6: not UTF-8
        + b'e@example.com,"Eve\nSecond line",Acme\n'  # 7-8: a quoted newline, fine
        + b"f@example.com,Fay,Acme\n"  # 9
    )
    content += b"".join(f"x{i}@example.com,X,Y\n".encode() for i in range(200))  # utf-8 stays
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    batch = fetch({"path": str(path)}, batch_size=1000)
    reasons = {r.position: r.reason for r in batch.rejected}
    assert reasons == {
        3: "expected 3 fields, found 2",
        4: "expected 3 fields, found 4",
        6: "line is not valid utf-8 text",
    }
    emails = [r["email"] for r in batch.records]
    assert emails[:3] == ["a@example.com", "e@example.com", "f@example.com"]
    assert batch.records[1]["first_name"] == "Eve\nSecond line"
    assert len(batch.records) == 203
    assert batch.next_cursor is None


def test_unterminated_quote_rejects_one_line_not_the_rest(tmp_path: Path) -> None:
    lines = ["email,name", 'a@example.com,"Ann'] + [f"p{i}@example.com,P{i}" for i in range(60)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    batch = fetch({"path": str(path)}, batch_size=1000)
    assert [r.position for r in batch.rejected] == [2]
    assert len(batch.records) == 60


def test_resume_from_cursor_yields_exactly_the_rest(tmp_path: Path) -> None:
    stats = generate_leads_csv(tmp_path / "s.csv", 1000, seed=3)
    config = {"path": str(tmp_path / "s.csv")}
    whole = read_all(config, 5000)
    assert len(whole) == 1
    everything = [r["email"] for r in whole[0].records]
    everything_rejected = [r.position for r in whole[0].rejected]
    assert len(everything) + len(everything_rejected) == stats.rows

    # Stop after three batches, then resume in a fresh connector from the stored cursor.
    first = read_all(config, 97)
    assert len(first) == -(-stats.rows // 97)
    head = [r["email"] for b in first[:3] for r in b.records]
    cursor = first[2].next_cursor
    assert cursor is not None
    assert set(cursor) == {"line", "offset"}
    rest: list[str] = []
    rejected: list[int] = [r.position for b in first[:3] for r in b.rejected]
    while cursor is not None:
        batch = fetch(config, cursor, batch_size=250)
        rest += [r["email"] for r in batch.records]
        rejected += [r.position for r in batch.rejected]
        cursor = batch.next_cursor
    assert head + rest == everything
    assert rejected == everything_rejected

    # A cursor with the line number only (no byte offset) resumes at the same place.
    line_only = {"line": first[2].next_cursor["line"]}  # type: ignore[index]
    assert [r["email"] for r in fetch(config, line_only, batch_size=5000).records] == rest


def test_total_estimate_is_the_data_line_count(tmp_path: Path) -> None:
    path = write(tmp_path, "email\n" + "".join(f"u{i}@example.com\n" for i in range(42)))
    batch = fetch({"path": str(path)}, batch_size=10)
    assert batch.total_estimate == 42
    first_ten = "".join(f"u{i}@example.com\n" for i in range(10))
    assert batch.next_cursor == {"line": 12, "offset": len("email\n" + first_ten)}


def test_a_batch_ending_at_the_end_of_the_file_is_the_last(tmp_path: Path) -> None:
    path = write(tmp_path, "email\na@example.com\nb@example.com\n")
    batch = fetch({"path": str(path)}, batch_size=2)
    assert len(batch.records) == 2
    assert batch.next_cursor is None


def test_mapping_and_metadata(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Work E-Mail,Full Name,Organisation,Position,LinkedIn Profile URL,Mobile,Industry,Notes\n"
        "ann@acme.com,Ann Lee,Acme,CTO,linkedin.com/in/annlee,+1 415 555 0100,SaaS,\n",
    )
    lead = fetch({"path": str(path), "mapping": {"Industry": "title"}}).records[0]
    assert lead["email"] == "ann@acme.com"  # "Work E-Mail" is an alias of email
    assert lead["linkedin_url"] == "linkedin.com/in/annlee"
    # The explicit mapping takes the title; the header that would have had it is metadata.
    assert lead["title"] == "SaaS"
    assert lead["metadata"] == {"Position": "CTO"}
    assert default_column(" Job-Title ") == "title"
    assert default_column("Favourite colour") is None


def test_mapping_explicit_default_and_unknown_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "E-Mail,Full Name,Organisation,Position,LinkedIn,Mobile,Industry,Notes\n"
        "ann@acme.com,Ann Lee,Acme,CTO,linkedin.com/in/annlee,+1 415 555 0100,SaaS,\n",
    )
    lead = fetch({"path": str(path), "mapping": {"Industry": "source"}}).records[0]
    assert lead == {
        "email": "ann@acme.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "company": "Acme",
        "title": "CTO",
        "linkedin_url": "linkedin.com/in/annlee",
        "phone": "+1 415 555 0100",
        "source": "SaaS",
        "metadata": {},
    }
    lead = fetch({"path": str(path), "mapping": {"Position": "metadata"}}).records[0]
    assert lead["title"] is None
    assert lead["metadata"] == {"Position": "CTO", "Industry": "SaaS"}


def test_no_header_columns_are_numbered(tmp_path: Path) -> None:
    path = write(tmp_path, "ann@acme.com,Ann\nbob@acme.com,Bob\n")
    batch = fetch({"path": str(path), "has_header": False, "mapping": {"column_1": "email"}})
    assert [r["email"] for r in batch.records] == ["ann@acme.com", "bob@acme.com"]
    assert batch.records[0]["metadata"] == {"column_2": "Ann"}


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "path"),
        ({"path": ""}, "path"),
        ({"storage": {"bucket": "b"}}, "storage.object"),
        ({"path": "x.csv", "delimiter": ";;"}, "delimiter"),
        ({"path": "x.csv", "encoding": "klingon"}, "encoding"),
        ({"path": "x.csv", "mapping": {"Mail": "e_mail"}}, "mapping.Mail"),
        ({"path": "x.csv", "has_header": "yes"}, "has_header"),
    ],
)
def test_bad_config_names_the_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        CsvConnector(config, None)
    assert caught.value.field == field


def test_missing_file_is_permanent(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="not found"):
        fetch({"path": str(tmp_path / "nope.csv")})
    ok, message = CsvConnector({"path": str(tmp_path / "nope.csv")}, None).test_connection()
    assert not ok
    assert "not found" in message


def test_check_describes_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "email;company\na@x.com;X\nb@x.com;Y\n")
    ok, message = CsvConnector({"path": str(path)}, None).test_connection()
    assert ok
    assert "2 columns" in message
    assert "about 2 rows" in message
    assert "';'" in message


STORAGE = "https://project.supabase.test"


@respx.mock
def test_storage_object_is_downloaded_with_the_service_key(tmp_path: Path) -> None:
    route = respx.get(f"{STORAGE}/storage/v1/object/imports/acme/leads%20may.csv").mock(
        return_value=httpx.Response(200, content=b"email,company\na@x.com,X\nb@x.com,Y\n")
    )
    config = {"storage": {"bucket": "imports", "object": "acme/leads may.csv", "url": STORAGE}}

    async def run() -> tuple[Batch, Path | None]:
        connector = CsvConnector(config, {"service_role_key": "service-key-123"})
        batch = await connector.fetch({}, None, batch_size=10)
        downloaded = connector._local
        await connector.aclose()
        return batch, downloaded

    batch, downloaded = asyncio.run(run())
    assert [r["email"] for r in batch.records] == ["a@x.com", "b@x.com"]
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer service-key-123"
    assert request.headers["apikey"] == "service-key-123"
    assert downloaded is not None
    assert not downloaded.exists()


@respx.mock
def test_storage_refusal_is_an_auth_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_URL", STORAGE)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "env-service-key")
    route = respx.get(f"{STORAGE}/storage/v1/object/imports/x.csv").mock(
        return_value=httpx.Response(403, json={"error": "Unauthorized"})
    )
    with pytest.raises(AuthFailedError):
        fetch({"storage": {"bucket": "imports", "object": "x.csv"}})
    assert route.calls.last.request.headers["apikey"] == "env-service-key"


def test_sample_round_trip_counts(tmp_path: Path) -> None:
    """20,000 generated rows read back in batches: exactly the generator's counts."""
    path = tmp_path / "big.csv"
    stats = generate_leads_csv(path, 20_000, seed=11)
    batches = read_all({"path": str(path)}, 1000)
    records = [r for b in batches for r in b.records]
    rejected = [r for b in batches for r in b.rejected]
    assert len(rejected) == stats.broken_lines
    assert all("fields, found" in r.reason for r in rejected)
    assert len(records) + len(rejected) == stats.rows
    assert batches[0].total_estimate == stats.rows

    leads = [normalize_lead(r) for r in records]
    accepted = [lead for lead in leads if isinstance(lead, NormalizedLead)]
    assert len(leads) - len(accepted) == stats.invalid_emails
    unique = {lead.email for lead in accepted}
    assert None not in unique
    assert len(unique) == stats.unique_valid_leads
    duplicates = len(accepted) - len(unique)
    assert duplicates == stats.exact_duplicates + stats.variant_duplicates
