"""The SQL normalisation helpers behind lead dedupe (migration 001)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.factories import Conn


@pytest.fixture(scope="module")
def conn(db_url: str) -> Iterator[Conn]:
    with psycopg.connect(db_url, autocommit=True) as c:
        yield c


def sql_value(conn: Conn, query: str, *params: Any) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("http://uk.linkedin.com/in/Foo-Bar/?trk=1", "https://www.linkedin.com/in/foo-bar"),
        ("linkedin.com/in/abc#about", "https://www.linkedin.com/in/abc"),
        ("  HTTPS://WWW.LINKEDIN.COM/IN/ABC \t", "https://www.linkedin.com/in/abc"),
        ("https://de.linkedin.com/in/x/details/experience/", "https://www.linkedin.com/in/x"),
        ("www.linkedin.com/in/a?b=c/d", "https://www.linkedin.com/in/a"),
        ("https://www.linkedin.com/company/acme/about/", "https://www.linkedin.com/company/acme"),
        # Not a profile or company page: kept as given, trimmed.
        (
            "https://www.linkedin.com/pub/john-doe/1/2/3",
            "https://www.linkedin.com/pub/john-doe/1/2/3",
        ),
        ("https://www.linkedin.com/in/", "https://www.linkedin.com/in/"),
        ("https://evil.example/linkedin.com/in/x", "https://evil.example/linkedin.com/in/x"),
        ("http://notlinkedin.com/in/x", "http://notlinkedin.com/in/x"),
        ("   ", None),
        (None, None),
    ],
)
def test_linkedin_urls_are_canonicalised(
    conn: Conn, raw: str | None, canonical: str | None
) -> None:
    assert sql_value(conn, "select private.normalize_linkedin_url(%s)", raw) == canonical


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" Ada@Example.COM ", "ada@example.com"),
        ("\tada@example.com\n", "ada@example.com"),
        ("", None),
    ],
)
def test_emails_are_lowercased_and_trimmed(conn: Conn, raw: str, normalised: str | None) -> None:
    assert sql_value(conn, "select private.normalize_email(%s)", raw) == normalised


linkedin_like = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, host, kind, slug, tail: f"{scheme}{host}linkedin.com/{kind}/{slug}{tail}",
        st.sampled_from(["", "http://", "https://", " https://"]),
        st.sampled_from(["", "www.", "uk.", "WWW.", "x.y."]),
        st.sampled_from(["in", "IN", "company", "pub", ""]),
        st.text(alphabet="abcXYZ-_9/?#", max_size=12),
        st.sampled_from(["", "/", "?trk=1", " ", "\t"]),
    ),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(url=linkedin_like)
def test_the_canonical_fast_path_agrees_with_normalisation(conn: Conn, url: str) -> None:
    """is_canonical_linkedin_url() has a shortcut; it must mean normalize(url) = url."""
    if "\x00" in url:
        return
    canonical, normalised = conn.execute(
        "select private.is_canonical_linkedin_url(%s), private.normalize_linkedin_url(%s)",
        (url, url),
    ).fetchone() or (None, None)
    assert canonical == (normalised == url)
    # Normalising is idempotent.
    assert sql_value(conn, "select private.normalize_linkedin_url(%s)", normalised) == normalised
