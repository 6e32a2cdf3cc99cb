"""The GraphQL endpoint of the GitHub double, executed by graphql-core against GitHub's published schema.

``POST /graphql`` (GitHub Enterprise Server: ``/api/graphql``) parses, validates
and runs each query against ``github_graphql_schema.graphql.gz`` (see
README.md), so a query GitHub would reject is rejected here too, in GitHub's
shape: HTTP 200 with an ``errors`` array.  What the double serves:

* ``search(type: DISCUSSION, query:, first:, after:)`` over the discussions of
  the repositories the caller can read, with the issue search's ``q`` syntax
  (:mod:`tests.doubles.github_search`, plus ``sort:created-asc|desc``),
  opaque cursors, and GitHub's 1,000-result cap (``discussionCount`` still
  tells the total); other search types answer empty;
* ``rateLimit { cost limit remaining used resetAt nodeCount }``: each query
  costs what GitHub's documented formula says and is spent from a
  ``graphql`` bucket of 5,000 points an hour; an empty bucket answers
  ``RATE_LIMITED``;
* errors with GitHub's ``type`` field: ``FORBIDDEN`` per discussion for a
  token added with ``discussions=False``, ``INVALID_CURSOR_ARGUMENTS``;
  a request without credentials is a 401, as on GitHub;
* ``GitHubDouble(discussion_search=False)`` answers like a GitHub Enterprise
  Server whose schema has no ``DISCUSSION`` search type (a validation error).
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphql
from graphql import language as ast

from tests.doubles import github_search as search
from tests.doubles.github_auth import Principal, RateLimits
from tests.doubles.github_state import ApiError, Discussion, GitHubState, Repo
from tests.doubles.http import Request, Response

SCHEMA_FILE = Path(__file__).with_name("github_graphql_schema.graphql.gz")
GRAPHQL_DOCS = "https://docs.github.com/graphql"
AUTH_REQUIRED = "This endpoint requires you to be authenticated."
NO_QUERY = "A query attribute must be specified and must be a string."
SEARCH_CAP = 1000
POINTS_PER_HOUR = 5000
FORBIDDEN_MESSAGE = "Resource not accessible by {kind}"
BAD_CURSOR = "`{cursor}` does not appear to be a valid cursor."
NO_PAGE_SIZE = "You must provide a `first` or `last` value to properly paginate the `{field}` connection."
PAGE_TOO_BIG = "Requesting {count} records on the `{field}` connection exceeds the `first` limit of 100 records."
REPO_NOT_FOUND = "Could not resolve to a Repository with the name '{owner}/{name}'."


@functools.cache
def published_schema(discussion_search: bool = True) -> graphql.GraphQLSchema:
    """GitHub's schema, as published (optionally without the DISCUSSION search type).

    The published SDL defines a few fields twice and deprecates some interface
    fields only on their implementations, which graphql-core's SDL checks
    refuse; GitHub serves it as it is, so it is loaded without those checks.
    """
    document = graphql.parse(gzip.decompress(SCHEMA_FILE.read_bytes()).decode("utf-8"))
    if not discussion_search:
        document = ast.DocumentNode(definitions=tuple(_without_discussion(d) for d in document.definitions))
    return graphql.build_ast_schema(document, assume_valid_sdl=True, assume_valid=True)


def _without_discussion(definition: ast.DefinitionNode) -> ast.DefinitionNode:
    if not isinstance(definition, ast.EnumTypeDefinitionNode) or definition.name.value != "SearchType":
        return definition
    values = tuple(v for v in definition.values if v.name.value != "DISCUSSION")
    return ast.EnumTypeDefinitionNode(name=definition.name, description=definition.description,
                                      directives=definition.directives, values=values)


def query_errors(query: str, schema: graphql.GraphQLSchema | None = None) -> list[dict[str, Any]]:
    """Why GitHub's schema rejects a query (empty when it is valid), in GitHub's error shape."""
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError as error:
        return [_formatted(error)]
    return [_formatted(error) for error in graphql.validate(schema or published_schema(), document)]


class TypedError(graphql.GraphQLError):
    """An execution error carrying GitHub's ``type`` field (FORBIDDEN, NOT_FOUND, ...)."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message, extensions={"type": error_type})


def _formatted(error: graphql.GraphQLError) -> dict[str, Any]:
    """GitHub's form: ``type`` at the top for execution errors; ``extensions.code`` for validation ones."""
    found = dict(error.formatted)
    extensions = found.pop("extensions", None) or {}
    if "type" in extensions:
        return {"type": extensions["type"], **found}
    if "path" not in found:
        found["extensions"] = {"code": "undefinedField" if "Cannot query field" in error.message else "invalid"}
    return found


def is_graphql_query(body: Any) -> bool:
    """Whether a request body holds only query operations (no mutation): a read."""
    try:
        document = graphql.parse(body["query"])
    except (graphql.GraphQLError, KeyError, TypeError):
        return False
    operations = [d for d in document.definitions if isinstance(d, ast.OperationDefinitionNode)]
    return bool(operations) and all(op.operation == ast.OperationType.QUERY for op in operations)


def cursor(offset: int) -> str:
    """GitHub-like opaque cursor for the item at ``offset`` (0-based) of a result."""
    return base64.b64encode(f"cursor:{offset + 1}".encode()).decode()


def offset_after(value: str | None) -> int:
    """How many results lie before the page after ``value``."""
    if value is None:
        return 0
    try:
        kind, _, number = base64.b64decode(value, validate=True).decode().partition(":")
        if kind == "cursor" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise TypedError(BAD_CURSOR.format(cursor=value), "INVALID_CURSOR_ARGUMENTS")


def query_cost(document: ast.DocumentNode, variables: dict[str, Any]) -> tuple[int, int]:
    """GitHub's cost of a query (requests for each connection / 100, at least 1) and its node count."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, ast.FragmentDefinitionNode)}
    totals = [0, 0]  # requests, nodes

    def walk(selection_set: ast.SelectionSetNode | None, multiplier: int) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, ast.FragmentSpreadNode):
                walk(fragments[selection.name.value].selection_set, multiplier)
            elif isinstance(selection, ast.InlineFragmentNode):
                walk(selection.selection_set, multiplier)
            elif isinstance(selection, ast.FieldNode):
                size = _page_size(selection, variables)
                if size is not None:
                    totals[0] += multiplier
                    totals[1] += multiplier * size
                walk(selection.selection_set, multiplier * (size or 1))

    for definition in document.definitions:
        if isinstance(definition, ast.OperationDefinitionNode):
            walk(definition.selection_set, 1)
    return max(1, round(totals[0] / 100)), totals[1]


def _page_size(field: ast.FieldNode, variables: dict[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            value = graphql.value_from_ast_untyped(argument.value, variables)
            return int(value) if isinstance(value, int) else None
    return None


def iso(when: Any) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


class GraphQLEndpoint:
    """``POST /graphql`` for :class:`tests.doubles.github.GitHubDouble`."""

    state: GitHubState
    rate_limits: RateLimits
    discussion_search: bool

    def _graphql(self, request: Request, principal: Principal) -> Response:
        """Authenticate, parse, validate, charge the cost, execute."""
        if principal.anonymous:
            raise ApiError(401, AUTH_REQUIRED, docs=GRAPHQL_DOCS)
        body = request.body if isinstance(request.body, dict) else {}
        if not isinstance(body.get("query"), str):
            return Response(200, {"errors": [{"message": NO_QUERY}]})
        schema = published_schema(self.discussion_search)
        errors = query_errors(body["query"], schema)
        if errors:
            return Response(200, {"errors": errors})
        document = graphql.parse(body["query"])
        variables = body.get("variables") or {}
        cost, nodes = query_cost(document, variables if isinstance(variables, dict) else {})
        bucket = self.rate_limits.bucket(principal, "graphql")
        if bucket.remaining < cost:
            return Response(200, {"errors": [{"type": "RATE_LIMITED", "message": _exceeded(principal)}]})
        bucket.used += cost
        rate = {"cost": cost, "limit": bucket.limit, "remaining": bucket.remaining, "used": bucket.used,
                "resetAt": iso(_utc(bucket.reset_at)), "nodeCount": nodes}
        root = {"search": self._search_resolver(principal), "rateLimit": lambda info, **_: rate,
                "repository": self._repository_resolver(principal)}
        result = graphql.execute(schema, document, root_value=root, variable_values=variables)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [_formatted(error) for error in result.errors]
        return Response(200, answer)

    def _search_resolver(self, principal: Principal) -> Callable[..., dict[str, Any]]:
        def resolve(info: Any, type: Any, query: str, first: int | None = None, after: str | None = None,  # noqa: A002
                    **_: Any) -> dict[str, Any]:
            if first is None:
                raise graphql.GraphQLError(NO_PAGE_SIZE.format(field="search"))
            if not 1 <= first <= 100:
                raise graphql.GraphQLError(PAGE_TOO_BIG.format(count=first, field="search"))
            found = self._discussions(query, principal) if _name(type) == "DISCUSSION" else []
            start = offset_after(after)
            reachable = min(len(found), SEARCH_CAP)
            page = found[start : min(start + first, reachable)]
            nodes = [_node(repo, d, principal) for repo, d in page]
            end = start + len(page)
            return {
                "discussionCount": len(found), "issueCount": 0, "repositoryCount": 0, "userCount": 0,
                "wikiCount": 0, "codeCount": 0,
                "nodes": nodes,
                "edges": [{"cursor": cursor(start + i), "node": n} for i, n in enumerate(nodes)],
                "pageInfo": {"hasNextPage": end < reachable, "hasPreviousPage": start > 0,
                             "startCursor": cursor(start) if page else None,
                             "endCursor": cursor(end - 1) if page else None},
            }

        return resolve

    def _repository_resolver(self, principal: Principal) -> Callable[..., dict[str, Any]]:
        """``repository(owner:, name:)``: one the token can read, or GitHub's NOT_FOUND error for that field
        (the rest of the answer is still given, as GitHub gives it)."""
        def resolve(info: Any, owner: str, name: str, **_: Any) -> dict[str, Any]:
            repo = self.state.find_repo(f"{owner}/{name}")
            if repo is None or not principal.can_read(repo):
                raise TypedError(REPO_NOT_FOUND.format(owner=owner, name=name), "NOT_FOUND")
            return {"__typename": "Repository", "nameWithOwner": repo.full_name,
                    "visibility": "PRIVATE" if repo.private else "PUBLIC", "isPrivate": repo.private}

        return resolve

    def _discussions(self, query: str, principal: Principal) -> list[tuple[Repo, Discussion]]:
        """Matching discussions in the readable repositories, ordered as ``sort:`` asks (default: newest first)."""
        terms = list(search.tokenize(query))
        found = [
            (repo, discussion)
            for repo in self.state.repos.values()
            if principal.can_read(repo) and search.in_scope(terms, repo)
            for discussion in repo.discussions.values()
            if search.matches(terms, discussion)  # type: ignore[arg-type]
        ]
        oldest_first = any(t.key == "sort" and t.value.lower() == "created-asc" for t in terms)
        found.sort(key=lambda pair: (pair[1].created_at, pair[1].id), reverse=not oldest_first)
        return found


def _name(value: Any) -> str:
    return str(getattr(value, "name", value))


def _utc(epoch: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)


def _exceeded(principal: Principal) -> str:
    from tests.doubles.github_auth import exceeded_message

    return exceeded_message(principal)


class _Forbidden(dict):
    """A discussion the token may not read: every field it is asked for is a FORBIDDEN error."""

    def __init__(self, kind: str) -> None:
        super().__init__(__typename="Discussion")
        self.kind = kind

    def get(self, key: str, default: Any = None) -> Any:
        if key == "__typename":
            return "Discussion"

        def refuse(info: Any, **_: Any) -> None:
            raise TypedError(FORBIDDEN_MESSAGE.format(kind=self.kind), "FORBIDDEN")

        return refuse


def _node(repo: Repo, discussion: Discussion, principal: Principal) -> dict[str, Any]:
    """A discussion as the schema's ``Discussion`` object (the fields the bot may ask for, and a few more)."""
    token = principal.token
    if token is not None and not getattr(token, "discussions", True):
        return _Forbidden(token.kind)
    labels = [{"__typename": "Label", "name": name} for name in discussion.labels]

    def label_page(info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
        if first is None:
            raise graphql.GraphQLError(NO_PAGE_SIZE.format(field="labels"))
        start = offset_after(after)
        page = labels[start : start + first]
        return {"totalCount": len(labels), "nodes": page,
                "pageInfo": {"hasNextPage": start + len(page) < len(labels), "hasPreviousPage": start > 0,
                             "startCursor": cursor(start) if page else None,
                             "endCursor": cursor(start + len(page) - 1) if page else None}}

    return {
        "__typename": "Discussion",
        "id": f"D_kw{discussion.id}",
        "number": discussion.number,
        "title": discussion.title,
        "body": discussion.body,
        "url": f"https://github.com/{repo.full_name}/discussions/{discussion.number}",
        "closed": discussion.state == "closed",
        "closedAt": iso(discussion.closed_at),
        "createdAt": iso(discussion.created_at),
        "updatedAt": iso(discussion.updated_at),
        "author": {"__typename": "User", "login": discussion.user},
        "labels": label_page,
        "repository": {
            "__typename": "Repository",
            "nameWithOwner": repo.full_name,
            "visibility": "PRIVATE" if repo.private else "PUBLIC",
            "isPrivate": repo.private,
        },
    }

