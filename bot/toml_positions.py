"""Where each key of a TOML document was written: a scanner for line numbers (tomllib gives values only)."""

from __future__ import annotations

import bisect
import tomllib
from dataclasses import dataclass, field
from typing import Collection, Mapping

Where = tuple[str | int, ...]  # a key's path: table names and keys, with indices for arrays

_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SPACE = " \t"
_SCALAR_END = ",]}\n#"


@dataclass(frozen=True)
class Lines:
    """Where each table, key and array element of one TOML document starts."""

    found: Mapping[Where, int] = field(default_factory=dict)

    def line(self, where: Where) -> int:
        """The line of `where`, else of its nearest enclosing table that was written; else 1."""
        while where:
            if where in self.found:
                return self.found[where]
            where = where[:-1]
        return 1


def locate(text: str) -> Lines:
    """Scan a TOML document (already parsed by tomllib) for the line of every key it holds."""
    scanner = _Scanner(text)
    try:
        scanner.document()
    except _Stop:
        pass  # keep what was found before the text stopped making sense
    return Lines(dict(scanner.found))


class _Stop(Exception):
    """The text is not TOML the scanner understands."""


class _Scanner:
    """A forgiving recursive-descent reader that records positions instead of values."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]
        self.found: dict[Where, int] = {}
        self.arrays: dict[Where, int] = {}  # array-of-tables path -> tables seen so far
        self.table: Where = ()

    @property
    def line(self) -> int:
        return bisect.bisect_left(self.newlines, self.pos) + 1

    def peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def skip(self, chars: Collection[str]) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def skip_blank(self) -> None:
        """Skip whitespace, newlines and comments."""
        while True:
            self.skip(_SPACE + "\r\n")
            if self.peek() != "#":
                return
            end = self.text.find("\n", self.pos)
            self.pos = len(self.text) if end < 0 else end

    def expect(self, token: str) -> None:
        self.skip(_SPACE)
        if self.peek(len(token)) != token:
            raise _Stop
        self.pos += len(token)

    def document(self) -> None:
        while True:
            self.skip_blank()
            if self.pos >= len(self.text):
                return
            if self.peek(2) == "[[":
                self.array_header()
            elif self.peek() == "[":
                self.table_header()
            else:
                self.key_value(self.table)

    def table_header(self) -> None:
        line = self.line
        self.expect("[")
        self.table = self.resolve(self.key(), line)
        self.found[self.table] = line
        self.expect("]")

    def array_header(self) -> None:
        line = self.line
        self.expect("[[")
        keys = self.key()
        base = self.resolve(keys[:-1], line) + (keys[-1],)
        count = self.arrays.get(base, 0)
        self.arrays[base] = count + 1
        self.found.setdefault(base, line)
        self.table = base + (count,)
        self.found[self.table] = line
        self.expect("]]")

    def resolve(self, keys: list[str], line: int) -> Where:
        """A header's path, with each array of tables replaced by its latest element."""
        where: Where = ()
        for key in keys:
            where += (key,)
            self.found.setdefault(where, line)
            if where in self.arrays:
                where += (self.arrays[where] - 1,)
        return where

    def key_value(self, base: Where) -> None:
        line = self.line
        where = base
        for key in self.key():
            where += (key,)
            self.found.setdefault(where, line)
        self.expect("=")
        self.value(where)

    def key(self) -> list[str]:
        """A dotted key, bare or quoted parts."""
        keys = []
        while True:
            self.skip(_SPACE)
            keys.append(self.key_part())
            self.skip(_SPACE)
            if self.peek() != ".":
                return keys
            self.pos += 1

    def key_part(self) -> str:
        start = self.pos
        if self.peek() in ('"', "'"):
            self.string()
            return str(tomllib.loads("k = " + self.text[start : self.pos])["k"])
        self.skip(_BARE_KEY)
        if self.pos == start:
            raise _Stop
        return self.text[start : self.pos]

    def value(self, where: Where) -> None:
        self.skip(_SPACE)
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self.array(where)
        elif char == "{":
            self.inline_table(where)
        else:
            self.scalar()

    def scalar(self) -> None:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
            self.pos += 1
        if self.pos == start:
            raise _Stop

    def array(self, where: Where) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank()
            if self.peek() in ("]", ""):
                self.pos += 1
                return
            self.found.setdefault(where + (index,), self.line)
            self.value(where + (index,))
            self.skip_blank()
            if self.peek() == ",":
                self.pos += 1
            index += 1

    def inline_table(self, where: Where) -> None:
        self.pos += 1
        while True:
            self.skip_blank()
            if self.peek() in ("}", ""):
                self.pos += 1
                return
            self.key_value(where)
            self.skip_blank()
            if self.peek() == ",":
                self.pos += 1

    def string(self) -> None:
        """Skip one string of any of TOML's four kinds."""
        quote = self.peek()
        if self.peek(3) == quote * 3:
            self.pos += 3
            self.close(quote * 3, escapes=quote == '"')
            self.skip(quote)  # up to two quotes may end the content of a multi-line string
        else:
            self.pos += 1
            self.close(quote, escapes=quote == '"')

    def close(self, delimiter: str, escapes: bool) -> None:
        while self.pos < len(self.text):
            if escapes and self.peek() == "\\":
                self.pos += 2
            elif self.peek(len(delimiter)) == delimiter:
                self.pos += len(delimiter)
                return
            else:
                self.pos += 1
        raise _Stop
