"""A deterministic generator of realistic, imperfect lead CSV files.

Rows are new people (unique valid emails), duplicates of earlier people (exact copies, or
the same email with different case and surrounding spaces), rows whose only identifier is an
invalid email (rejected by ``normalize_lead``) and broken lines (a wrong number of fields,
rejected by the CSV connector). Phones come in many formats, LinkedIn URLs in several
non-canonical forms, names with accents, companies with commas (quoted fields).

``generate_leads_csv`` returns ``SampleStats``: ``unique_valid_leads`` is exactly the number
of leads an import creates, so tests can assert counts. The bundled sample is
``generate_leads_csv(path)`` with the defaults (``python -m functions_py.samples``
writes it again).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

BUNDLED_SAMPLE = "leads_sample.csv"
DEFAULT_ROWS = 5200
DEFAULT_SEED = 20250101
DEFAULT_DUPLICATE_RATE = 0.06
DEFAULT_INVALID_EMAIL_RATE = 0.02
DEFAULT_BROKEN_LINE_RATE = 0.01

HEADER = [
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Job Title",
    "LinkedIn",
    "Phone",
    "Country",
]

FIRST_NAMES = (  # noqa: SIM905 - a word list reads better as text
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Sandra Mark Ashley Paul Emily Steven Donna Andrew Michelle Joshua Carol Kevin Amanda Brian "
    "Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Ryan Laura Jacob "
    "Cynthia Gary Kathleen Nicholas Amy Eric Angela Jonathan Shirley Stephen Anna Larry Brenda "
    "José Zoë Søren Chloé Renée Björn Ana Lukas Priya Wei Hiroshi Fatima Olga Mateo Ingrid"
).split()
LAST_NAMES = (  # noqa: SIM905 - a word list reads better as text
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Müller Schmidt Dubois Rossi Kowalski Novak Jensen Larsen Silva Costa Tanaka Sato Kim Park "
    "Chen Wang Singh O'Brien García-López"
).split()
COMPANY_WORDS = (  # noqa: SIM905 - a word list reads better as text
    "Acme Globex Initech Umbrella Stark Wayne Tyrell Cyberdyne Soylent Hooli Vandelay Wonka "
    "Aperture Gringotts Oscorp Pied Piper Massive Dynamic Nakatomi Sterling Dunder Prestige "
    "Blue Sun Monarch Black Mesa Virtucon Gekko Ollivander Kramerica Bluth Duff Zorg Ingen"
).split()
COMPANY_SUFFIXES = ("Inc.", "LLC", "Ltd", "GmbH", "Labs", "Systems", "Group", "Technologies", "")
TITLES = (
    "CTO", "Chief Technology Officer", "VP Engineering", "VP of Sales", "Head of Growth",
    "Engineering Manager", "Software Engineer", "Senior Software Engineer", "CEO", "Founder",
    "Marketing Director", "Sales Manager", "Account Executive", "Product Manager", "COO",
    "Director of Operations", "Data Scientist", "Head of People", "CFO", "VP Marketing",
)  # fmt: skip
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com")
COUNTRIES = ("US", "GB", "DE", "FR", "CA")
INVALID_EMAILS = (
    "{f}.{l}@",
    "{f} {l}@{d}",
    "{f}.{l}@@{d}",
    "{f}.{l}.{d}",
    "@{d}",
    "{f}.{l}@{d}.",
    "{f}.{l}@-{d}",
)


@dataclass(frozen=True)
class SampleStats:
    """What a generated file holds (``rows`` excludes the header)."""

    rows: int
    unique_valid_leads: int
    exact_duplicates: int
    variant_duplicates: int
    invalid_emails: int
    broken_lines: int


def _slug(text: str) -> str:
    ascii_text = text.encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in ascii_text if ch.isalnum())


def _phone(rng: random.Random, country: str) -> str:
    """A phone number in one of the formats people type (some unparseable)."""
    formats: tuple[str, ...]
    if country in ("US", "CA"):
        area, mid, last = (
            rng.choice(("415", "212", "617", "416", "604")),
            rng.randint(200, 989),
            rng.randint(1000, 9999),
        )
        formats = (
            f"+1 {area}-{mid}-{last}",
            f"({area}) {mid}-{last}",
            f"{area}.{mid}.{last}",
            f"1{area}{mid}{last}",
            f"+1 ({area}) {mid} {last} ext. 12",
        )
    elif country == "GB":
        number = f"20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        formats = (f"+44 {number}", f"0{number}", f"0044 {number}".replace(" ", ""))
    elif country == "DE":
        number = f"30 {rng.randint(1000000, 9999999)}"
        formats = (f"+49 {number}", f"0{number}", f"+49 (0){number}")
    else:
        number = f"1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 42"
        formats = (f"+33 {number}", f"0{number}")
    if rng.random() < 0.03:
        return rng.choice(("n/a", "call me", "12", "+999 000"))
    return rng.choice(formats)


def _linkedin(rng: random.Random, slug: str) -> str:
    return rng.choice(
        (
            f"https://www.linkedin.com/in/{slug}",
            f"https://www.linkedin.com/in/{slug}/",
            f"linkedin.com/in/{slug}",
            f"http://uk.linkedin.com/in/{slug.capitalize()}?trk=profile",
            f"https://linkedin.com/in/{slug}#about",
            f"www.linkedin.com/in/{slug}/details/experience/",
        )
    )


def _variant(rng: random.Random, email: str) -> str:
    """The same address as a person might type it again: case and spaces differ."""
    local, _, domain = email.partition("@")
    changed = rng.choice(
        (
            email.upper(),
            f"{local.capitalize()}@{domain.upper()}",
            f"  {email} ",
            f"{email}\t",
            f" {local.title()}@{domain}",
        )
    )
    return changed if changed != email else email.upper()


def generate_rows(
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    duplicate_rate: float = DEFAULT_DUPLICATE_RATE,
    variant_share: float = 0.5,
    invalid_email_rate: float = DEFAULT_INVALID_EMAIL_RATE,
    broken_line_rate: float = DEFAULT_BROKEN_LINE_RATE,
) -> tuple[list[list[str]], SampleStats]:
    """The data rows (lists of fields; broken ones have a wrong length) and their stats."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not cryptography
    people: list[list[str]] = []
    emails: set[str] = set()
    out: list[list[str]] = []
    exact = variants = invalid = broken = 0
    for _ in range(rows):
        roll = rng.random()
        if people and roll < duplicate_rate:
            row = list(rng.choice(people))
            if rng.random() < variant_share:
                row[2] = _variant(rng, row[2])
                variants += 1
            else:
                exact += 1
            out.append(row)
            continue
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country = rng.choice(COUNTRIES)
        word = rng.choice(COMPANY_WORDS)
        suffix = rng.choice(COMPANY_SUFFIXES)
        company = f"{word} {suffix}".strip()
        if suffix in ("Inc.", "LLC") and rng.random() < 0.5:
            company = f"{word}, {suffix}"  # a comma: the field gets quoted
        domain = rng.choice(FREE_MAIL) if rng.random() < 0.08 else f"{_slug(word)}.com"
        roll -= duplicate_rate
        if roll < invalid_email_rate:
            # The only identifier is a broken email: no LinkedIn URL, no company.
            pattern = rng.choice(INVALID_EMAILS)
            bad = pattern.format(f=_slug(first) or "x", l=_slug(last) or "y", d=domain)
            out.append([first, last, bad, "", rng.choice(TITLES), "", "", country])
            invalid += 1
            continue
        roll -= invalid_email_rate
        base = f"{_slug(first) or 'lead'}.{_slug(last) or 'person'}"
        email = f"{base}@{domain}"
        n = 1
        while email in emails:
            n += 1
            email = f"{base}{n}@{domain}"
        row = [
            first,
            last,
            email,
            company,
            rng.choice(TITLES),
            _linkedin(rng, f"{base.replace('.', '-')}-{len(out) + 1}")
            if rng.random() < 0.8
            else "",
            _phone(rng, country) if rng.random() < 0.7 else "",
            country,
        ]
        if roll < broken_line_rate:
            # A broken line: a field lost or an unquoted comma split one.
            row = row[:-1] if rng.random() < 0.5 else [*row[:3], word, suffix or "Co", *row[4:]]
            out.append(row)
            broken += 1
            continue
        emails.add(email)
        people.append(row)
        out.append(row)
    stats = SampleStats(
        rows=rows,
        unique_valid_leads=len(emails),
        exact_duplicates=exact,
        variant_duplicates=variants,
        invalid_emails=invalid,
        broken_lines=broken,
    )
    return out, stats


def render_csv(rows: list[list[str]], *, delimiter: str = ",") -> str:
    """The CSV text (header included, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def generate_leads_csv(
    path: Path | str,
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    duplicate_rate: float = DEFAULT_DUPLICATE_RATE,
    invalid_email_rate: float = DEFAULT_INVALID_EMAIL_RATE,
    broken_line_rate: float = DEFAULT_BROKEN_LINE_RATE,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> SampleStats:
    """Write a sample file; see the module docstring. Returns its stats."""
    data, stats = generate_rows(
        rows,
        seed=seed,
        duplicate_rate=duplicate_rate,
        invalid_email_rate=invalid_email_rate,
        broken_line_rate=broken_line_rate,
    )
    Path(path).write_text(
        render_csv(data, delimiter=delimiter), encoding=encoding, errors="replace", newline=""
    )
    return stats


def bundled_sample_path() -> Path:
    """The bundled ``leads_sample.csv`` (used by ``make demo``)."""
    return Path(__file__).with_name(BUNDLED_SAMPLE)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic leads CSV.")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=bundled_sample_path())
    args = parser.parse_args(argv)
    stats = generate_leads_csv(args.out, args.rows, seed=args.seed)
    print(f"{args.out}: {stats}")


if __name__ == "__main__":
    main()
