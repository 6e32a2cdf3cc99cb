"""TOML read with line numbers: where each key was written, and typed reads that report problems there."""

from __future__ import annotations

import bisect
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

from bot.model import Problem

Where = tuple[str | int, ...]  # a key's path: table names and keys, with indices for arrays

MISSING_KEY = "missing required key {key!r} in {table}"
UNKNOWN_KEY = "unknown key {key!r} in {table}{hint}; expected one of: {allowed}"
DID_YOU_MEAN = " (did you mean {match!r}?)"
TOP_LEVEL = "the top level"
TABLE = "[{name}]"
ARRAY_TABLE = "[[{name}]]"
MUST_BE_STRING = "{key} must be a string"
MUST_BE_INTEGER = "{key} must be an integer"
MUST_BE_BOOLEAN = "{key} must be true or false"
MUST_BE_TABLE = "{key} must be a table"
MUST_BE_STRINGS = "{key} must be a list of strings"
MUST_NOT_BE_EMPTY = "{key} must not be empty"
OUT_OF_RANGE = "{key} must be between {low} and {high}"
BAD_CHOICE = "{key} must be one of: {choices}"

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


@dataclass(frozen=True)
class Document:
    """One file being read: its path, where its keys are, and the problems found so far."""

    path: Path
    lines: Lines
    problems: list[Problem]
    suggested: set[Where] = field(default_factory=set)  # keys a did-you-mean already pointed at: not "missing" again
    text: str = ""

    def report(self, where: Where, message: str) -> None:
        self.problems.append(Problem(self.path, self.lines.line(where), message))


@dataclass(frozen=True)
class Table:
    """One TOML table being read: typed getters that report a problem and fall back to a default."""

    data: dict[str, Any]
    where: Where
    document: Document

    def name(self, key: str = "") -> str:
        """The dotted name users write, like `schedule.start` (slot indices left out)."""
        return ".".join(part for part in self.where + (key,) if isinstance(part, str) and part)

    def title(self) -> str:
        if not self.where:
            return TOP_LEVEL
        form = ARRAY_TABLE if isinstance(self.where[-1], int) else TABLE
        return form.format(name=self.name())

    def report(self, key: str, form: str, at: Where = (), **values: object) -> None:
        """A problem with `key` (or with its element `at`), reported at its line."""
        self.document.report(self.where + (key,) + at, form.format(key=self.name(key), **values))

    def only(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = DID_YOU_MEAN.format(match=close[0]) if close else ""
                if close and close[0] not in self.data:
                    self.document.suggested.add(self.where + (close[0],))  # one mistake, one line
                self.document.report(self.where + (key,), UNKNOWN_KEY.format(
                    key=key, table=self.title(), hint=hint, allowed=", ".join(allowed)))

    def require(self, key: str) -> bool:
        if key not in self.data and self.where + (key,) not in self.document.suggested:
            self.document.report(self.where, MISSING_KEY.format(key=key, table=self.title()))
        return key in self.data

    def typed(self, key: str, accept: Callable[[Any], Any], form: str, default: Any = None,
              **values: object) -> Any:
        if key not in self.data:
            return default
        if accept(self.data[key]):
            return self.data[key]
        self.report(key, form, (), **values)
        return default

    def string(self, key: str, default: str | None = None, required: bool = False) -> Any:
        if required and not self.require(key):
            return default
        value = self.typed(key, _is_string, MUST_BE_STRING, default)
        if self.data.get(key) == "":
            self.report(key, MUST_NOT_BE_EMPTY)
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value: int = self.typed(key, _is_integer, MUST_BE_INTEGER, default)
        if low <= value <= high:
            return value
        self.report(key, OUT_OF_RANGE, low=low, high=high)
        return default

    def boolean(self, key: str, default: bool) -> bool:
        value: bool = self.typed(key, _is_boolean, MUST_BE_BOOLEAN, default)
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value: str = self.typed(key, lambda value: _is_string(value) and value in choices, BAD_CHOICE, default,
                                choices=", ".join(choices))
        return value

    def table(self, key: str) -> Table | None:
        value = self.typed(key, _is_table, MUST_BE_TABLE)
        return None if value is None else Table(value, self.where + (key,), self.document)

    def each(self, key: str, accept: Callable[[str], Any], form: str,
             suggest: Callable[[str], str] | None = None) -> tuple[str, ...]:
        """A list of strings, each checked, each bad one reported at its own line (with `suggest`'s hint)."""
        values = tuple(self.typed(key, _is_strings, MUST_BE_STRINGS, ()))
        for index, value in enumerate(values):
            if not accept(value):
                self.report(key, form, at=(index,), value=value, hint=suggest(value) if suggest else "")
        return values

    def matching(self, key: str, accept: Callable[[str], Any], form: str, required: bool = False,
                 suggest: Callable[[str], str] | None = None) -> str:
        """A string, checked; required ones default to ""; `suggest` gives a did-you-mean hint."""
        value: str = self.string(key, "", required)
        if value and not accept(value):
            self.report(key, form, value=value, hint=suggest(value) if suggest else "")
        return value


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


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
