"""Locate the PostgreSQL 15 server binaries (Supabase runs major version 15)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dashin_sdk.local.errors import PostgresNotFoundError

REQUIRED_MAJOR = 15
_DEBIAN_BINDIR = Path(f"/usr/lib/postgresql/{REQUIRED_MAJOR}/bin")
_INSTALL_HINT = (
    f"install PostgreSQL {REQUIRED_MAJOR} (scripts/bootstrap.sh, or "
    f"`apt-get install postgresql-{REQUIRED_MAJOR}`) or set DASHIN_PG_BINDIR"
)


@dataclass(frozen=True)
class PgBinaries:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres`` of one major version."""

    bindir: Path

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _major_version(postgres: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(postgres), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out.strip())


def _candidates() -> list[Path]:
    # An explicit override wins; pg_config may point at another major version on hosts with
    # several installed, so the Debian layout for 15 is tried as well.
    found: list[Path] = []
    override = os.environ.get("DASHIN_PG_BINDIR")
    if override:
        found.append(Path(override))
    from_pg_config = _pg_config_bindir()
    if from_pg_config is not None:
        found.append(from_pg_config)
    found.append(_DEBIAN_BINDIR)
    return found


def find_pg_binaries() -> PgBinaries:
    """Return the PostgreSQL 15 binaries or raise :class:`PostgresNotFoundError`."""
    seen: list[str] = []
    for bindir in _candidates():
        postgres = bindir / "postgres"
        if not postgres.is_file():
            continue
        major = _major_version(postgres)
        if major == REQUIRED_MAJOR:
            return PgBinaries(bindir)
        seen.append(f"{bindir} is PostgreSQL {major}")
    details = f" ({'; '.join(seen)})" if seen else ""
    raise PostgresNotFoundError(f"PostgreSQL {REQUIRED_MAJOR} not found{details}: {_INSTALL_HINT}")
