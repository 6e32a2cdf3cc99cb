r"""The ``q`` syntax of ``GET /search/issues``, as far as the double supports it.

Supported qualifiers (a leading ``-`` negates any of them):

* ``is:open|closed``, ``state:open|closed``; ``is:issue|pr|pull-request``,
  ``type:issue|pr|pull-request``; ``is:merged|unmerged``; ``is:public|private``
  (the repository's visibility);
* ``label:x``, ``label:"with spaces"``, ``label:"a \"b\""``, ``label:a,b``
  (either), repeated ``label:`` (all), ``no:label``;
* ``org:x``, ``user:x``, ``repo:owner/name``: OR'ed with one another, as on
  GitHub; unknown or invisible ones make the search a 422;
* ``author:x``, ``assignee:x``, ``in:title|body|comments``;
* ``created:``/``updated:``/``closed:`` with ``>``, ``>=``, ``<``, ``<=``,
  ``a..b`` or a bare date (``2024-05-01`` or a full ISO timestamp);
* ``sort:...`` selects nothing (the GraphQL search orders by ``sort:created-asc``).

Any other word, or unknown ``key:value``, is free text matched
case-insensitively in titles and bodies (GitHub also treats unknown
qualifiers as text).  Values are matched case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.doubles.github_state import Issue, Repo

SCOPES = ("org", "user", "repo")
KNOWN = {"is", "state", "type", "label", "no", "author", "assignee", "in", "created", "updated", "closed", "sort",
         *SCOPES}
KINDS = {"issue": False, "pr": True, "pull-request": True}


@dataclass
class Term:
    """One space-separated part of ``q``: ``[-]key:value[,value...]`` or text."""

    negated: bool
    key: str | None
    values: list[str]

    @property
    def value(self) -> str:
        """The values joined back with commas (for non-list qualifiers)."""
        return ",".join(self.values)


def tokenize(q: str) -> Iterator[Term]:
    r"""Split ``q`` into terms; quotes group spaces and commas, ``\`` escapes."""
    i = 0
    while i < len(q):
        if q[i].isspace():
            i += 1
            continue
        negated = q[i] == "-"
        i += negated
        match = re.match(r"([A-Za-z_-]+):", q[i:])
        key = match.group(1).lower() if match and match.group(1).lower() in KNOWN else None
        if key is not None:
            i += match.end()  # type: ignore[union-attr]
        values, i = _read_values(q, i)
        yield Term(negated, key, values)


def _read_values(q: str, i: int) -> tuple[list[str], int]:
    """Read comma-separated, possibly quoted values up to unquoted space."""
    values, current, quoted = [], [], False
    while i < len(q) and (quoted or not q[i].isspace()):
        char = q[i]
        if char == "\\" and quoted and i + 1 < len(q):
            i += 1
            current.append(q[i])
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            values.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    values.append("".join(current))
    return values, i


def scopes(terms: list[Term]) -> list[Term]:
    """The ``org:``/``user:``/``repo:`` terms of a query."""
    return [t for t in terms if t.key in SCOPES and not t.negated]


VISIBILITIES = ("public", "private")


def _visibility_terms(terms: list[Term]) -> list[Term]:
    return [t for t in terms if t.key == "is" and t.value.lower() in VISIBILITIES]


def in_scope(terms: list[Term], repo: Repo) -> bool:
    """Whether a repository is searched: any scope term names it (or none given), and it has the
    visibility ``is:public``/``is:private`` asks for."""
    wanted = scopes(terms)
    visibility = "private" if repo.private else "public"
    if any((t.value.lower() == visibility) == t.negated for t in _visibility_terms(terms)):
        return False
    return not wanted or any(_names_repo(t, repo) for t in wanted)


def _names_repo(term: Term, repo: Repo) -> bool:
    """Whether one scope term covers a repository."""
    if term.key == "repo":
        return term.value.lower() == repo.full_name.lower()
    return term.value.lower() == repo.owner.lower()


def matches(terms: list[Term], issue: Issue) -> bool:
    """Whether an issue satisfies every non-scope term."""
    fields = [t.value.lower() for t in terms if t.key == "in"]
    visibility = _visibility_terms(terms)
    checked = [t for t in terms if t.key not in (*SCOPES, "in", "sort") and t not in visibility]
    return all(_check(t, issue, fields) != t.negated for t in checked)


def _check(term: Term, issue: Issue, fields: list[str]) -> bool:
    """Whether one positive term holds for an issue."""
    value = term.value.lower()
    labels = {name.lower() for name in issue.labels}
    if term.key in ("is", "state", "type"):
        return _is(value, issue)
    if term.key == "label":
        return any(v.lower() in labels for v in term.values)
    if term.key == "no":
        return value == "label" and not labels
    if term.key == "author":
        return issue.user.lower() == value
    if term.key == "assignee":
        return value in {a.lower() for a in issue.assignees}
    if term.key in ("created", "updated", "closed"):
        return _in_range(getattr(issue, f"{term.key}_at"), term.value)
    return _has_text(issue, term.value if term.key is None else f"{term.key}:{term.value}", fields)


def _is(value: str, issue: Issue) -> bool:
    """``is:``/``state:``/``type:`` values."""
    if value in ("open", "closed"):
        return issue.state == value
    if value in KINDS:
        return issue.pull_request == KINDS[value]
    if value in ("merged", "unmerged"):
        return issue.pull_request and (issue.merged_at is not None) == (value == "merged")
    return False


def _has_text(issue: Issue, text: str, fields: list[str]) -> bool:
    """Case-insensitive text search in the title, body and/or comments."""
    places = fields or ["title", "body"]
    haystacks = {
        "title": issue.title,
        "body": issue.body or "",
        "comments": " ".join(c.body for c in issue.comments),
    }
    return any(text.lower() in haystacks.get(place, "").lower() for place in places)


def _in_range(when: datetime | None, spec: str) -> bool:
    """Date qualifiers: ``>=d``, ``>d``, ``<=d``, ``<d``, ``a..b``, ``d``."""
    if when is None:
        return False
    if ".." in spec:
        low, high = spec.split("..", 1)
        return (low in OPEN_END or when >= bounds(low)[0]) and (high in OPEN_END or when <= bounds(high)[1])
    for op, test in COMPARISONS.items():
        if spec.startswith(op):
            return test(when, *bounds(spec[len(op) :]))
    start, end = bounds(spec)
    return start <= when <= end


OPEN_END = ("", "*")
COMPARISONS = {
    ">=": lambda when, start, end: when >= start,
    "<=": lambda when, start, end: when <= end,
    ">": lambda when, start, end: when > end,
    "<": lambda when, start, end: when < start,
}


def bounds(text: str) -> tuple[datetime, datetime]:
    """First and last second a date (or a timestamp, both the same) covers.

    Raises ``ValueError`` for anything else.
    """
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if len(text) == 10:
        return when, when.replace(hour=23, minute=59, second=59)
    return when, when


def check_dates(terms: list[Term]) -> None:
    """Raise ``ValueError`` if a date qualifier does not parse."""
    for term in terms:
        if term.key in ("created", "updated", "closed"):
            for part in term.value.lstrip("<>=").split(".."):
                if part not in OPEN_END:
                    bounds(part)
