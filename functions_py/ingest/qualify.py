"""Qualifying a normalised lead against a job's search criteria.

``qualify(lead, criteria)`` returns ``(status, reason)`` with status ``"qualified"``,
``"pending"`` (a person should look: a rule is not met or cannot be checked) or
``"disqualified"`` (only for an explicit exclusion). Rule keys in ``search_criteria``
(other keys are the connectors' search parameters and are ignored here):

``excluded_domains``   list of email domains; a lead whose email is at one of them (or a
                       subdomain) is disqualified. ``["gmail.com", "yahoo.com"]``
``excluded_companies`` list of company names (case and surrounding space ignored); a match
                       is disqualified.
``excluded_emails``    list of email addresses; a match is disqualified.
``required_fields``    list of lead columns that must be filled (``email``, ``phone``,
                       ``title``, ``linkedin_url``, ``company``, ``first_name``...).
``title_keywords``     list of words; the title must contain one of them as a word
                       (case-insensitive: ``"vp"`` matches "VP Sales", not "MVP").
``countries``          list of ISO 3166 alpha-2 codes or names; the lead's country is
                       ``metadata.country`` (or ``Country``/``location_country``), else the
                       region of its E.164 phone number.

Exclusions are checked first; a lead that passes every rule given is qualified. With no
qualification rule at all a lead stays pending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import phonenumbers

from functions_py.connectors.fields import QUALIFICATION_KEYS

Status = Literal["qualified", "pending", "disqualified"]
RULE_KEYS = QUALIFICATION_KEYS
COUNTRY_KEYS = ("country", "Country", "location_country", "country_code")


def _strings(criteria: Mapping[str, Any], key: str) -> list[str]:
    value = criteria.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def _field(lead: Any, name: str) -> Any:
    return lead.get(name) if isinstance(lead, Mapping) else getattr(lead, name, None)


def lead_country(lead: Any) -> str | None:
    """The lead's country (as given in metadata, else the phone number's region code)."""
    metadata = _field(lead, "metadata") or {}
    for key in COUNTRY_KEYS:
        value = metadata.get(key) if isinstance(metadata, Mapping) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    phone = _field(lead, "phone")
    if isinstance(phone, str) and phone.startswith("+"):
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
        except phonenumbers.NumberParseException:
            return None
        return str(region) if region and region != "ZZ" else None
    return None


def qualify(lead: Any, criteria: Mapping[str, Any] | None) -> tuple[Status, str]:
    """``(status, reason)`` for a lead (a ``NormalizedLead`` or a lead record dict)."""
    criteria = criteria or {}
    email = _field(lead, "email")
    domain = email.rsplit("@", 1)[1].lower() if isinstance(email, str) and "@" in email else None

    for excluded in (d.lower().lstrip("@") for d in _strings(criteria, "excluded_domains")):
        if domain is not None and (domain == excluded or domain.endswith("." + excluded)):
            return "disqualified", f"email domain {domain} is excluded"
    company = _field(lead, "company")
    if isinstance(company, str):
        wanted = company.strip().casefold()
        for excluded in _strings(criteria, "excluded_companies"):
            if excluded.casefold() == wanted:
                return "disqualified", f"company {company} is excluded"
    if isinstance(email, str):
        for excluded in _strings(criteria, "excluded_emails"):
            if excluded.lower() == email.lower():
                return "disqualified", "email is excluded"

    passed: list[str] = []
    required = _strings(criteria, "required_fields")
    if required:
        missing = [name for name in required if not _field(lead, name)]
        if missing:
            return "pending", f"missing required field(s): {', '.join(missing)}"
        passed.append(f"has {', '.join(required)}")

    keywords = _strings(criteria, "title_keywords")
    if keywords:
        title = _field(lead, "title")
        if not isinstance(title, str) or not title.strip():
            return "pending", "no title to match the title keywords"
        hit = next(
            (k for k in keywords if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", title, re.I)),
            None,
        )
        if hit is None:
            return "pending", f"title {title!r} matches none of: {', '.join(keywords)}"
        passed.append(f"title matches {hit!r}")

    countries = _strings(criteria, "countries")
    if countries:
        country = lead_country(lead)
        if country is None:
            return "pending", "country unknown"
        if country.casefold() not in {c.casefold() for c in countries}:
            return "pending", f"country {country} is not one of: {', '.join(countries)}"
        passed.append(f"country {country}")

    if not passed:
        return "pending", "no qualification rules in the search criteria"
    return "qualified", "; ".join(passed)
