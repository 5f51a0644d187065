"""A PostgreSQL 15 cluster in a directory, listening on 127.0.0.1 only.

It is the local stand-in for the Supabase database: superuser ``postgres`` with password
``postgres``, password (scram-sha-256) authentication over TCP, no Unix socket (so nothing
collides with a system Postgres), and ``wal_level=logical`` so the ``supabase_realtime``
publication behaves as on Supabase.

Postgres refuses to run as root. When we are root, every server-side command runs as the
``postgres`` OS user through ``runuser`` and the data directory is owned by that user. If that
user cannot reach the requested directory (say it lives under a 0700 home directory) the cluster
is placed under ``/var/tmp/dashin-postgres/<hash of the requested path>`` instead: changing the
permissions of the user's home is not ours to do. :meth:`LocalCluster.status` says so.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dashin_sdk.local.binaries import PgBinaries, find_pg_binaries
from dashin_sdk.local.errors import ClusterError
from dashin_sdk.local.ports import LOOPBACK, port_in_use

SUPERUSER = "postgres"
PASSWORD = "postgres"  # noqa: S105 - the well-known local-only password, as in supabase start
OS_USER = "postgres"
# Created and owned by the server OS user, so no other user can plant files in it.
RELOCATION_ROOT = Path("/var/tmp/dashin-postgres")  # noqa: S108
_SETTINGS_MARKER = "# --- dashin local cluster settings ---"
_LOG_NAME = "server.log"
# Variables that would silently redirect initdb/pg_ctl to another cluster.
_PG_ENV_BLOCKLIST = ("PGDATA", "PGPORT", "PGHOST", "PGHOSTADDR", "PGUSER", "PGDATABASE")


def database_url(port: int, dbname: str = "postgres") -> str:
    return f"postgresql://{SUPERUSER}:{PASSWORD}@{LOOPBACK}:{port}/{dbname}"


@dataclass(frozen=True)
class ClusterStatus:
    requested_dir: Path
    data_dir: Path
    port: int
    initialized: bool
    running: bool
    url: str

    @property
    def relocated(self) -> bool:
        return self.data_dir != self.requested_dir

    def lines(self) -> list[str]:
        state = "running" if self.running else "stopped"
        if not self.initialized:
            state = "not created"
        out = [f"state: {state}", f"data directory: {self.data_dir}"]
        if self.relocated:
            out.append(
                f"relocated: the {OS_USER} user cannot reach {self.requested_dir}, "
                f"so the cluster lives in {self.data_dir}"
            )
        out.append(f"url: {self.url}")
        return out


class LocalCluster:
    """One PostgreSQL 15 cluster: ``init()``, ``start()``, ``stop()``, ``status()``."""

    def __init__(
        self,
        directory: Path | str,
        port: int,
        *,
        fsync: bool = True,
        binaries: PgBinaries | None = None,
        start_timeout: int = 60,
    ) -> None:
        self.requested_dir = Path(directory).absolute()
        self.port = port
        # fsync off makes test clusters much faster; a crash may then corrupt them, which is
        # acceptable only for throwaway data.
        self.fsync = fsync
        self.start_timeout = start_timeout
        self._binaries = binaries
        self._as_os_user = os.geteuid() == 0

    # -- locations ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return database_url(self.port)

    def url_for(self, dbname: str) -> str:
        return database_url(self.port, dbname)

    @cached_property
    def binaries(self) -> PgBinaries:
        return self._binaries or find_pg_binaries()

    @cached_property
    def relocated_dir(self) -> Path:
        digest = hashlib.sha256(str(self.requested_dir).encode()).hexdigest()[:16]
        return RELOCATION_ROOT / digest / "data"

    @cached_property
    def data_dir(self) -> Path:
        """Where the cluster really lives (see the module docstring)."""
        if not self._as_os_user or _is_cluster(self.requested_dir):
            return self.requested_dir
        if _is_cluster(self.relocated_dir):
            return self.relocated_dir
        parent = self.requested_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        if self._os_user_can_traverse(parent):
            return self.requested_dir
        return self.relocated_dir

    @property
    def log_file(self) -> Path:
        return self.data_dir / _LOG_NAME

    # -- lifecycle ---------------------------------------------------------------------------

    def is_initialized(self) -> bool:
        return _is_cluster(self.data_dir)

    def init(self) -> bool:
        """Create the cluster; return False when it already exists."""
        self.binaries  # noqa: B018 - fail on missing PostgreSQL before touching directories
        if self.is_initialized():
            return False
        self._prepare_data_dir()
        with _password_file(self._os_uid_gid()) as pwfile:
            args = [
                self.binaries.tool("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
            if not self.fsync:
                args.append("--no-sync")
            self._run(args, what="initdb")
        self._write_settings()
        return True

    def start(self) -> bool:
        """Start the server and wait until it accepts connections; False if already running."""
        if not self.is_initialized():
            raise ClusterError(f"no cluster in {self.data_dir}: run init() first")
        if self.is_running():
            return False
        if port_in_use(self.port):
            raise ClusterError(
                f"port {self.port} on {LOOPBACK} is already in use by another process"
            )
        self._run(
            [
                self.binaries.tool("pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(self.start_timeout),
                "-o",
                f"-p {self.port}",
            ],
            what="pg_ctl start",
            with_log=True,
        )
        return True

    def stop(self) -> bool:
        """Stop the server (fast mode: roll back open transactions); False if not running."""
        if not self.is_running():
            return False
        self._run(
            [self.binaries.tool("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"],
            what="pg_ctl stop",
        )
        return True

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        result = subprocess.run(
            self._command([self.binaries.tool("pg_ctl"), "status", "-D", str(self.data_dir)]),
            capture_output=True,
            text=True,
            cwd="/",
            env=_clean_env(),
            check=False,
        )
        return result.returncode == 0

    def status(self) -> ClusterStatus:
        initialized = self.is_initialized()
        return ClusterStatus(
            requested_dir=self.requested_dir,
            data_dir=self.data_dir,
            port=self.port,
            initialized=initialized,
            running=initialized and self.is_running(),
            url=self.url,
        )

    def destroy(self) -> None:
        """Stop the server and delete its data directory (and a relocated parent)."""
        self.stop()
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        if self.data_dir == self.relocated_dir and self.relocated_dir.parent.exists():
            shutil.rmtree(self.relocated_dir.parent)

    # -- helpers -----------------------------------------------------------------------------

    def _os_uid_gid(self) -> tuple[int, int] | None:
        if not self._as_os_user:
            return None
        try:
            entry = pwd.getpwnam(OS_USER)
        except KeyError as exc:
            raise ClusterError(
                f"running as root needs the '{OS_USER}' OS user (the postgresql package creates it)"
            ) from exc
        return entry.pw_uid, entry.pw_gid

    def _os_user_can_traverse(self, directory: Path) -> bool:
        self._os_uid_gid()  # fails clearly when the user does not exist
        probe = subprocess.run(self._command(["test", "-x", str(directory)]), cwd="/", check=False)
        return probe.returncode == 0

    def _prepare_data_dir(self) -> None:
        owner = self._os_uid_gid()
        if self.data_dir == self.relocated_dir:
            RELOCATION_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
            for directory in (RELOCATION_ROOT, self.data_dir.parent):
                directory.mkdir(mode=0o700, exist_ok=True)
                if owner is not None:
                    os.chown(directory, *owner)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if any(self.data_dir.iterdir()):
            raise ClusterError(f"{self.data_dir} exists, is not empty and holds no cluster")
        if owner is not None:
            os.chown(self.data_dir, *owner)

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": f"'{LOOPBACK}'",
            "port": str(self.port),
            # No Unix socket: nothing to collide with a system Postgres, TCP + password only.
            "unix_socket_directories": "''",
            "wal_level": "logical",
            "max_connections": "100",
            "timezone": "'UTC'",
        }
        if not self.fsync:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        lines = [_SETTINGS_MARKER, *(f"{key} = {value}" for key, value in settings.items())]
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n" + "\n".join(lines) + "\n")

    def _command(self, args: list[str]) -> list[str]:
        if self._as_os_user:
            return [_runuser(), "-u", OS_USER, "--", *args]
        return args

    def _run(self, args: list[str], *, what: str, with_log: bool = False) -> None:
        try:
            result = subprocess.run(
                self._command(args),
                capture_output=True,
                text=True,
                cwd="/",  # the OS user may not be allowed into our working directory
                env=_clean_env(),
                check=False,
            )
        except OSError as exc:
            raise ClusterError(f"{what} could not run: {exc}") from exc
        if result.returncode == 0:
            return
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        if with_log and self.log_file.exists():
            detail += self.log_file.read_text(errors="replace").strip().splitlines()[-3:]
        raise ClusterError(f"{what} failed: {' | '.join(detail) or f'exit {result.returncode}'}")


def _runuser() -> str:
    # sbin may be missing from a non-login root PATH.
    for candidate in (shutil.which("runuser"), "/usr/sbin/runuser", "/sbin/runuser"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise ClusterError("running as root needs runuser (util-linux) to start PostgreSQL")


def _is_cluster(directory: Path) -> bool:
    return (directory / "PG_VERSION").is_file()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _PG_ENV_BLOCKLIST}


@contextmanager
def _password_file(owner: tuple[int, int] | None) -> Iterator[str]:
    """A temporary file holding the superuser password, readable by the server's OS user."""
    fd, name = tempfile.mkstemp(prefix="dashin-pw-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(PASSWORD + "\n")
        if owner is not None:
            os.chown(name, *owner)
        yield name
    finally:
        Path(name).unlink(missing_ok=True)
