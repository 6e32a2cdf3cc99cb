"""Tests of the bot's markers: the key line, and regions rewritten with every other byte kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import markers
from bot.markers import AGENDA, AGENDA_END, AGENDA_START, find_key, find_region, make_key, replace_region

KEY = "security-collab-space/2023-09-11"
KEY_LINE = f"<!-- meeting-bot:key={KEY} -->"


def body(inner: str = "\nold\n", before: str = "Intro\n", after: str = "\nOutro\n") -> str:
    return f"{before}{AGENDA_START}{inner}{AGENDA_END}{after}"


def test_make_key_writes_the_bots_form():
    assert make_key(KEY) == KEY_LINE


@pytest.mark.parametrize("key", ["no-date", "id/2023-9-1", "x --> y/2023-09-11", "/2023-09-11", "a b/2023-09-11"])
def test_make_key_refuses_what_is_not_a_key(key):
    with pytest.raises(ValueError):
        make_key(key)


def test_region_constants():
    assert AGENDA_START == "<!-- meeting-bot:agenda:start -->"
    assert AGENDA_END == "<!-- meeting-bot:agenda:end -->"
    assert markers.region_start(markers.LINKS) == "<!-- meeting-bot:links:start -->"


@pytest.mark.parametrize(
    "text",
    [
        f"{KEY_LINE}\n",
        f"Hello\n\n{KEY_LINE}",
        f"Hello\r\n{KEY_LINE}\r\nBye\r\n",
        f"   {KEY_LINE}  \n",
        f"```\n{make_key('other/2020-01-01')}\n```\n{KEY_LINE}\n",
    ],
)
def test_find_key(text):
    assert find_key(text) == KEY


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no key here",
        f"```\n{KEY_LINE}\n```\n",
        f"~~~~ md\n{KEY_LINE}\n~~~~\n",
        f"Look: `{KEY_LINE}`\n",
        f"    {KEY_LINE}\n",
        f"text {KEY_LINE}\n",
        "<!-- meeting-bot:key=security-collab-space -->\n",
        "<!-- meeting-bot:key=security-collab-space/2023-09-11-->\n",
        "<!--meeting-bot:key=security-collab-space/2023-09-11 -->\n",
    ],
)
def test_find_key_ignores_look_alikes(text):
    assert find_key(text) is None


def test_a_fence_closes_only_on_a_bare_fence_of_its_kind():
    text = f"````\n```\n~~~~\n```` not a close\n{KEY_LINE}\n````\n"
    assert find_key(text) is None
    assert find_key(text + KEY_LINE) == KEY


def test_find_key_takes_the_first():
    assert find_key(f"{KEY_LINE}\n{make_key('x/2020-01-01')}\n") == KEY


def test_find_region_gives_the_inner_text():
    assert find_region(body(), AGENDA) == "\nold\n"


def test_find_region_of_an_empty_region():
    assert find_region(body(inner=""), AGENDA) == ""


@pytest.mark.parametrize(
    "text",
    [
        "nothing",
        f"{AGENDA_START}\nonly a start\n",
        f"only an end\n{AGENDA_END}\n",
        f"{AGENDA_END}\nreversed\n{AGENDA_START}\n",
        body() + AGENDA_START,
        body() + AGENDA_END,
        body() + body(),
        f"```\n{AGENDA_START}\n```\nx\n{AGENDA_END}\n",
    ],
)
def test_no_region_unless_one_ordered_pair(text):
    assert find_region(text, AGENDA) is None
    assert replace_region(text, AGENDA, "new") is None


def test_markers_shown_in_code_are_not_the_region():
    example = f"```\n{AGENDA_START}\n{AGENDA_END}\n```\nand `{AGENDA_END}` inline\n"
    assert find_region(example + body(), AGENDA) == "\nold\n"


def test_other_regions_are_separate():
    links = f"{markers.region_start('links')}L{markers.region_end('links')}"
    assert find_region(links + body(), "links") == "L"
    assert find_region(links + body(), AGENDA) == "\nold\n"


def test_replace_region_keeps_everything_outside():
    assert replace_region(body(), AGENDA, "\nnew\n") == body(inner="\nnew\n")


def test_replace_region_with_human_text_touching_the_markers():
    text = f"Hello{AGENDA_START}old{AGENDA_END}Thanks!"
    assert replace_region(text, AGENDA, "new") == f"Hello{AGENDA_START}new{AGENDA_END}Thanks!"


def test_replace_region_in_a_crlf_body_keeps_crlf():
    text = body(inner="\r\nold\r\n", before="Edited\r\nby hand \r\n\r\n", after="\r\n\r\nmore\r\n")
    replaced = replace_region(text, AGENDA, "\nnew\nlines\n")
    assert replaced == body(inner="\r\nnew\r\nlines\r\n", before="Edited\r\nby hand \r\n\r\n", after="\r\n\r\nmore\r\n")


def test_an_unchanged_region_gives_back_the_same_crlf_body():
    text = body(inner="\r\nsame\r\n", before="a\r\n", after="\r\nb")
    assert replace_region(text, AGENDA, "\nsame\n") == text


def test_an_lf_body_takes_the_inner_text_as_is():
    assert replace_region(body(), AGENDA, "a\r\nb") == body(inner="a\r\nb")


OUTSIDE = st.text(alphabet=st.characters(blacklist_characters="`~<", blacklist_categories=("Cs",)))


@given(OUTSIDE, OUTSIDE, st.text(alphabet=st.characters(blacklist_characters="<", blacklist_categories=("Cs",))), st.text())
def test_replace_region_keeps_every_byte_outside(before, after, old, new):
    replaced = replace_region(body(old, before, after), AGENDA, new.replace("<", ""))
    assert replaced.startswith(before + AGENDA_START)
    assert replaced.endswith(AGENDA_END + after)


def test_escaped_backticks_do_not_hide_a_marker():
    assert find_region(f"a \\` b {AGENDA_START}x{AGENDA_END}", AGENDA) == "x"


def test_a_marker_between_backticks_on_its_line_is_code():
    assert find_region(f"`{AGENDA_START}`\n{AGENDA_START}x{AGENDA_END}", AGENDA) == "x"
