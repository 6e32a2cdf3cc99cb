"""HackMD notes as text (the tag that finds a note again) and HackMD's answers as values (errors, rate limits).

Sources as in `bot.adapters.hackmd`: [USER] tags in a note, [POLICY] the rate-limit headers, [OPENAPI]
the note and error shapes.
"""

from __future__ import annotations

import re
from typing import Any

from bot.model import NotesRecord
from bot.ports import Forbidden, NotFound, RateLimited, ServiceError

RESET_MARGIN_SECONDS = 1.0
MESSAGE_LIMIT = 200
TAG_PREFIX = "meeting-bot-"
TAGS_LINE = "###### tags: `{tag}`"
QUOTA_CODE = "quota_exceeded"
BAD_TOKEN = "HackMD rejected HACKMD_TOKEN (401): check it, or make a new one in HackMD under Settings > API"
FORBIDDEN = "{what}: permission denied by HackMD (403: {message})"
NOT_FOUND = "{what}: not found on HackMD, or not visible to the HACKMD_TOKEN user (404)"
RATE_LIMITED = "{what}: HackMD's rate limit (429) does not lift within the {cap:.0f} s the bot waits"
QUOTA_SPENT = "{what}: HackMD's monthly API quota is spent (429 {code}): {message}"
FAILED = "{what}: HackMD answered {status}: {message}"
FRONT_MATTER_TAGS = (
    "the notes template's YAML front matter sets tags, which hide the bot's tag {tag!r} from HackMD; "
    "move those tags to a '###### tags:' line"
)

# One way only to match each line (`[^\n]*\n`, the CR inside it): `.*\r?\n` could take a CRLF's CR
# either way and backtracked exponentially on an unclosed block with CRLF line endings.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>(?:[^\n]*\n)*?)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)")
_TAGS_KEY = re.compile(r"^tags[ \t]*:", re.MULTILINE)



def note_tag(key: str) -> str:
    """The tag that finds an occurrence's note: `meeting-bot-<meeting-id>-<date>` (one to one, the date is last)."""
    return TAG_PREFIX + key.replace("/", "-")


def tagged(content: str, tag: str) -> str:
    """`content` with `tag` where HackMD reads tags: its YAML front matter if it has one, else a last line."""
    front = _FRONT_MATTER.match(content)
    if front is None:
        return content + ("" if content.endswith("\n") or not content else "\n") + TAGS_LINE.format(tag=tag) + "\n"
    if _TAGS_KEY.search(front.group("yaml")):
        raise ServiceError(FRONT_MATTER_TAGS.format(tag=tag))
    end = front.end("yaml")
    return content[:end] + f"tags: {tag}\n" + content[end:]


def has_tag(note: dict, tag: str) -> bool:
    """Whether a listed note carries `tag`; case aside, as the docs' own example changes a tag's case."""
    return tag.casefold() in {str(t).casefold() for t in note.get("tags") or ()}


def record(note: Any, content: str | None = None) -> NotesRecord | None:
    """A note of the API [OPENAPI `SingleNote`] as our value, its URL the `publishLink`; None if malformed."""
    if not isinstance(note, dict):
        return None
    text = note.get("content") if content is None else content
    url, note_id = note.get("publishLink"), note.get("id")
    if not (isinstance(text, str) and isinstance(url, str) and url and isinstance(note_id, str) and note_id):
        return None
    return NotesRecord(url=url, content=text, ref=note_id)


def error_message(body: Any) -> str:
    """The one-line message of an error body: `{"error": str}`, `{"error": {"message"}}` or `{"message"}`."""
    detail = (body.get("error") or body.get("message")) if isinstance(body, dict) else None
    if isinstance(detail, dict):
        detail = detail.get("message")
    text = str(detail or "no message").strip().splitlines()
    return (text[0] if text else "no message")[:MESSAGE_LIMIT]


def quota_code(body: Any) -> str | None:
    detail = body.get("error") if isinstance(body, dict) else None
    return detail.get("code") if isinstance(detail, dict) else None


def translate(status: int, body: Any, what: str, cap: float) -> ServiceError:
    """An error answer as one of our typed errors, with a one-line message and no secret."""
    message = error_message(body)
    if status == 401:
        return ServiceError(BAD_TOKEN)
    if status == 403:
        return Forbidden(FORBIDDEN.format(what=what, message=message))
    if status == 404:
        return NotFound(NOT_FOUND.format(what=what))
    if status == 429 and quota_code(body) == QUOTA_CODE:
        return RateLimited(QUOTA_SPENT.format(what=what, code=QUOTA_CODE, message=message))
    if status == 429:
        return RateLimited(RATE_LIMITED.format(what=what, cap=cap))
    return ServiceError(FAILED.format(what=what, status=status, message=message))


def rate_wait(headers: Any, now: float) -> float | None:
    """Seconds until a 429 lifts: `Retry-After` if sent, else `X-RateLimit-UserReset` [POLICY], else None."""
    retry_after = (headers.get("Retry-After") or "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    try:
        reset = float(headers.get("X-RateLimit-UserReset") or "")
    except ValueError:
        return None
    reset = reset / 1000 if reset > 1e11 else reset  # a time in milliseconds, as HackMD's other times are
    return max(0.0, reset - now) + RESET_MARGIN_SECONDS
