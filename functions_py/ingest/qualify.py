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
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

Status = Literal["qualified", "pending", "disqualified"]
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


@dataclass(frozen=True)
class QualificationRules:
    """A job's qualification rules, parsed once: the worker applies them to every record."""

    excluded_domains: tuple[str, ...] = ()
    excluded_companies: frozenset[str] = frozenset()
    excluded_emails: frozenset[str] = frozenset()
    required_fields: tuple[str, ...] = ()
    title_keywords: tuple[tuple[str, re.Pattern[str]], ...] = ()
    countries: tuple[str, ...] = ()
    country_keys: frozenset[str] = frozenset()

    @classmethod
    def from_criteria(cls, criteria: Mapping[str, Any] | None) -> QualificationRules:
        criteria = criteria or {}
        countries = tuple(_strings(criteria, "countries"))
        return cls(
            excluded_domains=tuple(
                d.lower().lstrip("@") for d in _strings(criteria, "excluded_domains")
            ),
            excluded_companies=frozenset(
                c.casefold() for c in _strings(criteria, "excluded_companies")
            ),
            excluded_emails=frozenset(e.lower() for e in _strings(criteria, "excluded_emails")),
            required_fields=tuple(_strings(criteria, "required_fields")),
            title_keywords=tuple(
                (k, re.compile(rf"(?<!\w){re.escape(k)}(?!\w)", re.I))
                for k in _strings(criteria, "title_keywords")
            ),
            countries=countries,
            country_keys=frozenset(c.casefold() for c in countries),
        )

    def qualify(self, lead: Any) -> tuple[Status, str]:
        """``(status, reason)`` for a lead (a ``NormalizedLead`` or a lead record dict)."""
        email = _field(lead, "email")
        domain = (
            email.rsplit("@", 1)[1].lower() if isinstance(email, str) and "@" in email else None
        )
        if domain is not None:
            for excluded in self.excluded_domains:
                if domain == excluded or domain.endswith("." + excluded):
                    return "disqualified", f"email domain {domain} is excluded"
        company = _field(lead, "company")
        if isinstance(company, str) and company.strip().casefold() in self.excluded_companies:
            return "disqualified", f"company {company} is excluded"
        if isinstance(email, str) and email.lower() in self.excluded_emails:
            return "disqualified", "email is excluded"

        passed: list[str] = []
        if self.required_fields:
            missing = [name for name in self.required_fields if not _field(lead, name)]
            if missing:
                return "pending", f"missing required field(s): {', '.join(missing)}"
            passed.append(f"has {', '.join(self.required_fields)}")

        if self.title_keywords:
            title = _field(lead, "title")
            if not isinstance(title, str) or not title.strip():
                return "pending", "no title to match the title keywords"
            hit = next((k for k, pattern in self.title_keywords if pattern.search(title)), None)
            if hit is None:
                keywords = ", ".join(k for k, _ in self.title_keywords)
                return "pending", f"title {title!r} matches none of: {keywords}"
            passed.append(f"title matches {hit!r}")

        if self.countries:
            country = lead_country(lead)
            if country is None:
                return "pending", "country unknown"
            if country.casefold() not in self.country_keys:
                return "pending", f"country {country} is not one of: {', '.join(self.countries)}"
            passed.append(f"country {country}")

        if not passed:
            return "pending", "no qualification rules in the search criteria"
        return "qualified", "; ".join(passed)


def qualify(lead: Any, criteria: Mapping[str, Any] | None) -> tuple[Status, str]:
    """``(status, reason)`` for one lead; for many, build ``QualificationRules`` once."""
    return QualificationRules.from_criteria(criteria).qualify(lead)
