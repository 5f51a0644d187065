"""The raw-record archive: every source record a job read, as JSON Lines.

``RawArchive.open(job_id)`` gives a writer with ``append(records)`` and ``close() -> url``
(``aclose()`` for async callers). Two places:

- a local directory (the local stack): ``<directory>/<job_id>.jsonl``, appended to when the
  job resumes; the URL is ``file://...``;
- Supabase Storage: spooled to a temporary file, uploaded on close
  (``POST /storage/v1/object/<bucket>/<job_id>/<UTC timestamp>.jsonl``): each run of a job
  (a resume after a crash) adds one part.

``RawArchive.from_env()``: ``DASHIN_RAW_ARCHIVE`` = ``file:///some/dir`` or
``storage://<bucket>``; without it, Storage bucket ``raw-imports`` when ``SUPABASE_URL`` and
``SUPABASE_SERVICE_ROLE_KEY`` are set, else a ``dashin-raw`` directory in the temp dir.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

from functions_py.connectors import storage
from functions_py.connectors.storage import StorageLocation

DEFAULT_BUCKET = "raw-imports"


class ArchiveWriter:
    """Appends JSON lines for one job; ``close`` returns where they are."""

    def __init__(
        self,
        path: Path,
        *,
        upload_to: tuple[StorageLocation, str, str] | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.path = path
        self._upload_to = upload_to
        self._timeout = timeout
        self._file: IO[str] | None = path.open("a", encoding="utf-8")
        self.count = 0
        self.url: str | None = None

    def append(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Write records, one JSON object per line (values JSON cannot hold become text)."""
        if self._file is None:
            raise ValueError("the archive writer is closed")
        for record in records:
            self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self.count += 1
        self._file.flush()

    def close(self) -> str:
        """Finish (upload when archiving to Storage); returns the archive URL."""
        if self.url is not None:
            return self.url
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._upload_to is None:
            self.url = self.path.resolve().as_uri()
            return self.url
        where, bucket, name = self._upload_to
        url = storage.upload(
            where,
            bucket,
            name,
            self.path.read_bytes(),
            content_type="application/x-ndjson",
            timeout=self._timeout,
        )
        # The spool was this writer's own temporary directory.
        self.path.unlink(missing_ok=True)
        self.path.parent.rmdir()
        self.url = url
        return url

    async def aclose(self) -> str:
        """``close`` without blocking the event loop."""
        return await asyncio.to_thread(self.close)


class RawArchive:
    """Where raw records go: a local ``directory``, or a Storage ``bucket``."""

    def __init__(
        self,
        *,
        directory: Path | str | None = None,
        storage: StorageLocation | None = None,
        bucket: str = DEFAULT_BUCKET,
    ) -> None:
        if (directory is None) == (storage is None):
            raise ValueError("give exactly one of directory or storage")
        self.directory = Path(directory) if directory is not None else None
        self.storage = storage
        self.bucket = bucket

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RawArchive:
        """See the module docstring."""
        env = os.environ if env is None else env
        target = env.get("DASHIN_RAW_ARCHIVE", "")
        if target.startswith("file://"):
            return cls(directory=unquote(urlparse(target).path))
        url, key = env.get("SUPABASE_URL"), env.get("SUPABASE_SERVICE_ROLE_KEY")
        if target.startswith("storage://"):
            return cls(
                storage=StorageLocation.resolve(url, key),
                bucket=target.removeprefix("storage://").strip("/") or DEFAULT_BUCKET,
            )
        if url and key:
            return cls(storage=StorageLocation.resolve(url, key))
        return cls(directory=Path(tempfile.gettempdir()) / "dashin-raw")

    def open(self, job_id: str) -> ArchiveWriter:
        """A writer for ``job_id``'s raw records."""
        job = str(job_id)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            return ArchiveWriter(self.directory / f"{job}.jsonl")
        assert self.storage is not None
        spool = Path(tempfile.mkdtemp(prefix="dashin-raw-")) / f"{job}.jsonl"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return ArchiveWriter(spool, upload_to=(self.storage, self.bucket, f"{job}/{stamp}.jsonl"))
