"""Run the pgTAP tests (supabase/tests/database/*.sql) with pg_prove on a throwaway cluster.

The cluster gets platform.sql, every migration and the seed, like the local stack; it is
stopped and deleted afterwards, whatever happens. Usage: python scripts/run_pgtap.py [files...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dashin_sdk.local import (
    LocalCluster,
    LocalStackError,
    find_supabase_project,
    free_port,
    migrate,
)
from dashin_sdk.local.cluster import PASSWORD, SUPERUSER


def main(argv: list[str]) -> int:
    project = find_supabase_project()
    files = [Path(a) for a in argv] or sorted((project.root / "tests" / "database").glob("*.sql"))
    if not files:
        print("no pgTAP tests in supabase/tests/database")
        return 0
    if shutil.which("pg_prove") is None:
        print("pg_prove not found: run scripts/bootstrap.sh (postgresql-15-pgtap)", file=sys.stderr)
        return 1
    base = Path(tempfile.mkdtemp(prefix="dashin-pgtap-"))
    base.chmod(0o755)  # when root, the postgres OS user must reach the data directory
    cluster = LocalCluster(base / "data", free_port(), fsync=False)
    try:
        cluster.init()
        cluster.start()
        migrate(cluster.url, project, seed=True)
        env = {
            **os.environ,
            "PGPASSWORD": PASSWORD,
            # Supabase-style tests install pgtap into the extensions schema.
            "PGOPTIONS": "-c search_path=public,extensions",
        }
        command = [
            "pg_prove",
            *("-h", "127.0.0.1", "-p", str(cluster.port), "-U", SUPERUSER, "-d", "postgres"),
            *(str(f) for f in files),
        ]
        return subprocess.run(command, env=env, check=False).returncode
    except LocalStackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
