"""Tests for bot.tomlines: the line of every TOML key, and typed reads that report problems there."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot import tomlines
from bot.model import Problem
from bot.tomlines import Document, Lines, Table, locate

DOCUMENT = '''\
# a comment with = and [brackets]
name = "x"  # [not.a.table]
"quoted.key" = 1
a.b.'c d' = 2
s = """
[fake]
x = 1
\\""" still inside
"""
l = \'\'\'
y = 2\'\'\'
q = "a \\" b = 1"
e = """ends with a quote""""
arr = [
  "a",  # ]
  { k = 1, m = [1,
   2] },
]
[schedule]
timezone = "UTC"
[schedule.vars]
j = 1
[[slot]]
x = 1
[[slot]]
x = 2
[slot.vars]
y = 3
[[slot.sub]]
z = 1
[ t . "u" ]
v = 1
'''

EXPECTED = {
    ("name",): 2, ("quoted.key",): 3, ("a",): 4, ("a", "b"): 4, ("a", "b", "c d"): 4, ("s",): 5, ("l",): 10,
    ("q",): 12, ("e",): 13, ("arr",): 14, ("arr", 0): 15, ("arr", 1): 16, ("arr", 1, "k"): 16,
    ("arr", 1, "m"): 16, ("arr", 1, "m", 0): 16, ("arr", 1, "m", 1): 17, ("schedule",): 19,
    ("schedule", "timezone"): 20, ("schedule", "vars"): 21, ("schedule", "vars", "j"): 22, ("slot",): 23,
    ("slot", 0): 23, ("slot", 0, "x"): 24, ("slot", 1): 25, ("slot", 1, "x"): 26, ("slot", 1, "vars"): 27,
    ("slot", 1, "vars", "y"): 28, ("slot", 1, "sub"): 29, ("slot", 1, "sub", 0): 29,
    ("slot", 1, "sub", 0, "z"): 30, ("t",): 31, ("t", "u"): 31, ("t", "u", "v"): 32,
}


def test_every_key_table_and_element_is_found_on_its_line():
    tomllib.loads(DOCUMENT)  # the document is valid TOML
    assert dict(locate(DOCUMENT).found) == EXPECTED


def test_a_missing_key_falls_back_to_its_table_then_to_line_one():
    lines = locate(DOCUMENT)
    assert lines.line(("schedule", "start")) == 19
    assert lines.line(("slot", 1, "vars", "nope")) == 27
    assert lines.line(("agenda", "label")) == 1
    assert lines.line(()) == 1


def test_text_that_is_not_toml_keeps_what_was_found_before():
    assert dict(locate('a = 1\nb = "unterminated\n').found) == {("a",): 1, ("b",): 2}
    assert dict(locate("a = 1\n= 2\nc = 3").found) == {("a",): 1}
    assert dict(locate("a = 1\nb = ,\n").found) == {("a",): 1, ("b",): 2}
    assert dict(locate("[a\nb = 1\n").found) == {("a",): 1}
    assert Lines().line(("x",)) == 1


@st.composite
def documents(draw) -> tuple[str, dict]:
    """A valid document of tables whose values may span lines, and the line of each key."""
    text, expected = "", {}
    for table in draw(st.lists(st.sampled_from(sorted(TABLES)), max_size=3, unique=True)):
        text += f"[{table}]\n"
        path = TABLES[table]
        for key in draw(st.lists(st.from_regex(r"[a-z_-]{1,5}", fullmatch=True), max_size=4, unique=True)):
            value = draw(st.sampled_from(VALUES))
            expected[path + (key,)] = text.count("\n") + 1
            text += f"{key} = {value}\n"
    return text, expected


TABLES = {"t": ("t",), "u.v": ("u", "v"), '"w.x"': ("w.x",)}
VALUES = [
    '"a = b"', '"""\n[x]\nk = 1\n"""', "'''\n[[y]]\n'''", "[\n  1, # ]\n  2,\n]",
    "{ p = 1 }", "1", json.dumps("[z]"),
]


@given(documents())
def test_keys_are_found_whatever_their_values_span(document):
    text, expected = document
    tomllib.loads(text)
    found = locate(text)
    assert {where: found.line(where) for where in expected} == expected


def table(data: dict, text: str = "") -> Table:
    return Table(data, (), Document(Path("m.toml"), locate(text), []))


def test_an_integer_is_not_a_boolean():
    reader = table({"n": True}, "n = true\n")
    assert reader.integer("n", 5, 0, 10) == 5
    assert reader.document.problems == [Problem(Path("m.toml"), 1, tomlines.MUST_BE_INTEGER.format(key="n"))]


def test_names_and_titles_follow_what_users_write():
    document = Document(Path("m.toml"), Lines(), [])
    assert Table({}, ("schedule", 1), document).name("start") == "schedule.start"
    assert Table({}, ("schedule", 1), document).title() == tomlines.ARRAY_TABLE.format(name="schedule")
    assert Table({}, ("agenda",), document).title() == tomlines.TABLE.format(name="agenda")
    assert Table({}, (), document).title() == tomlines.TOP_LEVEL


def test_each_bad_element_is_reported_at_its_line():
    reader = table({"xs": ["a", "B", "c"]}, 'xs = [\n  "a",\n  "B",\n  "c",\n]\n')
    assert reader.each("xs", str.islower, "{key}: {value}") == ("a", "B", "c")
    assert reader.document.problems == [Problem(Path("m.toml"), 3, "xs: B")]


def test_a_choice_must_be_one_of_the_strings():
    reader = table({"c": ["a"]})
    assert reader.choice("c", ("a", "b"), "b") == "b"
    assert reader.document.problems[0].message == tomlines.BAD_CHOICE.format(key="c", choices="a, b")
