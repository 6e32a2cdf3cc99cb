"""Text from GitHub made inert where the bot places it: no mentions, no HTML, no Markdown structure."""

from __future__ import annotations

import html
import re

# An invisible WORD JOINER after '@' breaks GitHub's mention pattern (`@` then a letter or digit),
# in rendered Markdown and in e-mail replies alike, and keeps "@name" on one line when wrapped.
MENTION_BREAK = "\u2060"
ELLIPSIS = "…"

# CRLF counts once; the other line and paragraph separators and tabs become one space each.
_BREAKS = re.compile(r"\r\n|[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]")
# Other control characters, lone surrogates and the bidi embeddings, overrides and isolates
# (they could reorder the rest of the line on screen); the LRM/RLM marks stay.
_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

_PUNCTUATION = re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = r"&(?=[A-Za-z][A-Za-z0-9]{0,31};|#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};)"
_INLINE = re.compile(
    rf"(?P<lt><)|(?P<amp>{_ENTITY})|(?P<mention>@(?=[A-Za-z0-9]))"
    rf"|(?P<reference>#(?=[0-9])|(?<![A-Za-z0-9])[Gg][Hh](?=-[0-9]))"
    rf"|(?P<backslash>\\(?=[{_PUNCTUATION}]|$))|(?P<punct>[`\[\]|$])|(?P<emphasis>[*_~])"
)
# What would open a block at the start of a line: heading, quote, list, rule, setext line, fence.
_LEADING_MARK = re.compile(r"^(?:[#>+\-*=_~]|\d{1,9}(?=[.)](?: |$)))")


def one_line(text: str) -> str:
    """`text` on one line: line breaks and tabs become spaces, other control characters go."""
    return _DROPPED.sub("", _BREAKS.sub(" ", text))


def markdown_inline(text: str) -> str:
    """`text` for inline Markdown on GitHub: it shows as written and can do nothing else.

    One line; `<` and an entity-like `&` become entities; a word joiner follows a mention's `@`,
    the `#` of an issue reference (`#3`, `org/repo#12`) and the `GH` of `GH-4`, so none of them
    links or notifies; a backslash goes before `` ` [ ] | $ `` (`$` would open math), before
    `* _ ~` where they could emphasise, before a
    backslash that could undo an escape, and before a leading block marker (`#`, `>`, `-`, `1.`).
    Everything else, spaces included, stays as it is.
    """
    flat = one_line(text).strip(" ")
    escaped = _INLINE.sub(_escape_inline, flat)
    return _LEADING_MARK.sub(_escape_leading, escaped, count=1)


def _escape_inline(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "lt":
        return "&lt;"
    if kind == "amp":
        return "&amp;"
    if kind in ("mention", "reference"):  # the same break stops `#3`, `org/repo#12` and `GH-4` linking
        return match.group() + MENTION_BREAK
    if kind == "emphasis" and _cannot_emphasise(match.string, match.start()):
        return match.group()
    return "\\" + match.group()


def _cannot_emphasise(text: str, at: int) -> bool:
    """`*` and `~` between spaces, `_` inside a word: no emphasis can open or close there."""
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    if text[at] == "_":
        return before.isalnum() and after.isalnum()
    return before.isspace() and after.isspace()


def _escape_leading(match: re.Match[str]) -> str:
    """A leading block marker made literal; for `1.` or `1)` the dot or bracket is escaped."""
    mark = match.group()
    return "\\" + mark if not mark[0].isdigit() else mark + "\\"


# In announcements `<` and `>` become the look-alike single angle quotation marks: chat services and
# mail disagree on entities, and Apprise turns Slack's `&lt;!here&gt;` back into a mention.
_ANGLES = str.maketrans({"<": "\u2039", ">": "\u203a"})


_BARE_AT = re.compile("@(?!" + MENTION_BREAK + ")")


def chat_inline(text: str) -> str:
    """`text` for an announcement (Markdown that Apprise sends to chat or mail): as `markdown_inline`,
    with no `<` or `>` left and a word joiner after every `@` (Apprise reads Discord's role mention
    `@&123` from the text), so no mention syntax, link syntax or HTML of any service can start."""
    return _BARE_AT.sub("@" + MENTION_BREAK, markdown_inline(text.translate(_ANGLES)))


def plain(text: str) -> str:
    """`text` on one line for plain text that may be shown as HTML (calendar descriptions)."""
    return html.escape(one_line(text).strip(" "), quote=False)


def truncate(text: str, limit: int, note: str = ELLIPSIS) -> str:
    """`text` cut to at most `limit` characters, ending in `note` when something was cut."""
    if len(text) <= limit:
        return text
    return (text[: max(limit - len(note), 0)].rstrip(" ") + note)[:limit]
