"""Reading a CSV file in resumable slices: layout detection, then rows from a byte offset.

Lines are read as bytes and decoded one by one, so one undecodable line is reported (with its
number) instead of failing the file, and a slice can start at any stored byte offset without
re-reading what came before. A quoted field may span lines; the record then takes the
number of its first line.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import charset_normalizer

SAMPLE_BYTES = 256 * 1024
CANDIDATE_DELIMITERS = ",;\t|"
#: A quoted field spanning more lines than this is taken to be an unterminated quote.
MAX_RECORD_LINES = 50
#: Share of undecodable sample lines up to which a file is still read as UTF-8 (those lines
#: are rejected) rather than as a single-byte encoding.
UTF8_BAD_LINE_TOLERANCE = 0.01


@dataclass(frozen=True)
class CsvLayout:
    """What a file looks like: encoding, dialect, header and where the data starts."""

    encoding: str
    delimiter: str
    header: list[str]
    data_offset: int  # byte offset of the first data line
    data_line: int  # 1-based number of the first data line
    quotechar: str = '"'


@dataclass
class CsvSlice:
    """Rows read from one offset: ``(line number, values)``, rejected lines, where to go on."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    next_offset: int = 0
    next_line: int = 0
    exhausted: bool = False


def detect_encoding(sample: bytes) -> str:
    """``utf-8`` (BOM or not: the BOM is skipped separately), else ``cp1252`` or ``latin-1``."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    lines = sample.splitlines()
    if len(sample) >= SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut in the middle of a character
    bad = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    if bad == 0 or bad <= len(lines) * UTF8_BAD_LINE_TOLERANCE:
        return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    guess = best.encoding if best is not None else ""
    if guess in ("utf_8", "utf_8_sig"):
        return "utf-8"
    # Among the single-byte encodings spreadsheets write, cp1252 is latin-1 plus printable
    # characters in 0x80-0x9f; latin-1 only when the bytes are undefined in cp1252.
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def detect_delimiter(text: str) -> str:
    """The delimiter of ``text`` (the first lines of the file): csv.Sniffer, checked against
    the header line, which must split into the most fields."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in CANDIDATE_DELIMITERS}
    by_count = max(counts, key=lambda d: counts[d])
    try:
        sniffed = csv.Sniffer().sniff(text, delimiters=CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        sniffed = by_count
    if counts.get(sniffed, 0) == 0 and counts[by_count] > 0:
        return by_count
    return sniffed


def _file_sample(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(SAMPLE_BYTES)


def detect_layout(
    path: Path,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    has_header: bool = True,
) -> CsvLayout:
    """Detect what was not given and read the header."""
    sample = _file_sample(path)
    bom = len(codecs.BOM_UTF8) if sample.startswith(codecs.BOM_UTF8) else 0
    if encoding is None:
        encoding = detect_encoding(sample)
    elif codecs.lookup(encoding).name == "utf-8-sig":
        encoding = "utf-8"
    if delimiter is None:
        head = sample[bom:].decode(encoding, errors="replace")
        delimiter = detect_delimiter("\n".join(head.splitlines()[:50]))
    with path.open("rb") as f:
        f.seek(bom)
        first = _read_record(f, encoding, '"')
        if first is None:
            return CsvLayout(encoding, delimiter, [], bom, 1)
        lines, text = first
        if text is None:
            text = ""
        values = _parse(text, delimiter) or []
        if has_header:
            return CsvLayout(encoding, delimiter, _unique_names(values), f.tell(), 1 + lines)
    names = [f"column_{i + 1}" for i in range(len(values))]
    return CsvLayout(encoding, delimiter, names, bom, 1)


def _unique_names(values: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for index, value in enumerate(values):
        name = value.strip() or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _parse(text: str, delimiter: str) -> list[str] | None:
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return None


def _read_record(f: BinaryIO, encoding: str, quote: str) -> tuple[int, str | None] | None:
    """The next logical record: ``(physical lines used, text or None if undecodable)``.

    ``None`` at the end of the file. A record with an unterminated quote gives up after
    ``MAX_RECORD_LINES`` lines (or at the end of the file) and is just its first line.
    """
    raw = f.readline()
    if not raw:
        return None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return 1, None
    if text.count(quote) % 2 == 0:
        return 1, text
    after_first = f.tell()
    used = 1
    while used < MAX_RECORD_LINES:
        more = f.readline()
        if not more:
            break
        used += 1
        try:
            text += more.decode(encoding)
        except UnicodeDecodeError:
            break
        if text.count(quote) % 2 == 0:
            return used, text
    f.seek(after_first)
    return 1, raw.decode(encoding)


def read_slice(path: Path, layout: CsvLayout, offset: int, line: int, limit: int) -> CsvSlice:
    """Up to ``limit`` data records (rows or rejected lines) from byte ``offset``, which is
    the start of line ``line``. Blank lines are skipped."""
    result = CsvSlice(next_offset=offset, next_line=line)
    width = len(layout.header)
    with path.open("rb") as f:
        f.seek(offset)
        taken = 0
        while taken < limit:
            record = _read_record(f, layout.encoding, layout.quotechar)
            if record is None:
                result.exhausted = True
                break
            used, text = record
            number = line
            line += used
            if text is None:
                result.rejected.append((number, f"line is not valid {layout.encoding} text"))
                taken += 1
                continue
            if not text.strip():
                continue
            taken += 1
            values = _parse(text, layout.delimiter)
            if values is None:
                result.rejected.append((number, "malformed quoting"))
            elif len(values) != width:
                result.rejected.append((number, f"expected {width} fields, found {len(values)}"))
            else:
                result.rows.append((number, values))
        else:
            # Peek: a slice ending exactly at the end of the file is the last one.
            here = f.tell()
            result.exhausted = not f.read(1)
            f.seek(here)
        result.next_offset = f.tell()
        result.next_line = line
    return result


def offset_of_line(path: Path, layout: CsvLayout, line: int) -> int:
    """Byte offset where physical line ``line`` starts (for cursors without an offset)."""
    with path.open("rb") as f:
        f.seek(layout.data_offset)
        current = layout.data_line
        while current < line and f.readline():
            current += 1
        return f.tell()


def count_data_lines(path: Path, layout: CsvLayout) -> int:
    """Fast estimate of data records: newlines after the header (a quoted multi-line field
    counts more than once; blank lines count too)."""
    count = 0
    last = b"\n"
    with path.open("rb") as f:
        f.seek(layout.data_offset)
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        count += 1
    return count
