"""The ``csv`` connector: a local file or a Supabase Storage object.

Config::

    {"path": "leads.csv"}                      # or
    {"storage": {"bucket": "imports", "object": "acme/leads.csv", "url"?: "..."}}
    "delimiter"?: ",",  "encoding"?: "utf-8",  "has_header"?: true,
    "mapping"?: {"E-Mail Address": "email", ...}   # CSV header -> lead column

Headers without a mapping are matched by name (``Email``, ``E-mail``, ``First Name``,
``Organization``, ``Job Title``, ``LinkedIn``...); anything else goes to ``metadata``. The
cursor is ``{"line": <next line number>, "offset": <its byte offset>}``.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx

from functions_py.connectors import csv_file, storage
from functions_py.connectors.base import Batch, Connector, Rejected
from functions_py.connectors.errors import ConnectorConfigError, PermanentError
from functions_py.connectors.fields import LEAD_COLUMNS, lead_record
from functions_py.connectors.ratelimit import RateLimiter

FULL_NAME = "_full_name"

_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "workemail", "businessemail", "emailid"),
    "first_name": ("firstname", "first", "givenname", "fname", "forename"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "company": (
        "company",
        "companyname",
        "organization",
        "organisation",
        "organizationname",
        "org",
        "employer",
        "account",
        "accountname",
    ),
    "title": ("title", "jobtitle", "position", "role", "jobrole", "designation"),
    "linkedin_url": (
        "linkedin",
        "linkedinurl",
        "linkedinprofile",
        "linkedinprofileurl",
        "personlinkedinurl",
        "profileurl",
    ),
    "phone": (
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "telephone",
        "tel",
        "directphone",
        "workphone",
    ),
    "source": ("source", "leadsource"),
    FULL_NAME: ("name", "fullname", "contactname"),
}
HEADER_ALIASES: dict[str, str] = {
    alias: column for column, aliases in _ALIASES.items() for alias in aliases
}


def header_key(header: str) -> str:
    """A header reduced for matching: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


def default_column(header: str) -> str | None:
    """The lead column a header names, or None (it then goes to metadata)."""
    return HEADER_ALIASES.get(header_key(header))


class CsvConnector(Connector):
    """Reads a CSV file in batches of lines; see the module docstring."""

    type: ClassVar[str] = "csv"

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any] | None,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(config, credentials, http=http, limiter=limiter)
        self._local: Path | None = None
        self._tempdir: str | None = None
        self._layout: csv_file.CsvLayout | None = None
        self._total: int | None = None
        self._columns: dict[str, str | None] | None = None  # header -> lead column

    def validate(self) -> None:
        path = self.config.get("path")
        where = self.config.get("storage")
        if path is None and where is None:
            raise ConnectorConfigError("path", "a CSV source needs 'path' or 'storage'")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            raise ConnectorConfigError("path", "must be a non-empty string")
        if where is not None:
            if not isinstance(where, Mapping):
                raise ConnectorConfigError("storage", "must be an object {bucket, object}")
            for key in ("bucket", "object"):
                if not isinstance(where.get(key), str) or not where[key]:
                    raise ConnectorConfigError(f"storage.{key}", "must be a non-empty string")
        delimiter = self.config.get("delimiter")
        if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
            raise ConnectorConfigError("delimiter", "must be a single character")
        encoding = self.config.get("encoding")
        if encoding is not None:
            try:
                codecs.lookup(str(encoding))
            except LookupError:
                raise ConnectorConfigError("encoding", f"unknown encoding {encoding!r}") from None
        mapping = self.config.get("mapping") or {}
        if not isinstance(mapping, Mapping):
            raise ConnectorConfigError("mapping", "must be an object {csv header: lead column}")
        for header, column in mapping.items():
            if column not in (*LEAD_COLUMNS, "metadata", None):
                raise ConnectorConfigError(
                    f"mapping.{header}",
                    f"{column!r} is not a lead column ({', '.join(LEAD_COLUMNS)})",
                )
        if not isinstance(self.config.get("has_header", True), bool):
            raise ConnectorConfigError("has_header", "must be true or false")

    async def _path(self) -> Path:
        if self._local is not None:
            return self._local
        if self.config.get("path"):
            path = Path(self.config["path"]).expanduser()
            if not path.is_file():
                raise PermanentError(f"CSV file not found: {path.name}")
            self._local = path
            return path
        spec = self.config["storage"]
        where = storage.StorageLocation.resolve(
            spec.get("url"), self.credentials.get("service_role_key")
        )
        self._tempdir = tempfile.mkdtemp(prefix="dashin-csv-")
        dest = Path(self._tempdir) / "source.csv"
        client = self._client or httpx.AsyncClient(timeout=60.0)
        try:
            await storage.download(client, where, spec["bucket"], spec["object"], dest)
        finally:
            if self._client is None:
                await client.aclose()
        self._local = dest
        return dest

    async def _ensure_layout(self) -> tuple[Path, csv_file.CsvLayout]:
        path = await self._path()
        if self._layout is None:
            self._layout = await asyncio.to_thread(
                csv_file.detect_layout,
                path,
                delimiter=self.config.get("delimiter"),
                encoding=self.config.get("encoding"),
                has_header=self.config.get("has_header", True),
            )
            if not self._layout.header:
                raise PermanentError("the CSV file is empty")
            self._columns = self.column_map(self._layout.header)
        return path, self._layout

    async def total_estimate(self) -> int:
        """Data lines in the file (counted once)."""
        path, layout = await self._ensure_layout()
        if self._total is None:
            self._total = await asyncio.to_thread(csv_file.count_data_lines, path, layout)
        return self._total

    async def check(self) -> tuple[bool, str]:
        _, layout = await self._ensure_layout()
        total = await self.total_estimate()
        assert self._columns is not None  # set with the layout
        mapped = sorted({c for c in self._columns.values() if c})
        return True, (
            f"{len(layout.header)} columns ({layout.encoding}, delimiter {layout.delimiter!r}), "
            f"about {total} rows; mapped: {', '.join(mapped) or 'nothing'}"
        )

    def column_map(self, header: list[str]) -> dict[str, str | None]:
        """Header -> lead column (None: metadata), explicit mapping first."""
        explicit: Mapping[str, str | None] = self.config.get("mapping") or {}
        result: dict[str, str | None] = {}
        taken: set[str] = set()
        for name in header:
            if name in explicit:
                column = explicit[name]
                result[name] = None if column == "metadata" else column
                if column:
                    taken.add(column)
        for name in header:
            if name not in result:
                column = default_column(name)
                # The first header naming a column wins; later ones keep their data in metadata.
                if column is not None and column not in taken:
                    result[name] = column
                    taken.add(column)
                else:
                    result[name] = None
        return result

    def to_lead(
        self, header: list[str], columns: Mapping[str, str | None], values: list[str]
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        for name, value in zip(header, values, strict=True):
            value = value.strip()
            if not value:
                continue
            column = columns.get(name)
            if column is None:
                metadata[name] = value
            else:
                fields[column] = value
        full = fields.pop(FULL_NAME, None)
        if full and not fields.get("first_name") and not fields.get("last_name"):
            first, _, last = full.partition(" ")
            fields["first_name"], fields["last_name"] = first, last.strip() or None
        elif full:
            metadata["full_name"] = full
        return lead_record(fields, metadata=metadata)

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        path, layout = await self._ensure_layout()
        total = await self.total_estimate()
        line = int(cursor.get("line", layout.data_line)) if cursor else layout.data_line
        line = max(line, layout.data_line)
        if cursor and cursor.get("offset") is not None:
            offset = int(cursor["offset"])
        elif line == layout.data_line:
            offset = layout.data_offset
        else:
            offset = await asyncio.to_thread(csv_file.offset_of_line, path, layout, line)
        part = await asyncio.to_thread(
            csv_file.read_slice, path, layout, offset, line, max(1, batch_size)
        )
        columns = self._columns
        assert columns is not None  # set with the layout
        records = []
        raw = []
        for _number, values in part.rows:
            raw.append(dict(zip(layout.header, values, strict=True)))
            records.append(self.to_lead(layout.header, columns, values))
        return Batch(
            records=records,
            raw=raw,
            rejected=[Rejected(n, reason) for n, reason in part.rejected],
            next_cursor=None
            if part.exhausted
            else {"line": part.next_line, "offset": part.next_offset},
            total_estimate=total,
        )

    async def aclose(self) -> None:
        await super().aclose()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
            self._local = None
