"""The raw-record archive: local JSONL files and Supabase Storage uploads."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from functions_py.connectors.errors import AuthFailedError
from functions_py.connectors.storage import StorageLocation
from functions_py.ingest.archive import RawArchive

JOB = "55555555-5555-4555-8555-000000000001"


def test_local_archive_appends_jsonl_and_returns_a_file_url(tmp_path: Path) -> None:
    archive = RawArchive(directory=tmp_path / "raw")
    writer = archive.open(JOB)
    writer.append([{"Email": "a@b.co", "n": 1}, {"Email": "ü@b.co", "when": object}])
    writer.append([])
    url = writer.close()
    path = tmp_path / "raw" / f"{JOB}.jsonl"
    assert url == path.resolve().as_uri()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"Email": "a@b.co", "n": 1}
    assert json.loads(lines[1])["Email"] == "ü@b.co"
    assert writer.close() == url  # idempotent
    with pytest.raises(ValueError, match="closed"):
        writer.append([{}])

    # A resumed job appends to the same file.
    again = archive.open(JOB)
    again.append([{"Email": "c@b.co"}])
    again.close()
    assert len(path.read_text().splitlines()) == 3


STORAGE = "https://project.supabase.test"


@respx.mock
def test_storage_archive_uploads_on_close() -> None:
    route = respx.post(
        url__regex=rf"{STORAGE}/storage/v1/object/raw-imports/{JOB}/\d{{8}}T\d+Z\.jsonl"
    ).mock(return_value=httpx.Response(200, json={"Key": "raw-imports/x"}))
    archive = RawArchive(storage=StorageLocation(STORAGE, "service-key"))
    writer = archive.open(JOB)
    writer.append([{"a": 1}, {"a": 2}])
    spool = writer.path
    url = writer.close()
    request = route.calls.last.request
    assert url == str(request.url)
    assert request.headers["authorization"] == "Bearer service-key"
    assert request.headers["x-upsert"] == "true"
    assert request.content == b'{"a": 1}\n{"a": 2}\n'
    assert not spool.exists()
    assert not spool.parent.exists()


@respx.mock
def test_storage_refusal_is_an_auth_failure() -> None:
    respx.post(url__startswith=f"{STORAGE}/storage/v1/object/").mock(
        return_value=httpx.Response(403)
    )
    writer = RawArchive(storage=StorageLocation(STORAGE, "k")).open(JOB)
    writer.append([{"a": 1}])
    with pytest.raises(AuthFailedError):
        writer.close()


def test_from_env(tmp_path: Path) -> None:
    local = RawArchive.from_env({"DASHIN_RAW_ARCHIVE": (tmp_path / "r").as_uri()})
    assert local.directory == tmp_path / "r"
    remote = RawArchive.from_env({"SUPABASE_URL": STORAGE + "/", "SUPABASE_SERVICE_ROLE_KEY": "k"})
    assert remote.storage == StorageLocation(STORAGE, "k")
    assert remote.bucket == "raw-imports"
    named = RawArchive.from_env(
        {
            "DASHIN_RAW_ARCHIVE": "storage://archive",
            "SUPABASE_URL": STORAGE,
            "SUPABASE_SERVICE_ROLE_KEY": "k",
        }
    )
    assert named.bucket == "archive"
    assert RawArchive.from_env({}).directory is not None
