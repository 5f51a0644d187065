"""Lead normalisation: examples and properties (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions_py.ingest.normalize import (
    NormalizedLead,
    Rejection,
    clean_text,
    email_problem,
    normalize_email,
    normalize_lead,
    normalize_linkedin_url,
    normalize_phone,
)


def lead(**fields: Any) -> NormalizedLead:
    result = normalize_lead(fields)
    assert isinstance(result, NormalizedLead), result
    return result


def rejection(**fields: Any) -> str:
    result = normalize_lead(fields)
    assert isinstance(result, Rejection), result
    return result.reason


def test_email_is_trimmed_lowercased_and_checked() -> None:
    assert lead(email="  Ann.Lee@Example.COM\t").email == "ann.lee@example.com"
    assert lead(email="ann+tag@sub.example.co.uk").email == "ann+tag@sub.example.co.uk"


@pytest.mark.parametrize(
    "bad",
    ["ann@", "ann lee@example.com", "ann@@example.com", "@example.com", "ann@example", "a@-x.com",
     "ann@example.com.", "a..b@example.com", "ann@exa_mple.com", "jöhn@example.com"],
)  # fmt: skip
def test_invalid_emails(bad: str) -> None:
    assert email_problem(normalize_email(bad) or "") is not None


def test_invalid_email_with_no_other_identifier_is_rejected_naming_the_problem() -> None:
    reason = rejection(email="ann@@example.com", first_name="Ann")
    assert "invalid email" in reason
    assert "ann@@example.com" in reason


def test_invalid_email_with_another_identifier_is_dropped_into_metadata() -> None:
    result = lead(email="not-an-email", linkedin_url="linkedin.com/in/ann")
    assert result.email is None
    assert result.metadata["invalid_email"] == "not-an-email"
    assert result.linkedin_url == "https://www.linkedin.com/in/ann"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"first_name": "Ann", "last_name": "Lee"},  # a name without a company
        {"company": "Acme"},  # a company without a name
        {"email": "   ", "title": "CTO"},
    ],
)
def test_no_identifier_is_rejected(fields: dict[str, Any]) -> None:
    assert "no identifier" in rejection(**fields)


def test_name_and_company_is_enough() -> None:
    result = lead(last_name=" Lee ", company="\u00a0Acme\u00a0")
    assert (result.last_name, result.company, result.email) == ("Lee", "Acme", None)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 415-555-2671", None, "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
        ("+49 30 1234567", None, "+49301234567"),
        ("(415) 555-2671", None, None),  # national number without a region
        ("call me", "US", None),
        ("12", "US", None),
    ],
)
def test_phone_to_e164(raw: str, region: str | None, expected: str | None) -> None:
    assert normalize_phone(raw, region) == expected


def test_a_bad_phone_never_rejects_and_is_kept_in_metadata() -> None:
    result = lead(email="ann@example.com", phone="ext. twelve")
    assert result.phone is None
    assert result.metadata["raw_phone"] == "ext. twelve"
    national = normalize_lead(
        {"email": "ann@example.com", "phone": "415 555 2671"}, default_region="US"
    )
    assert isinstance(national, NormalizedLead)
    assert national.phone == "+14155552671"
    assert "raw_phone" not in national.metadata


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.linkedin.com/in/ann", "https://www.linkedin.com/in/ann"),
        ("linkedin.com/in/Ann-Lee/", "https://www.linkedin.com/in/ann-lee"),
        ("http://uk.linkedin.com/in/ann?trk=x#top", "https://www.linkedin.com/in/ann"),
        ("www.linkedin.com/in/ann/details/experience/", "https://www.linkedin.com/in/ann"),
        ("https://www.linkedin.com/company/acme/about", "https://www.linkedin.com/company/acme"),
        ("https://www.linkedin.com/feed/", "https://www.linkedin.com/feed/"),
        ("https://evil.com/linkedin.com/in/ann", "https://evil.com/linkedin.com/in/ann"),
        ("  ", None),
    ],
)
def test_linkedin_canonical_form(raw: str, expected: str | None) -> None:
    assert normalize_linkedin_url(raw) == expected


def test_as_record_has_every_column() -> None:
    record = lead(email="a@example.com", title=" CTO ", source="csv").as_record()
    assert record == {
        "email": "a@example.com",
        "first_name": None,
        "last_name": None,
        "company": None,
        "title": "CTO",
        "linkedin_url": None,
        "phone": None,
        "source": "csv",
        "metadata": {},
    }


# -- properties ------------------------------------------------------------------------------
local_parts = st.from_regex(r"[a-z0-9][a-z0-9_+-]{0,15}", fullmatch=True)
labels = st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True)
spaces = st.text(alphabet=" \t\r\n\u00a0", max_size=3)


@given(local=local_parts, domain=labels, tld=st.sampled_from(["com", "io", "co.uk"]),
       left=spaces, right=spaces, upper=st.booleans())  # fmt: skip
def test_valid_emails_survive_case_and_whitespace(
    local: str, domain: str, tld: str, left: str, right: str, upper: bool
) -> None:
    email = f"{local}@{domain}.{tld}"
    typed = left + (email.upper() if upper else email) + right
    result = lead(email=typed)
    assert result.email == email
    # Normalising twice changes nothing.
    assert lead(**result.as_record()).as_record() == result.as_record()


@given(st.dictionaries(
    st.sampled_from(["email", "first_name", "last_name", "company", "title", "linkedin_url",
                     "phone", "source"]),
    st.one_of(st.none(), st.text(max_size=40)),
))  # fmt: skip
def test_normalize_lead_never_raises_and_output_is_clean(fields: dict[str, Any]) -> None:
    result = normalize_lead(fields)
    if isinstance(result, Rejection):
        assert result.reason
        return
    for column, value in result.as_record().items():
        if isinstance(value, str):
            assert value == clean_text(value), column
    assert result.email is None or email_problem(result.email) is None
    assert result.phone is None or result.phone.startswith("+")
    assert (
        result.email
        or result.linkedin_url
        or ((result.first_name or result.last_name) and result.company)
    )


@given(st.text(max_size=60))
def test_linkedin_normalisation_is_idempotent(raw: str) -> None:
    once = normalize_linkedin_url(raw)
    assert normalize_linkedin_url(once) == once
