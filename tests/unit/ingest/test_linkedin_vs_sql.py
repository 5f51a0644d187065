"""The Python LinkedIn URL normalisation must equal the database's, URL for URL.

Leads are deduplicated on the stored (SQL-normalised) URL; a Python form that differed would
make the worker's in-batch dedupe and the database disagree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions_py.ingest.normalize import (
    is_canonical_profile_url,
    normalize_email,
    normalize_linkedin_url,
)


@pytest.fixture(scope="module")
def conn(db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


def sql_normalised(
    conn: psycopg.Connection[tuple[object, ...]], urls: list[str | None]
) -> list[object]:
    rows = conn.execute(
        "select private.normalize_linkedin_url(u)"
        " from unnest(%s::text[]) with ordinality as t(u, n) order by n",
        [urls],
    ).fetchall()
    return [row[0] for row in rows]


def url_variants() -> list[str | None]:
    """Every combination of the ways scraped LinkedIn URLs differ, plus look-alikes."""
    schemes = ["", "http://", "https://", "HTTPS://", "ftp://"]
    hosts = ["linkedin.com", "www.linkedin.com", "uk.linkedin.com", "WWW.LinkedIn.com",
             "de.linkedin.com", "abcd.linkedin.com", "u1.linkedin.com", "evil.com/linkedin.com",
             "mylinkedin.com", "linkedin.co"]  # fmt: skip
    paths = ["/in/ann-lee", "/in/Ann-Lee/", "/in/ann-lee/details/experience/", "/company/acme",
             "/company/Acme/about/", "/in/", "/in", "/feed/", "/pub/ann/1/2/3", "",
             "/in/ann%C3%A9", "/in/zoë", "/in/\u0130rem", "/in/ΟΔΥΣΣΕΥΣ", "/in/STRAẞE"]  # fmt: skip
    tails = ["", "?trk=public_profile", "#about", "?a=1#b", "/"]
    pads = [("", ""), ("  ", "\t"), ("\u00a0", "\r\n")]
    urls: list[str | None] = [
        f"{left}{scheme}{host}{path}{tail}{right}"
        for scheme, host, path, tail, (left, right) in itertools.product(
            schemes, hosts, paths, tails, pads
        )
    ]
    return [*urls, None, "", "   ", "not a url", "linkedin.com/", "https://www.linkedin.com/in/a?"]


def test_python_matches_sql_on_url_variants(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    urls = url_variants()
    assert len(urls) > 5000
    expected = sql_normalised(conn, urls)
    mismatches = [
        (url, py, db)
        for url, db in zip(urls, expected, strict=True)
        if (py := normalize_linkedin_url(url)) != db
    ]
    assert mismatches == []


def test_canonical_check_and_email_match_sql(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    samples = [
        "https://www.linkedin.com/in/ann",
        "https://www.linkedin.com/in/Ann",
        "https://www.linkedin.com/in/",
        "https://www.linkedin.com/in/a/b",
        " https://www.linkedin.com/in/ann",
        "https://www.linkedin.com/company/x",
    ]
    rows = conn.execute(
        "select private.is_canonical_profile_url(u) from unnest(%s::text[]) with ordinality"
        " as t(u, n) order by n",
        [samples],
    ).fetchall()
    assert [bool(r[0]) for r in rows] == [is_canonical_profile_url(u) for u in samples]
    emails = ["  Ann@Example.COM ", "\u00a0x@y.io\t", "", None]
    rows = conn.execute(
        "select private.normalize_email(e) from unnest(%s::text[]) with ordinality as t(e, n)"
        " order by n",
        [emails],
    ).fetchall()
    assert [r[0] for r in rows] == [normalize_email(e) for e in emails]


TOKENS = [*"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:.?#-_ %\t\u00a0"]
TOKENS += [
    "linkedin.com/",
    "in/",
    "company/",
    "www.",
    "https://",
    "http://",
    "uk.",
    "\u0130",
    "Σ",
    "É",
]
url_text = st.lists(st.sampled_from(TOKENS), max_size=12).map("".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(url_text, min_size=1, max_size=20))
def test_python_matches_sql_on_generated_urls(
    conn: psycopg.Connection[tuple[object, ...]], urls: list[str]
) -> None:
    expected = sql_normalised(conn, list(urls))
    assert [normalize_linkedin_url(u) for u in urls] == expected
