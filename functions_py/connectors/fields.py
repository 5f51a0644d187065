"""Lead columns and the small helpers connectors share to map source records onto them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The lead columns a connector may fill (``metadata`` holds everything else).
LEAD_COLUMNS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "linkedin_url",
    "phone",
    "source",
)

#: Search-criteria keys that are qualification rules (see ``functions_py.ingest.qualify``),
#: not provider search parameters: connectors never send them to a provider.
QUALIFICATION_KEYS: frozenset[str] = frozenset(
    {
        "excluded_domains",
        "excluded_companies",
        "excluded_emails",
        "required_fields",
        "title_keywords",
        "countries",
    }
)

_MISSING = object()


def provider_criteria(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """``criteria`` without the qualification rules: what a provider search is sent."""
    return {k: v for k, v in criteria.items() if k not in QUALIFICATION_KEYS}


def get_path(document: Any, path: str | None) -> Any:
    """The value at dotted ``path`` in nested dicts/lists (``data.items``, ``a.0.b``).

    None when absent; an empty path is the document itself.
    """
    if not path:
        return document
    current: Any = document
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else _MISSING
        else:
            return None
        if current is _MISSING:
            return None
    return current


def text(value: Any) -> str | None:
    """A source value as text for a lead column (numbers are kept, containers are not)."""
    if value is None or isinstance(value, Mapping | list | bool):
        return None
    result = str(value).strip()
    return result or None


def lead_record(
    fields: Mapping[str, Any], *, metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A record with every lead column (``None`` when unknown) and a ``metadata`` dict."""
    record: dict[str, Any] = {column: text(fields.get(column)) for column in LEAD_COLUMNS}
    record["metadata"] = {k: v for k, v in (metadata or {}).items() if v is not None}
    return record


def fill_empty(record: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Enrichment: copy ``extra``'s lead columns into ``record`` where it has none yet."""
    for column in LEAD_COLUMNS:
        value = text(extra.get(column))
        if value is not None and record.get(column) is None:
            record[column] = value
