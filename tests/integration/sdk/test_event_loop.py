"""The sync client inside a running event loop (Jupyter runs cells that way)."""

from __future__ import annotations

import asyncio

from dashin_sdk import Dashin
from tests.support.identity import ADMIN_A


def test_sync_client_inside_a_running_loop(db_url: str) -> None:
    async def notebook_cell() -> tuple[int, int, str]:
        assert asyncio.get_running_loop() is not None
        with Dashin(database_url=db_url) as dx:
            campaigns = dx.campaigns.list()
            admin = dx.as_user(ADMIN_A).leads.list(page_size=5)
            profile = dx.auth.sign_in_with_password(
                "admin@demo.dashin.test", "dashin-demo-password"
            )
            return campaigns.meta.total, len(admin.data), str(profile.role)

    assert asyncio.run(notebook_cell()) == (4, 5, "agency_admin")


def test_sync_iteration_across_pages_inside_a_running_loop(db_url: str) -> None:
    async def notebook_cell() -> int:
        with Dashin(database_url=db_url) as dx:
            return sum(1 for _ in dx.leads.list(page_size=7).iter_all())

    assert asyncio.run(notebook_cell()) == 80  # the seed's 60 + 20 leads
