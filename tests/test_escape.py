"""Tests of escaping GitHub text: hostile titles come out inert, ordinary titles come out unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.escape import ELLIPSIS, MENTION_BREAK, chat_inline, markdown_inline, one_line, plain, truncate

REFERENCE = Path(__file__).parent / "samples" / "notes-2023-09-11-security-collab-space.md"
ITEM_LINE = re.compile(r"^\* (?P<title>.+) \[#\d+\]\(\S+\)$", re.MULTILINE)
MENTION = re.compile(r"@[A-Za-z0-9]")
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
BLOCK_START = re.compile(r"^(?:[#>+\-*=_~]|\d{1,9}[.)](?: |$))")

HOSTILE = [
    "ping @person please",
    "cc @openjs-foundation/security-team",
    "@everyone",
    "<!-- -->",
    "<!-- meeting-bot:agenda:end -->",
    "<!-- meeting-bot:key=security-collab-space/2023-09-11 -->",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click](https://evil.example)",
    "![x](y)",
    "](javascript:alert(1))",
    "x" * 10_000,
    "\u202eevil reversed \u202d",
    "party 🎉 👨\u200d👩\u200d👧",
    "zero\u200bwidth\u200cjoin\u200d",
    "uses `code` and a lone `",
    "a | b | c",
    "# not a heading",
    "line one\r\nline two\rthree\nfour",
    "&#64;person &commat;team &lt;b&gt;",
    "\\[x](y) and \\`tick\\`",
    "[ ] not a task",
    "> not a quote",
    "1. not a list",
    "```fence",
    "~~~fence",
    "- dash",
    "* star",
    "+ plus",
    "===",
    "\x00nul\x07bell\x1bescape\x7fdel",
]


def shown(escaped: str) -> str:
    """What GitHub shows for our output: backslash escapes and the two entities we write undone."""
    out, i = [], 0
    while i < len(escaped):
        if escaped[i] == "\\" and i + 1 < len(escaped) and escaped[i + 1] in PUNCTUATION:
            out.append(escaped[i + 1])
            i += 2
        elif escaped.startswith("&lt;", i) or escaped.startswith("&amp;", i):
            out.append("<" if escaped[i + 1] == "l" else "&")
            i += 4 if escaped[i + 1] == "l" else 5
        else:
            out.append(escaped[i])
            i += 1
    return "".join(out)


def bare(escaped: str) -> str:
    """The characters of our output that are not escaped by a backslash."""
    return re.sub(r"\\[" + re.escape(PUNCTUATION) + "]", "", escaped)


def delimiter_is_inert(text: str, at: int) -> bool:
    """No emphasis can open or close at `at`: `*` and `~` between spaces, `_` between letters or digits."""
    before, after = text[at - 1 : at], text[at + 1 : at + 2]
    if text[at] == "_":
        return before.isalnum() and after.isalnum()
    return before.isspace() and after.isspace()


def assert_inert(text: str) -> None:
    out = markdown_inline(text)
    assert "<" not in out
    assert "\n" not in out and "\r" not in out
    assert not MENTION.search(out)
    assert not re.search(r"[\[\]`|]", bare(out))
    assert not BLOCK_START.match(out)
    assert all(delimiter_is_inert(bare(out), at) for at, char in enumerate(bare(out)) if char in "*_~")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_titles_are_inert(text):
    assert_inert(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_titles_still_show_as_written(text):
    out = markdown_inline(text)
    assert shown(out).replace(MENTION_BREAK, "") == one_line(text).strip(" ")


def reference_titles() -> list[str]:
    return [match.group("title") for match in ITEM_LINE.finditer(REFERENCE.read_text(encoding="utf-8"))]


def test_reference_has_the_five_linked_items():
    assert len(reference_titles()) == 5


@pytest.mark.parametrize("title", reference_titles())
def test_reference_titles_come_out_unchanged(title):
    assert markdown_inline(title) == title


@pytest.mark.parametrize(
    "title",
    [
        "Milestone: SBOM Generation /  Tooling Best Practices Created",
        "Get Feedback On Draft \"OpenSSF Best Practices Badge for JS Projects\"",
        "Amir's talk: Q&A, R&D, 50% (draft) -> v2!",
        "snake_case_name and 2 * 3 = 6",
        "Release 1.2.3",
        "Hebrew \u05e9\u05dc\u05d5\u05dd and \u200f marks",
    ],
)
def test_ordinary_titles_come_out_unchanged(title):
    assert markdown_inline(title) == title


def test_mentions_get_an_invisible_word_joiner():
    assert markdown_inline("cc @octocat and @org/team") == f"cc @{MENTION_BREAK}octocat and @{MENTION_BREAK}org/team"


def test_email_addresses_look_the_same():
    out = markdown_inline("Write to security@openjsf.org")
    assert out.replace(MENTION_BREAK, "") == "Write to security@openjsf.org"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Threat *model*", "Threat \\*model\\*"),
        ("**bold** ~~gone~~", "\\*\\*bold\\*\\* \\~\\~gone\\~\\~"),
        ("__init__ and snake_case", "\\_\\_init\\_\\_ and snake_case"),
        ("2 * 3 ~ 6", "2 * 3 ~ 6"),
        ("ends with *", "ends with \\*"),
    ],
)
def test_emphasis_characters_are_escaped_where_they_could_emphasise(text, expected):
    assert markdown_inline(text) == expected


def test_html_and_comments_are_escaped():
    assert markdown_inline("<!-- x --> <b>") == "&lt;!-- x --> &lt;b>"


def test_entities_show_literally_but_a_lone_ampersand_stays():
    assert markdown_inline("&#64;a &amp; Q&A") == "&amp;#\u206064;a &amp;amp; Q&A"  # "#64" would link


def test_links_and_images_are_inert():
    assert markdown_inline("![x](y) [a](b)") == "!\\[x\\](y) \\[a\\](b)"


def test_a_backslash_cannot_undo_an_escape():
    assert markdown_inline("\\[a](b)") == "\\\\\\[a\\](b)"
    assert markdown_inline("ends with \\") == "ends with \\\\"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# x", "\\# x"),
        ("> x", "\\> x"),
        ("- x", "\\- x"),
        ("2023. A year", "2023\\. A year"),
        ("1) x", "1\\) x"),
        ("1.5 release", "1.5 release"),
        ("  # indented", "\\# indented"),
    ],
)
def test_a_leading_block_marker_is_escaped(text, expected):
    assert markdown_inline(text) == expected


def test_line_breaks_become_single_spaces_and_inner_spaces_stay():
    assert markdown_inline("a\r\nb\nc\rd\te  f") == "a b c d e  f"


def test_bidi_overrides_and_controls_go():
    assert markdown_inline("a\u202eb\u2066c\u2069\x00d\x9b") == "abcd"


def test_a_very_long_title_stays_whole():
    text = "@x<" * 10_000
    assert len(markdown_inline(text)) == len(text) + 10_000 * 4


@given(st.text())
def test_any_text_is_inert(text):
    assert_inert(text)
    assert "<!--" not in markdown_inline(text)


@given(st.text(alphabet=st.characters(blacklist_characters=MENTION_BREAK, blacklist_categories=("Cs",))))
def test_any_text_shows_as_written(text):
    assert shown(markdown_inline(text)).replace(MENTION_BREAK, "") == one_line(text).strip(" ")


@given(st.text())
def test_plain_is_one_line_without_html(text):
    out = plain(text)
    assert "<" not in out and ">" not in out
    assert "\n" not in out and "\r" not in out


def test_plain_escapes_html_and_keeps_the_rest():
    assert plain("<b>Q&A</b>\r\n@team") == "&lt;b&gt;Q&amp;A&lt;/b&gt; @team"


def test_truncate_leaves_short_text_alone():
    assert truncate("short", 5) == "short"


def test_truncate_ends_in_the_note():
    out = truncate("a" * 300, 256)
    assert len(out) == 256 and out.endswith(ELLIPSIS)


def test_truncate_with_a_longer_note():
    assert truncate("abcdefghij", 8, note=" (cut)") == "ab (cut)"


@given(st.text(), st.integers(min_value=1, max_value=300))
def test_truncate_never_exceeds_the_limit(text, limit):
    assert len(truncate(text, limit)) <= limit


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Fix #3", "Fix #\u20603"),
        ("see org/repo#12 too", "see org/repo#\u206012 too"),
        ("GH-4 and gh-5", "GH\u2060-4 and gh\u2060-5"),
        ("MGH-4, C# 7, issue#", "MGH-4, C# 7, issue#"),
    ],
)
def test_titles_create_no_cross_references(title, expected):
    assert markdown_inline(title) == expected


def test_dollar_signs_open_no_math():
    assert markdown_inline("$x^2$ and $$y$$") == "\\$x^2\\$ and \\$\\$y\\$\\$"


@given(st.text())
def test_chat_text_never_holds_an_angle_bracket_or_a_live_mention(text):
    made = chat_inline(text)
    assert "<" not in made and ">" not in made and "\n" not in made
    assert re.search("@(?!" + MENTION_BREAK + ")", made) is None
