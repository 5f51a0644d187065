"""Build hook: ship the Supabase project inside the wheel as ``dashin_sdk/_supabase``.

Everything else about the package is declared in pyproject.toml. The SQL stays in the
repository's ``supabase/`` directory (where the Supabase CLI expects it); only built wheels get a
copy, so ``dashin local start`` works from an installed package. Editable installs read the
checkout directly and need no copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "supabase"
TARGET = Path("dashin_sdk") / "_supabase"
# What `dashin local start` / `dashin db migrate` read; pgTAP tests and CLI temp files are not.
SHIPPED = ("config.toml", "platform.sql", "seed.sql", "migrations/*.sql")


class BuildPyWithSupabase(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        if not SOURCE.is_dir():
            raise SystemExit(f"cannot build: {SOURCE.name}/ is missing from the source tree")
        target = Path(self.build_lib) / TARGET
        shutil.rmtree(target, ignore_errors=True)
        for pattern in SHIPPED:
            for path in sorted(SOURCE.glob(pattern)):
                destination = target / path.relative_to(SOURCE)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)


setup(cmdclass={"build_py": BuildPyWithSupabase})
