"""Split a SQL file into statements exactly as the Supabase CLI does.

``supabase db push`` does not send a migration file as one string: its tokenizer
(``pkg/parser`` in the CLI, a small state machine over runes) cuts the file at every ``;``
that is outside quotes, dollar quotes, comments, parentheses and ``BEGIN ATOMIC ... END``,
trims each piece, executes the pieces one by one, and stores them in
``supabase_migrations.schema_migrations.statements``. We mirror that machine state for state
(quirks included, e.g. nested parentheses close together) so that

* the history rows we write are byte-identical to the CLI's, and
* a file that applies with ``dashin db migrate`` also applies with ``supabase db push``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# The CLI omits BEGIN so that any whitespace may separate BEGIN and ATOMIC.
_BEGIN_ATOMIC = "ATOMIC"
_END_ATOMIC = "END"


def _go_is_space(char: str) -> bool:
    """Go's ``unicode.IsSpace`` (the CLI is written in Go; Python's ``isspace`` differs)."""
    if char in "\t\n\v\f\r \x85\xa0":
        return True
    return ord(char) > 0xFF and unicodedata.category(char) in {"Zs", "Zl", "Zp"}


def _go_trim_space(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _go_is_space(text[start]):
        start += 1
    while end > start and _go_is_space(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_tag_char(char: str) -> bool:
    # Go's unicode.IsLetter / IsDigit: letters (L*) and decimal digits (Nd).
    category = unicodedata.category(char)
    return char == "_" or category.startswith("L") or category == "Nd"


@dataclass
class _Token:
    """The text of the statement being scanned: ``text[start:end]``."""

    text: str
    start: int
    end: int

    def endswith(self, suffix: str, *, fold: bool = False) -> bool:
        begin = self.end - len(suffix)
        if begin < self.start:
            return False
        window = self.text[begin : self.end]
        return window.casefold() == suffix.casefold() if fold else window == suffix

    def byte_before_suffix_is_space(self, suffix: str) -> bool:
        """Go checks ``unicode.IsSpace(rune(data[offset-1]))`` on a *byte*; reproduce that."""
        begin = self.end - len(suffix)
        if begin <= self.start:
            return False
        last_byte = self.text[begin - 1].encode("utf-8")[-1]
        return _go_is_space(chr(last_byte))


class _State:
    def next(self, char: str, token: _Token) -> _State | None:
        """Return the next state, or ``None`` to end the statement here."""
        raise NotImplementedError


class _Ready(_State):
    def next(self, char: str, token: _Token) -> _State | None:
        if char == "$":
            return _Tag(offset=token.end - 1)
        if char in "'\"":
            return _Quote(delimiter=char)
        if char == "-":
            return _Comment()
        if char == "/":
            return _Block()
        if char == "\\":
            return _Escape()
        if char == ";":
            return None
        if char == "(":
            return _Atomic(prev=self, delimiter=")")
        if (
            char in "cC"
            and token.endswith(_BEGIN_ATOMIC, fold=True)
            and token.byte_before_suffix_is_space(_BEGIN_ATOMIC)
        ):
            return _Atomic(prev=self, delimiter=_END_ATOMIC)
        return self


class _Comment(_State):
    def next(self, char: str, token: _Token) -> _State | None:
        if char == "-":
            # Nothing is escaped in a line comment: it behaves like a dollar quote ending at \n.
            return _Dollar(delimiter="\n")
        return _Ready().next(char, token)


@dataclass
class _Block(_State):
    depth: int = 0

    def next(self, char: str, token: _Token) -> _State | None:
        if token.endswith("/*"):
            self.depth += 1
            return self
        if self.depth == 0:
            return _Ready().next(char, token)
        if token.endswith("*/"):
            self.depth -= 1
            if self.depth == 0:
                return _Ready()
        return self


@dataclass
class _Quote(_State):
    delimiter: str
    escape: bool = False

    def next(self, char: str, token: _Token) -> _State | None:
        if self.escape:
            if char == self.delimiter:  # a doubled quote stays inside the literal
                self.escape = False
                return self
            return _Ready().next(char, token)
        if char == self.delimiter:
            self.escape = True
        return self


@dataclass
class _Dollar(_State):
    delimiter: str

    def next(self, char: str, token: _Token) -> _State | None:
        return _Ready() if token.endswith(self.delimiter) else self


@dataclass
class _Tag(_State):
    offset: int

    def next(self, char: str, token: _Token) -> _State | None:
        if char == "$":
            return _Dollar(delimiter=token.text[self.offset : token.end])
        if _is_tag_char(char):
            return self
        return _Ready().next(char, token)


class _Escape(_State):
    def next(self, char: str, token: _Token) -> _State | None:
        return _Ready()


@dataclass
class _Atomic(_State):
    prev: _State
    delimiter: str = field(default=")")

    def next(self, char: str, token: _Token) -> _State | None:
        # A delimiter inside a quote or comment does not count; neither does a ';'.
        current = self.prev.next(char, token)
        if current is not None:
            self.prev = current
        if isinstance(self.prev, _Ready) and token.endswith(self.delimiter, fold=True):
            return _Ready()
        return self


def split_raw(sql: str) -> list[str]:
    """Cut ``sql`` into statements, each kept as written (``;`` and whitespace included)."""
    pieces: list[str] = []
    state: _State = _Ready()
    token = _Token(sql, 0, 0)
    for index, char in enumerate(sql):
        token.end = index + 1
        next_state = state.next(char, token)
        if next_state is None:
            pieces.append(sql[token.start : token.end])
            token = _Token(sql, token.end, token.end)
            state = _Ready()
        else:
            state = next_state
    if token.start < len(sql):
        pieces.append(sql[token.start :])
    return pieces


def split_statements(sql: str) -> list[str]:
    """The statements ``supabase db push`` would execute and record for this file."""
    statements = []
    for piece in split_raw(sql):
        trimmed = _go_trim_space(piece.rstrip(";"))
        if trimmed:
            statements.append(trimmed)
    return statements
