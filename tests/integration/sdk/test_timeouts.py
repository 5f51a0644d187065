"""``ClientOptions.timeout`` bounds each statement on the direct backend."""

from __future__ import annotations

import pytest

from dashin_sdk import Dashin, TimeoutError
from dashin_sdk.settings import ClientOptions
from tests.support.factories import Conn, column, connect
from tests.support.identity import ADMIN_A, CAMPAIGN_A1


def test_a_statement_waiting_past_the_timeout_is_cancelled(fresh_db_url: str, conn: Conn) -> None:
    with connect(fresh_db_url) as holder, holder.transaction():
        # Another session holds the row: the update below waits for its lock.
        holder.execute("select 1 from public.campaigns where id = %s for update", (CAMPAIGN_A1,))
        options = ClientOptions(timeout=1, max_retries=0)
        with Dashin(database_url=fresh_db_url, options=options) as dx:
            with pytest.raises(TimeoutError, match="statement timed out"):
                dx.as_user(ADMIN_A).campaigns.update(CAMPAIGN_A1, name="never")
            # The timeout is the transaction's own: the next call is not affected by it.
            assert dx.campaigns.get(CAMPAIGN_A1).name != "never"
    assert column(conn, "select name from public.campaigns where id = %s", (CAMPAIGN_A1,)) != [
        "never"
    ]
    assert column(conn, "show statement_timeout") == ["0"]  # the server default is untouched
