"""Benchmark: bulk lead upsert through ``public.upsert_leads`` versus a COPY of the same rows.

Run ``python -m bench.upsert_leads [--rows 100000] [--batch 1000] [--repeat N]``.

Everything happens in ONE run against ONE throwaway PostgreSQL 15 cluster (temporary directory,
free port, stopped and deleted at the end): platform.sql, the migrations and the seed are
applied once to a template database, and every measurement gets its own fresh database cloned
from it (``CREATE DATABASE ... TEMPLATE``), so no measurement sees another's rows, audit log or
bloat. See bench/README.md for what each line of the report means.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import platform
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from dashin_sdk.local import LocalCluster, find_supabase_project, free_port, migrate

# Demo Agency and its "Q1 SaaS CTOs" campaign (supabase/seed.sql).
AGENCY_ID = "11111111-1111-4111-8111-111111111111"
CAMPAIGN_ID = "33333333-3333-4333-8333-000000000001"
ADMIN_ID = "00000000-0000-4000-8000-000000000011"  # its agency admin
SOURCE = "bench"
TEMPLATE_DB = "bench_template"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "upsert_leads.json"
SERVICE_CLAIMS = json.dumps({"role": "service_role"})
TARGET_RATIO = 2.0
TIMES = "\u00d7"  # the multiplication sign, as in "2x"

# The columns a client supplies (the rest are defaults or generated); COPY uses the same ones.
LEAD_COLUMNS: tuple[str, ...] = (
    "agency_id",
    "campaign_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "linkedin_url",
    "phone",
    "source",
    "status",
    "qualification_status",
    "qualification_reason",
    "priority",
    "metadata",
    "data_source_id",
    "scraping_job_id",
)

Conn = psycopg.Connection[tuple[Any, ...]]
Record = dict[str, Any]

# -- synthetic data ---------------------------------------------------------------------------

FIRST_NAMES = [
    "Aaliyah",
    "Adam",
    "Aisha",
    "Alejandro",
    "Amelia",
    "Ana",
    "Andrei",
    "Anna",
    "Arjun",
    "Ben",
    "Camille",
    "Carlos",
    "Charlotte",
    "Chen",
    "Chloe",
    "Daniel",
    "David",
    "Diego",
    "Elena",
    "Emily",
    "Emma",
    "Ethan",
    "Fatima",
    "Felix",
    "Freya",
    "Gabriel",
    "Grace",
    "Hana",
    "Hannah",
    "Henry",
    "Ines",
    "Isabella",
    "Ivan",
    "Jack",
    "James",
    "Javier",
    "Jin",
    "Johan",
    "Julia",
    "Karim",
    "Katarzyna",
    "Kenji",
    "Laura",
    "Leo",
    "Lina",
    "Lucas",
    "Luca",
    "Maria",
    "Mateo",
    "Maya",
    "Mei",
    "Mohammed",
    "Nadia",
    "Noah",
    "Nora",
    "Oliver",
    "Olivia",
    "Omar",
    "Pablo",
    "Priya",
    "Rafael",
    "Rohan",
    "Ruth",
    "Sara",
    "Sebastian",
    "Sofia",
    "Sven",
    "Tariq",
    "Thomas",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Adeyemi",
    "Alvarez",
    "Andersen",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brown",
    "Carter",
    "Chen",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fernandes",
    "Fischer",
    "Garcia",
    "Gupta",
    "Hansen",
    "Hoffmann",
    "Horvath",
    "Ibrahim",
    "Ito",
    "Jansen",
    "Jensen",
    "Kaur",
    "Khan",
    "Kim",
    "Kowalski",
    "Kruger",
    "Larsen",
    "Laurent",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Muller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Perez",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Schneider",
    "Silva",
    "Singh",
    "Smith",
    "Sorensen",
    "Tanaka",
    "Taylor",
    "Thompson",
    "Tran",
    "Van",
    "Dijk",
    "Wagner",
    "Walker",
    "Wang",
    "Weber",
    "Wilson",
    "Wright",
    "Yamamoto",
    "Young",
    "Zhang",
]
COMPANY_HEADS = [
    "Acme",
    "Apex",
    "Arc",
    "Blue",
    "Bright",
    "Cloud",
    "Core",
    "Crest",
    "Data",
    "Delta",
    "Edge",
    "Ever",
    "Flux",
    "Forge",
    "Future",
    "Grid",
    "Harbor",
    "Helix",
    "Hyper",
    "Iron",
    "Keen",
    "Lumen",
    "Meta",
    "Nimbus",
    "Nova",
    "Omni",
    "Orbit",
    "Pixel",
    "Prime",
    "Pulse",
    "Quant",
    "Quick",
    "Red",
    "Sage",
    "Signal",
    "Silver",
    "Sky",
    "Smart",
    "Solid",
    "Spark",
    "Stack",
    "Stellar",
    "Summit",
    "Swift",
    "Terra",
    "True",
    "Vertex",
    "Vivid",
    "Wave",
    "Zen",
]
COMPANY_TAILS = [
    "base",
    "bit",
    "bridge",
    "cart",
    "cast",
    "desk",
    "flow",
    "gate",
    "hub",
    "labs",
    "layer",
    "leaf",
    "line",
    "logic",
    "loop",
    "metrics",
    "mind",
    "path",
    "point",
    "ly",
    "scale",
    "shift",
    "sight",
    "soft",
    "stream",
    "ware",
    "works",
]
COMPANY_FORMS = ("", "", "", " Inc", " Ltd", " GmbH", " Technologies", " AI", " Health", " Pay")
TLDS = (".com", ".com", ".com", ".io", ".io", ".ai", ".co", ".de", ".co.uk", ".fr", ".dev")
TITLES = (
    "CTO",
    "CEO",
    "Co-Founder",
    "Founder & CEO",
    "VP Engineering",
    "VP of Sales",
    "Head of Growth",
    "Head of IT",
    "Director of Operations",
    "Engineering Manager",
    "Chief Revenue Officer",
    "Head of Marketing",
    "Product Manager",
    "Senior Software Engineer",
    "Chief Operating Officer",
    "Head of Data",
    "IT Director",
    "Procurement Manager",
)
SENIORITY = ("c_level", "vp", "director", "manager", "senior", "founder")
SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000")
LINKEDIN_HOSTS = ("https://www.linkedin.com", "https://linkedin.com", "http://uk.linkedin.com")


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _messy_case(rng: random.Random, text: str) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return text.upper()
    if choice == 1:
        return text.title()
    if choice == 2:
        return "".join(ch.upper() if rng.random() < 0.3 else ch for ch in text)
    return text.capitalize()


def _messy_space(rng: random.Random, text: str) -> str:
    return rng.choice(("", " ", "  ")) + text + rng.choice(("", " ", "   "))


def _phone(rng: random.Random) -> str:
    return rng.choice(
        (
            f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
            f"+44 20 {rng.randint(7000, 8999)} {rng.randint(1000, 9999)}",
            f"+49 30 {rng.randint(1000000, 9999999)}",
            f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        )
    )


def _original(rng: random.Random, used: set[str]) -> Record:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    company = rng.choice(COMPANY_HEADS) + rng.choice(COMPANY_TAILS) + rng.choice(COMPANY_FORMS)
    domain = _slug(company.split(" ")[0]) + rng.choice(TLDS)
    f, la = _slug(first), _slug(last)
    local = rng.choice((f"{f}.{la}", f"{f[0]}{la}", f"{f}", f"{f}_{la}", f"{f}{la[0]}"))
    email = f"{local}@{domain}"
    while email in used:
        email = f"{local}{rng.randint(2, 9999)}@{domain}"
    used.add(email)
    rec: Record = {"email": email, "first_name": first, "last_name": last, "company": company}
    if rng.random() < 0.10:
        rec["email"] = _messy_space(rng, _messy_case(rng, email))
    if rng.random() < 0.85:
        rec["title"] = rng.choice(TITLES)
    if rng.random() < 0.80:
        handle = f"{f}-{la}-{''.join(rng.choices(string.hexdigits.lower(), k=8))}"
        url = f"https://www.linkedin.com/in/{handle}"
        if rng.random() < 0.25:  # scraped variants the database canonicalises
            url = f"{rng.choice(LINKEDIN_HOSTS)}/in/{handle}/" + rng.choice(("", "?trk=bench"))
        rec["linkedin_url"] = url
    if rng.random() < 0.55:
        rec["phone"] = _phone(rng)
    if rng.random() < 0.30:
        rec["metadata"] = {"seniority": rng.choice(SENIORITY), "company_size": rng.choice(SIZES)}
    return rec


def _duplicate(rng: random.Random, original: Record, canonical_email: str) -> Record:
    # Same address, different casing and surrounding whitespace.
    dup: Record = {"email": _messy_space(rng, _messy_case(rng, canonical_email))}
    for key in ("first_name", "last_name", "company", "title"):
        if key in original and rng.random() < 0.8:
            dup[key] = original[key]
    if rng.random() < 0.5:  # half of the duplicates bring something new
        if "phone" not in original:
            dup["phone"] = _phone(rng)
        if "title" not in original:
            dup["title"] = rng.choice(TITLES)
        dup["metadata"] = {"enriched_by": "bench", "score_hint": rng.randint(1, 100)}
    return dup


@dataclass(frozen=True)
class Dataset:
    records: list[Record]
    unique: int

    @property
    def duplicates(self) -> int:
        return len(self.records) - self.unique


def generate(rows: int, dup_ratio: float, seed: int) -> Dataset:
    """``rows`` records, ``round(rows * dup_ratio)`` of them duplicates of earlier ones."""
    rng = random.Random(seed)
    n_dups = round(rows * dup_ratio)
    dup_positions = set(rng.sample(range(1, rows), n_dups)) if n_dups else set()
    used: set[str] = set()
    originals: list[tuple[Record, str]] = []
    records: list[Record] = []
    for pos in range(rows):
        if pos in dup_positions:
            # A third are near (often the same batch), the rest anywhere earlier.
            if rng.random() < 0.33:
                lo = max(0, len(originals) - 300)
                source, canonical = originals[rng.randrange(lo, len(originals))]
            else:
                source, canonical = originals[rng.randrange(len(originals))]
            records.append(_duplicate(rng, source, canonical))
        else:
            rec = _original(rng, used)
            originals.append((rec, rec["email"].strip().lower()))
            records.append(rec)
    return Dataset(records=records, unique=len(originals))


def batches(records: Sequence[Record], size: int) -> list[list[Record]]:
    return [list(records[i : i + size]) for i in range(0, len(records), size)]


# -- the cluster and its databases ------------------------------------------------------------


@dataclass
class BenchServer:
    cluster: LocalCluster
    _counter: int = 0

    def admin(self) -> Conn:
        return psycopg.connect(self.cluster.url, autocommit=True, connect_timeout=10)

    def connect(self, dbname: str) -> Conn:
        return psycopg.connect(self.cluster.url_for(dbname), autocommit=True, connect_timeout=10)

    @contextmanager
    def fresh_database(self, label: str) -> Iterator[str]:
        """A new database cloned from the migrated, seeded template; dropped afterwards."""
        self._counter += 1
        name = f"bench_{label}_{self._counter}"
        with self.admin() as conn:
            conn.execute(
                sql.SQL("create database {} template {}").format(
                    sql.Identifier(name), sql.Identifier(TEMPLATE_DB)
                )
            )
        try:
            yield name
        finally:
            with self.admin() as conn:
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )


@contextmanager
def bench_server(*, fsync: bool) -> Iterator[BenchServer]:
    base = Path(tempfile.mkdtemp(prefix="dashin-bench-"))
    base.chmod(0o755)  # as root, the postgres OS user must traverse it
    cluster = LocalCluster(base / "data", free_port(), fsync=fsync)
    try:
        cluster.init()
        cluster.start()
        server = BenchServer(cluster)
        with server.admin() as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(TEMPLATE_DB)))
        migrate(cluster.url_for(TEMPLATE_DB), find_supabase_project(), seed=True)
        with server.connect(TEMPLATE_DB) as conn:
            conn.execute("vacuum analyze")
        with server.admin() as conn:
            conn.execute(
                sql.SQL("alter database {} with is_template true").format(
                    sql.Identifier(TEMPLATE_DB)
                )
            )
        yield server
    finally:
        try:
            cluster.destroy()
        finally:
            shutil.rmtree(base, ignore_errors=True)


# -- the measured operations ------------------------------------------------------------------

UPSERT_SQL: LiteralString = (
    "select inserted, updated, unchanged, rejected"
    " from public.upsert_leads(%s::jsonb, %s, %s, null, null, %s)"
)

NAIVE_SQL: LiteralString = """
insert into public.leads as l (
    agency_id, campaign_id, source, email, first_name, last_name, company, title,
    linkedin_url, phone, metadata
)
select %(agency)s, %(campaign)s, %(source)s, r.email, r.first_name, r.last_name, r.company,
    r.title, r.linkedin_url, r.phone, coalesce(r.metadata, '{}'::jsonb)
from jsonb_to_recordset(%(rows)s::jsonb) as r (
    email text, first_name text, last_name text, company text, title text,
    linkedin_url text, phone text, metadata jsonb
)
on conflict (agency_id, email) do update set
    first_name = coalesce(l.first_name, excluded.first_name),
    last_name = coalesce(l.last_name, excluded.last_name),
    company = coalesce(l.company, excluded.company),
    title = coalesce(l.title, excluded.title),
    linkedin_url = coalesce(l.linkedin_url, excluded.linkedin_url),
    phone = coalesce(l.phone, excluded.phone),
    metadata = excluded.metadata || l.metadata
"""


def _as_service_role(conn: Conn) -> None:
    """What PostgREST does for a service-role key (inside the current transaction)."""
    conn.execute("set local role service_role")
    conn.execute("select set_config('request.jwt.claims', %s, true)", (SERVICE_CLAIMS,))


@dataclass
class UpsertTotals:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def run_upsert(
    conn: Conn, payloads: Sequence[str], *, source: str = SOURCE
) -> tuple[float, UpsertTotals]:
    totals = UpsertTotals()
    conn.execute("checkpoint")
    start = time.perf_counter()
    for payload in payloads:
        with conn.transaction():
            _as_service_role(conn)
            row = conn.execute(UPSERT_SQL, (payload, CAMPAIGN_ID, source, AGENCY_ID)).fetchone()
        assert row is not None
        totals.inserted += row[0]
        totals.updated += row[1]
        totals.unchanged += row[2]
        totals.rejected += row[3]
    return time.perf_counter() - start, totals


def naive_payloads(records: Sequence[Record], size: int) -> list[str]:
    """Client-side normalised and deduplicated batches (ON CONFLICT cannot hit a row twice)."""
    out: list[str] = []
    for chunk in batches(records, size):
        merged: dict[str, Record] = {}
        for rec in chunk:
            email = str(rec["email"]).strip().lower()
            row = merged.setdefault(email, {"email": email})
            for key, value in rec.items():
                if key == "metadata":
                    row["metadata"] = {**value, **row.get("metadata", {})}
                elif key != "email":
                    row.setdefault(key, value)
        out.append(json.dumps(list(merged.values()), separators=(",", ":")))
    return out


def run_naive(conn: Conn, payloads: Sequence[str]) -> float:
    conn.execute("checkpoint")
    start = time.perf_counter()
    for payload in payloads:
        with conn.transaction():
            _as_service_role(conn)
            conn.execute(
                NAIVE_SQL,
                {"agency": AGENCY_ID, "campaign": CAMPAIGN_ID, "source": SOURCE, "rows": payload},
            )
    return time.perf_counter() - start


def _column_list() -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in LEAD_COLUMNS)


def export_leads(conn: Conn) -> tuple[bytes, int]:
    """The rows the upsert left behind, as COPY text: the deduplicated, normalised data set."""
    buf = io.BytesIO()
    query = sql.SQL(
        "copy (select {} from public.leads where source = {} order by created_at, ctid) to stdout"
    ).format(_column_list(), sql.Literal(SOURCE))
    with conn.cursor() as cur, cur.copy(query) as copy:
        for chunk in copy:
            buf.write(chunk)
    data = buf.getvalue()
    return data, data.count(b"\n")


def create_copy_tables(conn: Conn) -> None:
    conn.execute("create table public.bench_leads_copy (like public.leads including all)")
    conn.execute(
        "create table public.bench_leads_plain"
        " (like public.leads including defaults including generated)"
    )


INDEX_SHAPES: LiteralString = r"""
select regexp_replace(pg_get_indexdef(i.indexrelid), '^(CREATE (UNIQUE )?INDEX) \S+ ON \S+', '\1')
from pg_index as i where i.indrelid = %s::regclass order by 1
"""


def index_shapes(conn: Conn, table: str) -> list[str]:
    return [str(r[0]) for r in conn.execute(INDEX_SHAPES, (table,))]


def run_copy(conn: Conn, table: str, data: bytes) -> float:
    query = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier("public", table), _column_list()
    )
    conn.execute("checkpoint")
    start = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur, cur.copy(query) as copy:
        view = memoryview(data)
        for offset in range(0, len(view), 1 << 20):
            copy.write(view[offset : offset + (1 << 20)])
    return time.perf_counter() - start


def run_insert_floor(conn: Conn, data: bytes, batches: int) -> float:
    """The stored rows INSERTed into public.leads in ``batches`` transactions, as service_role.

    The cost of writing the final rows through the table's own rules (the normalize guard,
    six foreign-key checks per row, the audit, counter and cache triggers) with plain INSERT
    statements and one transaction per batch, like the upsert, but with none of its work:
    no JSON, no validation, no dedupe, no match probes. What any SQL function that stores these
    leads in public.leads pays at least.
    """
    columns = _column_list()
    conn.execute(
        sql.SQL(
            "create unlogged table public.bench_stage as select {} from public.leads limit 0"
        ).format(columns)
    )
    run_copy(conn, "bench_stage", data)  # staging, not timed
    conn.execute("alter table public.bench_stage add column n bigint generated always as identity")
    conn.execute("create index on public.bench_stage (n)")
    conn.execute("vacuum analyze public.bench_stage")
    conn.execute("grant select on public.bench_stage to service_role")
    rows = data.count(b"\n")
    bounds = [round(rows * i / batches) for i in range(batches + 1)]
    insert = sql.SQL(
        "insert into public.leads ({cols}) select {cols} from public.bench_stage"
        ' where n > %s and n <= %s order by email collate "C"'
    ).format(cols=columns)
    conn.execute("checkpoint")
    start = time.perf_counter()
    for low, high in itertools.pairwise(bounds):
        with conn.transaction():
            _as_service_role(conn)
            conn.execute(insert, (low, high))
    return time.perf_counter() - start


# -- reporting --------------------------------------------------------------------------------


@dataclass
class Measurement:
    key: str
    label: str
    rows: int
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float:
        return self.rows / self.median


def ratios_per_repetition(measured: Measurement, baseline: Measurement) -> list[float]:
    """The ratio within each repetition (both measured back to back, under the same load)."""
    return [m / b for m, b in zip(measured.seconds, baseline.seconds, strict=True)]


def report(measurements: Sequence[Measurement], baseline: Measurement) -> list[str]:
    head = f"{'measurement':<52} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'vs COPY':>8}"
    lines = [head, "-" * len(head)]
    for m in measurements:
        ratio = m.median / baseline.median
        lines.append(
            f"{m.label:<52} {m.rows:>8} {m.median:>8.2f} {m.rate:>9.0f} {ratio:>7.2f}{TIMES}"
        )
    return lines


# -- profiling (--profile) --------------------------------------------------------------------

PROFILE_VARIANTS: tuple[tuple[str, tuple[LiteralString, ...]], ...] = (
    ("everything on (as shipped)", ()),
    (
        "audit triggers off",
        ("alter table public.leads disable trigger audit_insert, disable trigger audit_update",),
    ),
    (
        "campaign metric triggers off",
        (
            "alter table public.leads disable trigger update_campaign_metrics_insert,"
            " disable trigger update_campaign_metrics_update",
        ),
    ),
    (
        "cache invalidation triggers off",
        (
            "alter table public.leads disable trigger invalidate_analytics_cache_insert,"
            " disable trigger invalidate_analytics_cache_update",
        ),
    ),
    (
        "normalize_lead row triggers off",
        (
            "alter table public.leads disable trigger normalize_lead_insert,"
            " disable trigger normalize_lead_update",
        ),
    ),
    ("trigram GIN index dropped", ("drop index public.leads_search_text_trgm_idx",)),
    (
        "foreign keys dropped (6 RI triggers per row)",
        (
            "alter table public.leads drop constraint leads_agency_id_fkey,"
            " drop constraint leads_campaign_fkey, drop constraint leads_created_by_fkey,"
            " drop constraint leads_assigned_to_fkey, drop constraint leads_data_source_fkey,"
            " drop constraint leads_scraping_job_fkey",
        ),
    ),
    ("all user triggers off (FK checks stay)", ("alter table public.leads disable trigger user",)),
    (
        "all user triggers off + GIN dropped",
        (
            "alter table public.leads disable trigger user",
            "drop index public.leads_search_text_trgm_idx",
        ),
    ),
)

FUNCTION_STATS: LiteralString = """
select p.schemaname || '.' || p.funcname, p.calls, round(p.total_time::numeric, 1),
    round(p.self_time::numeric, 1)
from pg_stat_user_functions as p order by p.total_time desc limit 15
"""


def profile(
    server: BenchServer, payloads: Sequence[str], rows: int, out: Callable[[str], None]
) -> dict[str, Any]:
    result: dict[str, Any] = {"variants": [], "function_stats": [], "explain_batch": None}
    base: float | None = None
    out("")
    out("Profile: the same upsert on a fresh database, one component removed at a time")
    for label, statements in PROFILE_VARIANTS:
        with server.fresh_database("profile") as db, server.connect(db) as conn:
            for statement in statements:
                conn.execute(statement)
            seconds, _ = run_upsert(conn, payloads)
        base = seconds if base is None else base
        out(
            f"  {label:<44} {seconds:>7.2f} s {rows / seconds:>8.0f} rows/s"
            f"  saves {base - seconds:>6.2f} s ({100 * (base - seconds) / base:>5.1f} %)"
        )
        result["variants"].append({"variant": label, "seconds": round(seconds, 3)})

    # Time per PL/pgSQL function (triggers included), as shipped.
    with server.fresh_database("fstats") as db, server.connect(db) as conn:
        conn.execute("set track_functions = 'all'")
        seconds, _ = run_upsert(conn, payloads)
        conn.execute("select pg_stat_force_next_flush()")
        conn.execute("select pg_stat_clear_snapshot()")
        time.sleep(1.0)
        stats = conn.execute(FUNCTION_STATS).fetchall()
    out("")
    out(f"Function time with track_functions=all (run took {seconds:.2f} s; ms, total / self)")
    for name, calls, total, self_time in stats:
        out(f"  {name:<48} {calls:>8} calls {total:>10} {self_time:>10}")
        result["function_stats"].append(
            {
                "function": name,
                "calls": calls,
                "total_ms": float(total),
                "self_ms": float(self_time),
            }
        )

    # EXPLAIN (ANALYZE, BUFFERS) of every statement of the middle batch, nested ones included.
    middle = len(payloads) // 2
    notices: list[str] = []
    with server.fresh_database("explain") as db, server.connect(db) as conn:
        run_upsert(conn, payloads[:middle])
        conn.execute("load 'auto_explain'")
        for setting in (
            "set auto_explain.log_min_duration = 0",
            "set auto_explain.log_analyze = on",
            "set auto_explain.log_buffers = on",
            "set auto_explain.log_nested_statements = on",
            "set auto_explain.log_triggers = on",
            "set client_min_messages = log",
        ):
            conn.execute(setting)
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        with conn.transaction():
            _as_service_role(conn)
            conn.execute(UPSERT_SQL, (payloads[middle], CAMPAIGN_ID, SOURCE, AGENCY_ID))
    plans = [n for n in notices if n.startswith("duration:")]
    shown = [p for p in plans if _plan_ms(p) >= EXPLAIN_MIN_MS]
    small = [p for p in plans if _plan_ms(p) < EXPLAIN_MIN_MS]
    fk_checks = [p for p in small if "FOR KEY SHARE OF x" in p]
    out("")
    out(f"auto_explain (ANALYZE, BUFFERS, nested statements, triggers) of batch {middle}:")
    out(
        f"  {len(small)} statements under {EXPLAIN_MIN_MS} ms not shown "
        f"({sum(map(_plan_ms, small)):.1f} ms in all; {len(fk_checks)} of them foreign-key "
        f"checks, {sum(map(_plan_ms, fk_checks)):.1f} ms)"
    )
    for plan in shown:
        out(plan)
    result["explain_batch"] = shown
    result["explain_small_statements"] = {
        "count": len(small),
        "ms": round(sum(map(_plan_ms, small)), 2),
        "fk_checks": len(fk_checks),
        "fk_ms": round(sum(map(_plan_ms, fk_checks)), 2),
    }
    return result


EXPLAIN_MIN_MS = 0.5


def _plan_ms(plan: str) -> float:
    return float(plan.split()[1])


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.upsert_leads", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="input records (default 100000)")
    parser.add_argument("--batch", type=int, default=1000, help="records per upsert call")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--dup-ratio", type=float, default=0.10, help="share of duplicates")
    parser.add_argument("--seed", type=int, default=20250101, help="random seed of the data")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument(
        "--no-fsync", action="store_true", help="run the cluster with fsync off (not the default)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also break the upsert cost down (slow)"
    )
    args = parser.parse_args(argv)
    if args.rows < 2 or args.batch < 1 or args.batch > 10_000 or args.repeat < 1:
        parser.error("need --rows >= 2, 1 <= --batch <= 10000, --repeat >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def out(line: str = "") -> None:
        print(line, flush=True)

    started = time.perf_counter()
    data = generate(args.rows, args.dup_ratio, args.seed)
    upsert_payloads = [
        json.dumps(chunk, separators=(",", ":")) for chunk in batches(data.records, args.batch)
    ]
    naive = naive_payloads(data.records, args.batch)
    out(
        f"data: {len(data.records)} records, {data.unique} distinct leads, "
        f"{data.duplicates} duplicates; {len(upsert_payloads)} batches of {args.batch} "
        f"(generated in {time.perf_counter() - started:.1f} s)"
    )

    upsert = Measurement("upsert", "upsert_leads(), 10% duplicates", len(data.records))
    replay = Measurement(
        "upsert_replay", "upsert_leads() replay (all duplicates)", len(data.records)
    )
    copy_idx = Measurement("copy_indexed", "COPY, same columns + indexes (baseline)", data.unique)
    copy_plain = Measurement("copy_unindexed", "COPY, same columns, no indexes", data.unique)
    copy_leads = Measurement(
        "copy_leads", "COPY into public.leads (its triggers + FKs)", data.unique
    )
    naive_m = Measurement(
        "insert_on_conflict", "naive INSERT ... ON CONFLICT batches", len(data.records)
    )
    floor = Measurement("insert_floor", "INSERT of the stored rows, same batches", data.unique)
    totals_seen: list[dict[str, int]] = []
    replay_totals: list[dict[str, int]] = []
    copy_data = b""
    server_version = ""
    profile_result: dict[str, Any] | None = None
    indexes_match = False

    with bench_server(fsync=not args.no_fsync) as server:
        with server.admin() as conn:
            server_version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
        for _ in range(args.repeat):
            with server.fresh_database("upsert") as db, server.connect(db) as conn:
                seconds, totals = run_upsert(conn, upsert_payloads)
                upsert.seconds.append(seconds)
                totals_seen.append(totals.as_dict())
                if totals.inserted != data.unique or totals.rejected:
                    raise SystemExit(f"unexpected upsert result {totals.as_dict()}")
                exported, n_exported = export_leads(conn)
                if n_exported != data.unique:
                    raise SystemExit(f"exported {n_exported} leads, expected {data.unique}")
                copy_data = copy_data or exported
                conn.execute("vacuum analyze public.leads")
                seconds, totals = run_upsert(conn, upsert_payloads)
                replay.seconds.append(seconds)
                replay_totals.append(totals.as_dict())
                if totals.inserted or totals.rejected:
                    raise SystemExit(f"replay inserted or rejected leads: {totals.as_dict()}")
            # Every repetition measures every line in turn, so that a change in the machine's
            # load (shared machines) hits the upsert and its baselines alike.
            with server.fresh_database("copy") as db, server.connect(db) as conn:
                create_copy_tables(conn)
                leads_idx = index_shapes(conn, "public.leads")
                copy_idx_shapes = index_shapes(conn, "public.bench_leads_copy")
                indexes_match = leads_idx == copy_idx_shapes
                if not indexes_match:
                    raise SystemExit(
                        f"index lists differ:\n  leads: {leads_idx}\n  copy:  {copy_idx_shapes}"
                    )
                copy_idx.seconds.append(run_copy(conn, "bench_leads_copy", copy_data))
                copy_plain.seconds.append(run_copy(conn, "bench_leads_plain", copy_data))
            # Into the real table, on its own fresh database (its audit log and counters).
            with server.fresh_database("copy_leads") as db, server.connect(db) as conn:
                copy_leads.seconds.append(run_copy(conn, "leads", copy_data))
            with server.fresh_database("naive") as db, server.connect(db) as conn:
                naive_m.seconds.append(run_naive(conn, naive))
            with server.fresh_database("floor") as db, server.connect(db) as conn:
                floor.seconds.append(run_insert_floor(conn, copy_data, len(upsert_payloads)))
        out(f"server: PostgreSQL {server_version}, fsync {'off' if args.no_fsync else 'on'}")
        out(f"indexes of bench_leads_copy match public.leads: {len(leads_idx)} indexes")
        out(f"upsert totals: {totals_seen[0]}; replay totals: {replay_totals[0]}")
        out("")
        measurements = [upsert, copy_idx, replay, copy_plain, copy_leads, naive_m, floor]
        for line in report(measurements, copy_idx):
            out(line)
        ratio = upsert.median / copy_idx.median
        out("")
        out(f"upsert / COPY = {ratio:.2f}{TIMES} (target ≤ {TARGET_RATIO:g}{TIMES})")
        out(
            "per repetition: "
            + ", ".join(f"{r:.2f}{TIMES}" for r in ratios_per_repetition(upsert, copy_idx))
        )
        out(
            f"upsert / COPY into public.leads = {upsert.median / copy_leads.median:.2f}{TIMES}"
            " (for reference: the verdict uses the trigger-less baseline above)"
        )
        if args.profile:
            profile_result = profile(server, upsert_payloads, len(data.records), out)

    results: dict[str, Any] = {
        "benchmark": "upsert_leads",
        "config": {
            "rows": args.rows,
            "batch": args.batch,
            "repeat": args.repeat,
            "dup_ratio": args.dup_ratio,
            "seed": args.seed,
            "fsync": not args.no_fsync,
            "role": "service_role",
        },
        "environment": {
            "postgres": server_version,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "data": {"records": len(data.records), "distinct": data.unique},
        "upsert_totals": totals_seen,
        "replay_totals": replay_totals,
        "indexes_match": indexes_match,
        "measurements": [
            {
                "key": m.key,
                "label": m.label,
                "rows": m.rows,
                "seconds": [round(s, 4) for s in m.seconds],
                "median_seconds": round(m.median, 4),
                "rows_per_second": round(m.rate, 1),
                "time_vs_copy": round(m.median / copy_idx.median, 3),
            }
            for m in measurements
        ],
        "verdict": {
            "upsert_over_copy": round(ratio, 3),
            "upsert_over_copy_per_repetition": [
                round(r, 3) for r in ratios_per_repetition(upsert, copy_idx)
            ],
            "upsert_over_copy_into_leads": round(upsert.median / copy_leads.median, 3),
            "target": TARGET_RATIO,
            "met": ratio <= TARGET_RATIO,
        },
    }
    if profile_result is not None:
        results["profile"] = profile_result
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    out(f"results written to {args.json.name} (total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
