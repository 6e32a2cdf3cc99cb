"""Regenerate ``github_openapi.json``: GitHub's OpenAPI description, trimmed.

Origin: GitHub's official REST API description (github/rest-api-description,
MIT licence) as shipped, with Octokit's extensions, by the npm package
``@octokit/openapi`` (MIT licence) in ``generated/api.github.com.json``.

The trimmed file keeps only the operations the GitHub double serves (see
``OPERATIONS``), without examples, plus every component those operations
reach through ``$ref``.  It is what ``openapi_check`` validates the double's
requests and responses against.

Usage::

    python tests/doubles/regen_github_openapi.py            # npm pack PINNED
    python tests/doubles/regen_github_openapi.py --version 23.0.2
    python tests/doubles/regen_github_openapi.py --source api.github.com.json

``npm`` must be on PATH unless ``--source`` is given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi"
PINNED = "23.0.2"
MEMBER = "package/generated/api.github.com.json"
OUTPUT = Path(__file__).with_name("github_openapi.json")
ORIGIN = (
    "Trimmed by tests/doubles/regen_github_openapi.py from generated/api.github.com.json of the npm package "
    "@octokit/openapi (MIT licence, Copyright (c) 2020 Octokit contributors), which carries GitHub's "
    "description from https://github.com/github/rest-api-description (MIT licence, Copyright GitHub). "
    "See tests/doubles/README.md."
)

#: (path, method) of every operation the double implements.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("/search/issues", "get"),
    ("/user", "get"),
    ("/rate_limit", "get"),
    ("/repos/{owner}/{repo}", "get"),
    ("/orgs/{org}/repos", "get"),
    ("/users/{username}/repos", "get"),
    ("/repos/{owner}/{repo}/issues", "get"),
    ("/repos/{owner}/{repo}/issues", "post"),
    ("/repos/{owner}/{repo}/issues/{issue_number}", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}", "patch"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "post"),
    ("/repos/{owner}/{repo}/issues/comments/{comment_id}", "patch"),
    ("/repos/{owner}/{repo}/issues/comments/{comment_id}", "delete"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels", "post"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels", "put"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", "delete"),
    ("/repos/{owner}/{repo}/labels", "get"),
    ("/repos/{owner}/{repo}/labels", "post"),
    ("/repos/{owner}/{repo}/labels/{name}", "get"),
    ("/repos/{owner}/{repo}/contents/{path}", "get"),
    ("/repos/{owner}/{repo}/contents/{path}", "put"),
    ("/repos/{owner}/{repo}/contents/{path}", "delete"),
    ("/repos/{owner}/{repo}/commits", "get"),
    ("/repos/{owner}/{repo}/git/ref/{ref}", "get"),
    ("/repos/{owner}/{repo}/git/refs", "post"),
    ("/repos/{owner}/{repo}/pulls", "get"),
    ("/repos/{owner}/{repo}/pulls", "post"),
    ("/repos/{owner}/{repo}/pulls/{pull_number}", "get"),
    ("/repos/{owner}/{repo}/pulls/{pull_number}", "patch"),
    ("/app/installations", "get"),
    ("/app/installations/{installation_id}/access_tokens", "post"),
    ("/repos/{owner}/{repo}/installation", "get"),
    ("/orgs/{org}/installation", "get"),
)

#: Keys dropped everywhere: documentation only, never used to validate.
DROPPED_KEYS = frozenset({"examples", "example", "x-github", "x-octokit", "x-github-breaking-changes"})
ISSUE_LABELS = "/repos/{owner}/{repo}/issues/{issue_number}/labels"
NAMES = {"type": "array", "items": {"type": "string"}}
NAMED = {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}


def fetch_description(version: str) -> dict[str, Any]:
    """``npm pack`` the package into a temporary folder and load the JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = f"{PACKAGE}@{version}"
        out = subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True, capture_output=True, text=True)
        tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as tar:
            member = tar.extractfile(MEMBER)
            assert member is not None, f"{MEMBER} missing from {spec}"
            return json.load(member)


def strip(node: Any) -> Any:
    """Copy ``node`` without the documentation-only keys."""
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROPPED_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def refs_in(node: Any) -> set[str]:
    """Every ``$ref`` string found anywhere under ``node``."""
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs_in(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs_in(v) for v in node))
    return set()


def resolve(doc: dict[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer such as ``#/components/schemas/issue``."""
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def trim(doc: dict[str, Any]) -> dict[str, Any]:
    """Keep ``OPERATIONS`` and the components they reach, then apply ``FIXES``."""
    paths: dict[str, dict[str, Any]] = {}
    for path, method in OPERATIONS:
        paths.setdefault(path, {})[method] = strip(doc["paths"][path][method])
    components: dict[str, dict[str, Any]] = {}
    pending = refs_in(paths)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = strip(resolve(doc, ref))
        components.setdefault(kind, {})[name] = node
        pending |= refs_in(node) - seen
    info = dict(doc["info"], title="GitHub REST API (trimmed for the test double)")
    info["x-origin"] = ORIGIN
    trimmed = {
        "openapi": doc["openapi"],
        "info": info,
        "servers": doc.get("servers", []),
        "paths": paths,
        "components": components,
    }
    for fix in FIXES:
        fix(trimmed)
    return trimmed


def json_schema(operation: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    """The JSON schema of an operation's request body, or of one of its answers."""
    part = operation["requestBody"] if status is None else operation["responses"][status]
    return part["content"]["application/json"]["schema"]


# Fixes: where GitHub's description disagrees with its own prose or with what
# GitHub sends, say what GitHub does.  Each one is small and explains itself.


def relax_label_bodies(spec: dict[str, Any]) -> None:
    """Make the add/set-labels request schemas say what their prose says.

    GitHub's description of ``POST``/``PUT .../issues/{n}/labels`` only has
    ``{"labels": [...]}`` objects in its ``oneOf``, while its text says both
    also take a bare array of names (PyGithub sends that), that ``PUT`` also
    takes a single name or ``{name}`` objects, and that an empty array clears
    the labels.  Turn the ``oneOf`` into an ``anyOf`` with those forms.
    """
    for method, extra in (("post", [dict(NAMES, minItems=1)]), ("put", [NAMES, NAMED, {"type": "string"}])):
        schema = json_schema(spec["paths"][ISSUE_LABELS][method])
        variants = schema.pop("oneOf")
        if method == "put":
            for variant in variants:
                variant["properties"]["labels"].pop("minItems", None)
        schema["anyOf"] = variants + extra


def relax_error_unions(spec: dict[str, Any]) -> None:
    """Turn ``oneOf`` error bodies into ``anyOf``.

    Some error answers (e.g. the 409 of ``PUT /contents``) are a ``oneOf`` of
    ``basic-error`` and another error schema, neither with required fields,
    so every body matches both and a strict ``oneOf`` rejects them all.
    """
    for operations in spec["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if status[0] in "45" and "oneOf" in schema:
                    schema["anyOf"] = schema.pop("oneOf")


def drop_contents_discriminator(spec: dict[str, Any]) -> None:
    """Drop the discriminator of ``GET /contents``'s JSON answer.

    It dispatches on the ``type`` property, but one of its branches (a
    directory) is an array, which has no properties: a validator that honours
    discriminators then rejects every directory listing.  The ``oneOf`` stays.
    """
    json_schema(spec["paths"]["/repos/{owner}/{repo}/contents/{path}"]["get"], "200").pop("discriminator")


def reference_installation(spec: dict[str, Any]) -> None:
    """List installations with the ``installation`` component.

    The package inlines that schema for ``GET /app/installations`` and, in
    doing so, turns ``account``'s ``anyOf`` (a user or an enterprise) into an
    ``allOf`` no account can satisfy.
    """
    json_schema(spec["paths"]["/app/installations"]["get"], "200")["items"] = {
        "$ref": "#/components/schemas/installation"
    }


def nullable_search_body(spec: dict[str, Any]) -> None:
    """Let search result items have ``"body": null``, as issues do.

    GitHub sends ``null`` for an issue without a description, in search
    results too, while the description types it as a plain string there.
    """
    spec["components"]["schemas"]["issue-search-result-item"]["properties"]["body"]["nullable"] = True


FIXES = (
    relax_label_bodies,
    relax_error_unions,
    drop_contents_discriminator,
    reference_installation,
    nullable_search_body,
)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point; writes ``OUTPUT``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=PINNED, help=f"{PACKAGE} version (default {PINNED})")
    parser.add_argument("--source", type=Path, help="an api.github.com.json already on disk")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    doc = json.loads(args.source.read_text()) if args.source else fetch_description(args.version)
    trimmed = trim(doc)
    args.output.write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.output} ({len(trimmed['paths'])} paths)")


if __name__ == "__main__":
    main()
