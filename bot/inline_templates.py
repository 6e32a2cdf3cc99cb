"""Templates written inside a meeting file (title, notes.path): parsed at load, errors at their own line."""

from __future__ import annotations

import jinja2

from bot import template_errors
from bot.model import Problem
from bot.tomlines import Document, Table, Where

BAD_TEMPLATE_TEXT = "{key}: invalid template: {error}"


def template_text(table: Table, key: str, default: str) -> str:
    """A template written in the meeting file; a syntax error is reported at its own line of the file."""
    text: str = table.string(key, default)
    try:
        jinja2.Environment().parse(text)
    except jinja2.TemplateSyntaxError as error:
        where = table.where + (key,)
        line = table.document.lines.line(where) + _line_in_value(table.document, where, error.lineno)
        message = BAD_TEMPLATE_TEXT.format(key=table.name(key), error=template_errors.without_offset(error.message or ""))
        table.document.problems.append(Problem(table.document.path, line, message))
    return text


def _line_in_value(document: Document, where: Where, lineno: int | None) -> int:
    """How many lines below its key a template's line `lineno` is written: a multi-line string that opens
    with a line break starts on the next line (TOML drops that first line break)."""
    if not lineno:
        return 0
    lines = document.text.splitlines()
    key_line = document.lines.line(where)
    opening = lines[key_line - 1].rstrip() if 0 < key_line <= len(lines) else ""
    opens_block = opening.endswith(('"""', "'''")) and opening.count(opening[-3:]) == 1
    return (lineno - 1) + (1 if opens_block else 0)
