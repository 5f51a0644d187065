"""Qualification rules from search criteria."""

from __future__ import annotations

from typing import Any

import pytest

from functions_py.ingest.normalize import NormalizedLead
from functions_py.ingest.qualify import lead_country, qualify

CTO = NormalizedLead(
    email="ann@acme.com",
    first_name="Ann",
    company="Acme Inc",
    title="CTO & Co-founder",
    phone="+14155552671",
    metadata={},
)


@pytest.mark.parametrize(
    ("criteria", "status", "reason_part"),
    [
        ({}, "pending", "no qualification rules"),
        ({"q_keywords": "saas"}, "pending", "no qualification rules"),
        ({"title_keywords": ["cto", "vp"]}, "qualified", "title matches 'cto'"),
        ({"title_keywords": ["vp"]}, "pending", "matches none of: vp"),
        ({"required_fields": ["email", "title"]}, "qualified", "has email, title"),
        ({"required_fields": ["email", "linkedin_url"]}, "pending",
         "missing required field(s): linkedin_url"),
        ({"excluded_domains": ["acme.com"]}, "disqualified", "email domain acme.com is excluded"),
        ({"excluded_domains": ["@ACME.com"], "title_keywords": ["cto"]}, "disqualified",
         "excluded"),
        ({"excluded_domains": ["gmail.com"], "title_keywords": ["cto"]}, "qualified", "cto"),
        ({"excluded_companies": [" acme inc "]}, "disqualified", "company Acme Inc is excluded"),
        ({"excluded_emails": ["ANN@acme.com"]}, "disqualified", "email is excluded"),
        ({"countries": ["US", "CA"]}, "qualified", "country US"),
        ({"countries": ["DE"]}, "pending", "country US is not one of: DE"),
    ],
)  # fmt: skip
def test_rules(criteria: dict[str, Any], status: str, reason_part: str) -> None:
    got_status, reason = qualify(CTO, criteria)
    assert (got_status, reason_part in reason) == (status, True), reason


def test_keyword_matches_words_not_fragments() -> None:
    lead = {"title": "MVP Product Manager", "email": "a@b.co"}
    assert qualify(lead, {"title_keywords": ["vp"]})[0] == "pending"
    lead = {"title": "Senior VP, Sales", "email": "a@b.co"}
    assert qualify(lead, {"title_keywords": ["vp"]})[0] == "qualified"
    # "Co-founder" holds the word "Co" (a hyphen is not a word character).
    assert qualify(CTO, {"title_keywords": ["co"]})[0] == "qualified"


def test_subdomains_of_an_excluded_domain_are_excluded() -> None:
    lead = {"email": "a@mail.gmail.com"}
    assert qualify(lead, {"excluded_domains": ["gmail.com"]})[0] == "disqualified"
    lead = {"email": "a@notgmail.com"}
    assert qualify(lead, {"excluded_domains": ["gmail.com"]}) == (
        "pending",
        "no qualification rules in the search criteria",
    )


def test_all_rules_together_and_a_dict_lead() -> None:
    lead = {
        "email": "bo@globex.com",
        "title": "VP Engineering",
        "company": "Globex",
        "metadata": {"Country": "GB"},
    }
    criteria = {
        "required_fields": ["email"],
        "title_keywords": ["cto", "vp"],
        "excluded_domains": ["gmail.com"],
        "excluded_companies": ["Initech"],
        "countries": ["gb", "us"],
    }
    assert qualify(lead, criteria) == (
        "qualified",
        "has email; title matches 'vp'; country GB",
    )


def test_unknown_country_and_missing_title_stay_pending() -> None:
    assert qualify({"email": "a@b.co"}, {"countries": ["US"]}) == ("pending", "country unknown")
    assert qualify({"email": "a@b.co"}, {"title_keywords": ["cto"]})[0] == "pending"


def test_country_from_metadata_or_phone() -> None:
    assert lead_country({"metadata": {"country": " DE "}}) == "DE"
    assert lead_country({"phone": "+442079460958"}) == "GB"
    assert lead_country({"phone": "n/a"}) is None
