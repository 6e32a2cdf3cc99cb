"""The agenda: search queries from `[agenda]`, search hits to sectioned and grouped items, and its two printouts."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Iterable, Mapping, Sequence

from bot import escape, markers
from bot.model import Agenda, AgendaConfig, AgendaGroup, AgendaItem, AgendaSection, SectionGroup

# GitHub's limits on one issue search (docs: "Troubleshooting search queries", "Search" REST API).
MAX_QUERY_CHARS = 256
# At most five AND/OR/NOT operators: several org:/repo: qualifiers are an implicit OR, and we
# assume GitHub counts those too, so six scopes (five ORs) per query.
MAX_SCOPES_PER_QUERY = 6
PER_PAGE = 100
SEARCH_RESULT_CAP = 1000
SORT = "created"
ORDER = "asc"
# A query is continued past the cap with this qualifier; its room is kept free in every query.
WINDOW = " created:>={since}"
WINDOW_ROOM = len(WINDOW.format(since="2000-01-01T00:00:00+00:00"))

QUERY_TOO_LONG = "agenda label {label!r} with {scope} makes a GitHub search query longer than {limit} characters"
INCOMPLETE_RESULTS = "GitHub's search timed out for {query!r} and returned incomplete results; items may be missing"
QUERY_SPLIT = (
    "GitHub search {query!r} matched {total} items, more than the {cap} one query returns;"
    " continuing with the items created at or after {since}"
)
CANNOT_SPLIT = "GitHub search {query!r}: more than {cap} items were created at {since}; some of them are missing"
NO_ITEMS = "*No open issue or pull request carries the label {label}.*\n"
WITHHELD = (
    "{count} labelled item(s) left out: their repository is less visible than the meeting repository "
    "{repo} ({visibility}), so they must not be published there"
)
WITHHELD_NOTE = "*{count} labelled item(s) from less visible repositories left out.*"
# Who can read a repository, widest last: an agenda only holds items at least as visible as its meeting.
VISIBILITY_RANK = {"private": 0, "internal": 1, "public": 2}
HEADING = "### {repo}"
ITEM = "* {title} [{ref}]({url})"
REF = "#{number}"  # an item under its repository's heading
REF_DISCUSSION = "discussion #{number}"
SECTION_REF = "{repo}#{number}"  # an item under a section heading, which names no repository
SECTION_REF_DISCUSSION = "{repo} discussion #{number}"


class AgendaQueryError(ValueError):
    """The `[agenda]` table cannot be turned into a search query GitHub accepts."""


def quoted(label: str) -> str:
    """A label as one search term, whatever spaces or quotes it holds."""
    return '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _base(config: AgendaConfig) -> str:
    kinds = "" if config.include_pull_requests else " is:issue"
    return f"is:open{kinds} label:{quoted(config.label)}"


def scopes(config: AgendaConfig, meeting_repo: str | None = None) -> tuple[str, ...]:
    """The `org:` and `repo:` qualifiers, without repeats; a repo inside a listed org adds nothing.

    With neither orgs nor repos configured, the meeting's own repository is searched.
    """
    orgs = {org.casefold() for org in config.orgs}
    repos = [r for r in config.repos if r.split("/", 1)[0].casefold() not in orgs]
    if not config.orgs and not config.repos and meeting_repo:
        repos = [meeting_repo]
    unique: dict[str, str] = {}
    for scope in [f"org:{org}" for org in config.orgs] + [f"repo:{repo}" for repo in repos]:
        unique.setdefault(scope.casefold(), scope)
    return tuple(unique.values())


def query_for(config: AgendaConfig, chunk: Sequence[str], base: str | None = None) -> str:
    """The search query text for one group of scopes (`base`: other than the issue search's)."""
    return " ".join((_base(config) if base is None else base, *chunk))


def _fits(config: AgendaConfig, chunk: Sequence[str], base: str | None = None) -> bool:
    short = len(query_for(config, chunk, base)) + WINDOW_ROOM <= MAX_QUERY_CHARS
    return short and len(chunk) <= MAX_SCOPES_PER_QUERY


def scope_chunks(
    config: AgendaConfig, meeting_repo: str | None = None, base: str | None = None
) -> tuple[tuple[str, ...], ...]:
    """The scopes packed, in order, into as few queries as GitHub's limits allow."""
    chunks: list[tuple[str, ...]] = []
    for scope in scopes(config, meeting_repo):
        if not _fits(config, (scope,), base):
            raise AgendaQueryError(QUERY_TOO_LONG.format(label=config.label, scope=scope, limit=MAX_QUERY_CHARS))
        if chunks and _fits(config, chunks[-1] + (scope,), base):
            chunks[-1] += (scope,)
        else:
            chunks.append((scope,))
    return tuple(chunks)


def build_queries(config: AgendaConfig, meeting_repo: str | None = None) -> tuple[str, ...]:
    """Every search query the agenda needs: one, unless the orgs and repos overflow GitHub's limits."""
    return tuple(query_for(config, chunk) for chunk in scope_chunks(config, meeting_repo))


def window(query: str, since: str | None) -> str:
    """The query restricted to items created at or after `since` (None: the whole query)."""
    return query if since is None else query + WINDOW.format(since=since)


def page_count(total: int) -> int:
    """How many pages of PER_PAGE one query can return for `total` matches (at least one request)."""
    return max(1, math.ceil(min(total, SEARCH_RESULT_CAP) / PER_PAGE))


def next_since(total: int, hits: Sequence[Mapping[str, Any]]) -> str | None:
    """After one window sorted by creation: where the next window starts, or None if it held everything."""
    if total <= SEARCH_RESULT_CAP or not hits:
        return None
    return str(hits[-1]["created_at"])


def _repo(raw: Mapping[str, Any]) -> str:
    """`owner/name` from the hit's API URL (`…/repos/owner/name`, also on GitHub Enterprise Server)."""
    return "/".join(str(raw["repository_url"]).rstrip("/").split("/")[-2:])


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def item_from_hit(raw: Mapping[str, Any]) -> AgendaItem | None:
    """The agenda item a search hit stands for; None for a meeting issue the bot itself made."""
    if markers.find_key(raw.get("body") or "") is not None:
        return None
    user = raw.get("user") or {}
    return AgendaItem(
        repo=_repo(raw),
        number=int(raw["number"]),
        title=str(raw["title"]),
        url=str(raw["html_url"]),
        is_pull_request="pull_request" in raw,
        labels=tuple(str(label["name"]) for label in raw.get("labels") or ()),
        author=user.get("login"),
        updated_at=_time(raw.get("updated_at")),
    )


def is_current(raw: Mapping[str, Any], config: AgendaConfig) -> bool:
    """Whether the hit, as it is now, belongs on the agenda.

    The search index lags; the hit's own fields are fresh, so an item closed or unlabelled a moment
    ago is left out even when the index still matches it.
    """
    labels = {str(label["name"]).casefold() for label in raw.get("labels") or ()}
    wanted_kind = config.include_pull_requests or "pull_request" not in raw
    return raw.get("state") == "open" and config.label.casefold() in labels and wanted_kind


def items_from_hits(hits: Iterable[Mapping[str, Any]], config: AgendaConfig) -> tuple[AgendaItem, ...]:
    """The agenda items among search hits, in hit order, without the bot's own issues."""
    items = (item_from_hit(raw) for raw in hits if is_current(raw, config))
    return tuple(item for item in items if item is not None)


def section_for(item: AgendaItem, sections: Sequence[AgendaSection]) -> AgendaSection | None:
    """The first section carrying one of the item's labels (labels compare case-insensitively)."""
    labels = {label.casefold() for label in item.labels}
    return next((s for s in sections if labels & {label.casefold() for label in s.labels}), None)


def _unique(items: Iterable[AgendaItem]) -> list[AgendaItem]:
    """Each item once: issues, pull requests and discussions of a repository share their numbers."""
    found: dict[tuple[str, int], AgendaItem] = {}
    for item in items:
        found.setdefault((item.repo.casefold(), item.number), item)
    return list(found.values())


def sectioned(
    items: Iterable[AgendaItem], sections: Sequence[AgendaSection], meeting_repo: str
) -> tuple[tuple[SectionGroup, ...], list[AgendaItem]]:
    """The sections that hold items, in the written order, and the items that are in none of them."""
    placed: dict[str, list[AgendaItem]] = {section.title: [] for section in sections}
    rest: list[AgendaItem] = []
    for item in _unique(items):
        section = section_for(item, sections)
        (placed[section.title] if section else rest).append(item)
    key = lambda item: (*repo_order(item.repo, meeting_repo), item.number)  # noqa: E731
    found = (SectionGroup(s.title, tuple(sorted(placed[s.title], key=key))) for s in sections)
    return tuple(group for group in found if group.items), rest


def repo_order(repo: str, meeting_repo: str) -> tuple[bool, str, str]:
    """Sort key of a group: the meeting's own repository first, then alphabetical, case-insensitive."""
    return (repo.casefold() != meeting_repo.casefold(), repo.casefold(), repo)


def group(items: Iterable[AgendaItem], meeting_repo: str) -> tuple[AgendaGroup, ...]:
    """One group per repository in `repo_order`, items by number; an item found twice counts once."""
    by_repo: dict[str, dict[int, AgendaItem]] = {}
    names: dict[str, str] = {}
    for item in items:
        key = item.repo.casefold()
        names.setdefault(key, item.repo)
        by_repo.setdefault(key, {}).setdefault(item.number, item)
    ordered = sorted(names.values(), key=lambda repo: repo_order(repo, meeting_repo))
    return tuple(
        AgendaGroup(repo, tuple(by_repo[repo.casefold()][n] for n in sorted(by_repo[repo.casefold()])))
        for repo in ordered
    )


def build_agenda(
    config: AgendaConfig,
    items: Iterable[AgendaItem],
    meeting_repo: str,
    warnings: Iterable[str] = (),
    withheld: int = 0,
) -> Agenda:
    """The agenda value for the meeting: its sections, then the other items by repository."""
    sections, rest = sectioned(items, config.sections, meeting_repo)
    return Agenda(
        label=config.label,
        orgs=config.orgs,
        repos=config.repos,
        groups=group(rest, meeting_repo),
        warnings=tuple(dict.fromkeys(warnings)),
        withheld=withheld,
        sections=sections,
        discussions=config.include_discussions,
    )


def rank(visibility: str | None) -> int:
    """How widely a repository is readable; an unknown visibility counts as private."""
    return VISIBILITY_RANK.get(visibility or "", 0)


def withhold(
    items: Iterable[AgendaItem], visibility: Mapping[str, str | None], meeting_visibility: str | None
) -> tuple[tuple[AgendaItem, ...], int]:
    """The items whose repository is at least as visible as the meeting's, and how many were left out.

    `visibility` maps each item's repository (casefolded) to GitHub's `visibility`.
    """
    floor = rank(meeting_visibility)
    kept, left_out = [], 0
    for item in items:
        if rank(visibility.get(item.repo.casefold())) >= floor:
            kept.append(item)
        else:
            left_out += 1
    return tuple(kept), left_out


def item_ref(item: AgendaItem, in_section: bool = False) -> str:
    """The link text of an item: its number, its kind if a discussion, its repository under a section."""
    if in_section:
        form = SECTION_REF_DISCUSSION if item.is_discussion else SECTION_REF
    else:
        form = REF_DISCUSSION if item.is_discussion else REF
    return form.format(repo=item.repo, number=item.number)


def _block(heading: str, items: Sequence[AgendaItem], in_section: bool) -> str:
    """One heading and its items; repository names and numbers are GitHub's own, titles anyone's."""
    lines = [HEADING.format(repo=heading), ""]
    lines += [ITEM.format(title=escape.markdown_inline(i.title), ref=item_ref(i, in_section), url=i.url) for i in items]
    return "\n".join(lines)


def agenda_markdown(agenda: Agenda) -> str:
    """`### section` blocks, then `### owner/repo` blocks of `* title [#N](url)`, as in the notes; titles made inert."""
    note = "\n" + WITHHELD_NOTE.format(count=agenda.withheld) + "\n" if agenda.withheld else ""
    if agenda.empty:
        return NO_ITEMS.format(label=escape.markdown_inline(agenda.label)) + note
    blocks = [_block(escape.markdown_inline(s.title), s.items, True) for s in agenda.sections]
    blocks += [_block(g.repo, g.items, False) for g in agenda.groups]
    return "\n\n".join(blocks) + "\n" + note


def _utc(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _item_json(item: AgendaItem, section: str | None) -> dict[str, object]:
    return {
        "kind": item.kind.value,
        "section": section,
        "repo": item.repo,
        "number": item.number,
        "title": item.title,
        "url": item.url,
        "is_pull_request": item.is_pull_request,
        "labels": list(item.labels),
        "author": item.author,
        "updated_at": _utc(item.updated_at),
        "first_appeared": item.first_appeared.isoformat() if item.first_appeared else None,
    }


def agenda_json(agenda: Agenda) -> str:
    """The agenda as one JSON object, keys in this documented order, items sorted like the groups.

    {"label", "orgs", "repos", "items": [{"kind" ("issue", "pull_request" or "discussion"),
    "section" (its section's title, or null), "repo", "number", "title", "url", "is_pull_request",
    "labels", "author", "updated_at" (ISO 8601 UTC ending in Z, or null), "first_appeared" (the
    date, YYYY-MM-DD, of the earlier meeting whose agenda first had the item, or null)}], "warnings": [...],
    "withheld" (how many items were left out for coming from a less visible repository)}.
    Items come in the agenda's order: the sections', then by repository. Titles are raw:
    escaping is the consumer's business.
    """
    document = {
        "label": agenda.label,
        "orgs": list(agenda.orgs),
        "repos": list(agenda.repos),
        "items": [_item_json(item, agenda.section_of(item)) for item in agenda.items],
        "warnings": list(agenda.warnings),
        "withheld": agenda.withheld,
    }
    return json.dumps(document, indent=2) + "\n"
