"""Normalising one connector record into a lead, or rejecting it with a reason.

The rules match the database's (``private.clean_text``, ``private.normalize_email``,
``private.is_valid_email``, ``private.normalize_linkedin_url`` in the initial schema), so a
lead normalised here is stored unchanged:

- text is trimmed of spaces, tabs, CR/LF and no-break spaces; blank becomes None;
- email: trimmed, lower-cased, syntax-checked (the database's pattern and email-validator,
  no DNS). An invalid email is dropped (kept as ``metadata.invalid_email``) when the lead has
  another identifier, else the record is rejected;
- phone: E.164 via phonenumbers (``default_region`` for national numbers); a number that
  cannot be parsed is never a reason to reject: it is kept as ``metadata.raw_phone``;
- LinkedIn URL: canonical ``https://www.linkedin.com/in/<slug>`` (or ``/company/<slug>``);
- a record needs an email, a LinkedIn URL, or a name (first or last) and a company.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import email_validator
import phonenumbers

from functions_py.connectors.fields import LEAD_COLUMNS

_WHITESPACE = " \t\n\r\xa0"
# private.is_valid_email's pattern.
_EMAIL_PATTERN = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
)
_CANONICAL_PREFIX = "https://www.linkedin.com/in/"
_ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class NormalizedLead:
    """A lead ready for ``upsert_leads``."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    linkedin_url: str | None = None
    phone: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        """The lead as a JSON-ready dict (lead columns + metadata)."""
        record: dict[str, Any] = {column: getattr(self, column) for column in LEAD_COLUMNS}
        record["metadata"] = dict(self.metadata)
        return record


@dataclass(frozen=True)
class Rejection:
    """Why a record cannot become a lead."""

    reason: str


def clean_text(raw: Any) -> str | None:
    """``private.clean_text``: trimmed text, None when blank."""
    if raw is None:
        return None
    text = str(raw).strip(_WHITESPACE)
    return text or None


def normalize_email(raw: Any) -> str | None:
    """``private.normalize_email``: trimmed and lower-cased."""
    text = clean_text(raw)
    return text.lower() if text is not None else None


def email_problem(email: str) -> str | None:
    """Why a normalised email is invalid, or None when it is valid."""
    if len(email) > 254 or not _EMAIL_PATTERN.match(email):
        return "not a valid email address"
    try:
        email_validator.validate_email(
            email, check_deliverability=False, globally_deliverable=False
        )
    except email_validator.EmailNotValidError as exc:
        return str(exc)
    return None


def normalize_phone(raw: Any, default_region: str | None = None) -> str | None:
    """E.164 form of a phone number, or None when it cannot be parsed as a valid number."""
    text = clean_text(raw)
    if text is None:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sql_lower(text: str) -> str:
    """Lower case as Postgres' ``lower()`` does it: character by character, one character each.

    ``str.lower`` applies Unicode's full, contextual mapping (``"İ"`` becomes two characters,
    a final ``"Σ"`` becomes ``"ς"``); the database maps each character on its own.
    """
    if text.isascii():
        return text.lower()
    return "".join(_lower_char(ch) for ch in text)


def _lower_char(ch: str) -> str:
    lowered = ch.lower()
    # Only U+0130 lower-cases to more than one character; its simple mapping is "i".
    return lowered if len(lowered) == 1 else lowered[0]


def linkedin_path(url: str) -> str | None:
    """``private.linkedin_path``: ``in/<slug>`` or ``company/<slug>`` of a lower-cased URL."""
    host_at = url.find("linkedin.com/")
    if host_at < 0:
        return None
    prefix = url[:host_at]
    if prefix.startswith("https://"):
        prefix = prefix[8:]
    elif prefix.startswith("http://"):
        prefix = prefix[7:]
    subdomain_ok = (
        len(prefix) in (3, 4) and prefix.endswith(".") and set(prefix[:-1]) <= _ASCII_LOWER
    )
    if not (prefix in ("", "www.") or subdomain_ok):
        return None
    path = url[host_at + len("linkedin.com/") :].split("?", 1)[0].split("#", 1)[0]
    parts = path.split("/")
    kind = parts[0]
    slug = parts[1] if len(parts) > 1 else ""
    if kind not in ("in", "company") or slug == "":
        return None
    return f"{kind}/{slug}"


def is_canonical_profile_url(url: str) -> bool:
    """``private.is_canonical_profile_url``."""
    return (
        url.startswith(_CANONICAL_PREFIX)
        and len(url) > len(_CANONICAL_PREFIX)
        and "/" not in url[len(_CANONICAL_PREFIX) :]
        and "?" not in url
        and "#" not in url
        and url == sql_lower(url)
        and url == clean_text(url)
    )


def normalize_linkedin_url(raw: Any) -> str | None:
    """``private.normalize_linkedin_url``: the canonical profile/company URL, else trimmed."""
    if raw is None:
        return None
    text = str(raw)
    if is_canonical_profile_url(text):
        return text
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    path = linkedin_path(sql_lower(cleaned))
    return f"https://www.linkedin.com/{path}" if path is not None else cleaned


def normalize_lead(
    record: Mapping[str, Any], *, default_region: str | None = None
) -> NormalizedLead | Rejection:
    """A connector record as a normalised lead, or the reason it cannot be one."""
    metadata_in = record.get("metadata")
    metadata: dict[str, Any] = dict(metadata_in) if isinstance(metadata_in, Mapping) else {}
    first_name = clean_text(record.get("first_name"))
    last_name = clean_text(record.get("last_name"))
    company = clean_text(record.get("company"))
    linkedin_url = normalize_linkedin_url(record.get("linkedin_url"))

    email = normalize_email(record.get("email"))
    invalid_email: str | None = None
    if email is not None:
        problem = email_problem(email)
        if problem is not None:
            invalid_email = f"invalid email {email!r}: {problem}"
            metadata["invalid_email"] = email
            email = None

    has_name = first_name is not None or last_name is not None
    if email is None and linkedin_url is None and not (has_name and company is not None):
        if invalid_email is not None:
            return Rejection(f"{invalid_email}, and no LinkedIn URL or name and company")
        return Rejection("no identifier: needs an email, a LinkedIn URL, or a name and a company")

    raw_phone = clean_text(record.get("phone"))
    phone = normalize_phone(raw_phone, default_region)
    if raw_phone is not None and phone is None:
        metadata["raw_phone"] = raw_phone

    return NormalizedLead(
        email=email,
        first_name=first_name,
        last_name=last_name,
        company=company,
        title=clean_text(record.get("title")),
        linkedin_url=linkedin_url,
        phone=phone,
        source=clean_text(record.get("source")),
        metadata=metadata,
    )
