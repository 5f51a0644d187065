"""Find the ``supabase/`` project (config, platform.sql, migrations, seed) to apply.

In a checkout it is the repository's own ``supabase/`` directory. An installed wheel carries a
copy in ``dashin_sdk/_supabase`` (the build step in ``setup.py`` puts it there), so
``dashin local start`` works outside the checkout. ``DASHIN_SUPABASE_DIR`` overrides both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dashin_sdk.local.errors import SupabaseDirNotFoundError

ENV_SUPABASE_DIR = "DASHIN_SUPABASE_DIR"
PACKAGED_DIR_NAME = "_supabase"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SupabaseProject:
    """The files of a Supabase CLI project directory."""

    root: Path

    @property
    def config_toml(self) -> Path:
        return self.root / "config.toml"

    @property
    def platform_sql(self) -> Path:
        return self.root / "platform.sql"

    @property
    def migrations_dir(self) -> Path:
        return self.root / "migrations"

    @property
    def seed_sql(self) -> Path:
        return self.root / "seed.sql"


def _looks_like_project(directory: Path) -> bool:
    return (directory / "config.toml").is_file() and (directory / "migrations").is_dir()


def _candidates() -> list[Path]:
    found: list[Path] = []
    override = os.environ.get(ENV_SUPABASE_DIR)
    if override:
        found.append(Path(override))
    checkout_root = _PACKAGE_DIR.parent
    # Only a checkout has pyproject.toml next to the package; in site-packages a stray
    # supabase/ directory must not be picked up by accident.
    if (checkout_root / "pyproject.toml").is_file():
        found.append(checkout_root / "supabase")
    found.append(_PACKAGE_DIR / PACKAGED_DIR_NAME)
    return found


def find_supabase_project() -> SupabaseProject:
    """Return the project to apply or raise :class:`SupabaseDirNotFoundError`."""
    candidates = _candidates()
    for directory in candidates:
        if _looks_like_project(directory):
            return SupabaseProject(directory.resolve())
    tried = ", ".join(str(c) for c in candidates)
    raise SupabaseDirNotFoundError(
        f"no supabase/ project (config.toml + migrations/) found; tried {tried}"
    )
