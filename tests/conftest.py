"""Session fixtures: one throwaway PostgreSQL 15 cluster with a migrated template database.

Fixtures
--------
``pg``             (session)  the :class:`tests.support.db.TestCluster`
``project``        (session)  the :class:`SupabaseProject` under test (the repo's supabase/)
``db_url``         (module)   URL of a database cloned from the template, shared by the module
``fresh_db_url``   (function) URL of a database cloned from the template for this test only
``empty_db_url``   (function) URL of an empty database (nothing applied) for this test only
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashin_sdk.local import SupabaseProject, find_supabase_project
from tests.support.db import TestCluster, throwaway_cluster


@pytest.fixture(scope="session")
def project() -> SupabaseProject:
    return find_supabase_project()


@pytest.fixture(scope="session")
def pg(project: SupabaseProject) -> Iterator[TestCluster]:
    # The context manager stops the cluster on failure and on KeyboardInterrupt too: pytest
    # still tears session fixtures down then.
    with throwaway_cluster(project) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def db_url(pg: TestCluster) -> Iterator[str]:
    with pg.database("mod") as url:
        yield url


@pytest.fixture
def fresh_db_url(pg: TestCluster) -> Iterator[str]:
    with pg.database("test") as url:
        yield url


@pytest.fixture
def empty_db_url(pg: TestCluster) -> Iterator[str]:
    with pg.database("empty", template="template0") as url:
        yield url
