"""Supabase Storage over its REST API: download an object to a file, upload bytes.

Where: ``SUPABASE_URL`` and the service role key (``SUPABASE_SERVICE_ROLE_KEY``), unless the
caller passes them (a data source's config/credentials may name another project).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from functions_py.connectors.errors import (
    AuthFailedError,
    ConnectorConfigError,
    PermanentError,
    TransientError,
)


@dataclass(frozen=True)
class StorageLocation:
    """A Supabase project's Storage endpoint and the key to use it."""

    url: str
    key: str

    @classmethod
    def resolve(cls, url: str | None = None, key: str | None = None) -> StorageLocation:
        """Explicit values first, then ``SUPABASE_URL`` / ``SUPABASE_SERVICE_ROLE_KEY``."""
        url = url or os.environ.get("SUPABASE_URL")
        key = key or os.environ.get("SUPABASE_SERVICE_ROLE_KEY")
        if not url:
            raise ConnectorConfigError("storage.url", "no Supabase URL (set SUPABASE_URL)")
        if not key:
            raise ConnectorConfigError(
                "storage", "no service key (credentials service_role_key or env)"
            )
        return cls(url.rstrip("/"), key)

    def object_url(self, bucket: str, name: str) -> str:
        return f"{self.url}/storage/v1/object/{quote(bucket)}/{quote(name.lstrip('/'))}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "apikey": self.key}


def _raise_for(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (401, 403):
        raise AuthFailedError(f"storage refused {what} (HTTP {status})")
    if status == 429 or status >= 500:
        raise TransientError(f"storage failed on {what} (HTTP {status})")
    raise PermanentError(f"storage failed on {what} (HTTP {status})")


async def download(
    client: httpx.AsyncClient, where: StorageLocation, bucket: str, name: str, dest: Path
) -> int:
    """Stream object ``bucket/name`` into ``dest``; returns the bytes written."""
    what = f"download of {bucket}/{name}"
    written = 0
    try:
        async with client.stream("GET", where.object_url(bucket, name), headers=where.headers) as r:
            if r.status_code >= 400:
                await r.aread()
                _raise_for(r, what)
            with dest.open("wb") as out:
                async for chunk in r.aiter_bytes(1 << 16):
                    out.write(chunk)
                    written += len(chunk)
    except httpx.TransportError as exc:
        raise TransientError(f"storage {what} failed: {type(exc).__name__}") from None
    return written


def upload(
    where: StorageLocation,
    bucket: str,
    name: str,
    content: bytes,
    *,
    content_type: str = "application/octet-stream",
    timeout: float = 60.0,
) -> str:
    """Upload ``content`` as ``bucket/name`` (replacing it); returns the object URL.

    Blocking: the raw archive uploads from a worker thread when a job ends.
    """
    url = where.object_url(bucket, name)
    headers = {**where.headers, "Content-Type": content_type, "x-upsert": "true"}
    try:
        with httpx.Client(timeout=timeout) as client:
            response = client.post(url, content=content, headers=headers)
    except httpx.TransportError as exc:
        raise TransientError(
            f"storage upload of {bucket}/{name} failed: {type(exc).__name__}"
        ) from None
    _raise_for(response, f"upload of {bucket}/{name}")
    return url
