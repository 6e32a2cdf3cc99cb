"""TOML read with line numbers: where each key was written, and typed reads that report problems there."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bot.model import Problem
from bot.toml_positions import Lines as Lines, Where as Where, locate as locate


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
