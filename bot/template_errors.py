"""Template syntax errors said where they are: no character offsets, an unclosed block at its own line."""

from __future__ import annotations

import re

import jinja2

UNCLOSED = "{message} (the unclosed {tag!r} block opens on line {line})"
_OFFSET = re.compile(r" at \d+$")  # Jinja's lexer ends some messages with a character offset into the file
_PAIRED = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape", "trans"})


def without_offset(message: str) -> str:
    """A template error message without the character offset the lexer adds: the line is given instead."""
    return _OFFSET.sub("", message)


def unclosed_block(env: jinja2.Environment, source: str) -> tuple[str, int, int] | None:
    """The innermost block tag that is never closed, its line, and the line of the template's last token;
    None when every block is closed."""
    open_blocks: list[tuple[str, int]] = []
    expect_tag, last = False, 1
    try:
        for line, kind, value in env.lex(source):
            last = line
            if kind == "block_begin":
                expect_tag = True
            elif kind == "name" and expect_tag:
                expect_tag = False
                if value in _PAIRED:
                    open_blocks.append((value, line))
                elif value.startswith("end") and open_blocks and open_blocks[-1][0] == value[3:]:
                    open_blocks.pop()
            elif kind != "whitespace":
                expect_tag = False
    except jinja2.TemplateSyntaxError:
        return None
    return (*open_blocks[-1], last) if open_blocks else None


def located(env: jinja2.Environment, error: jinja2.TemplateSyntaxError) -> tuple[int | None, str]:
    """The line and message to report: an error at the end of a template caused by an unclosed block
    points at where that block opens; character offsets are left out."""
    message = without_offset(error.message or "")
    source = getattr(error, "source", None)
    found = unclosed_block(env, source) if source and error.lineno else None
    # Jinja stopped at the end, still inside a block that opened earlier: point at where it opens.
    if found is not None and error.lineno >= found[2] and found[1] < error.lineno:
        tag, line, _ = found
        return line, UNCLOSED.format(message=message, tag=tag, line=line)
    return error.lineno, message
