"""Check the GitHub double's traffic against GitHub's own OpenAPI description.

``github_openapi.json`` (see ``regen_github_openapi.py``) is OpenAPI 3.0.3,
so schemas are checked with openapi-schema-validator's OAS 3.0 validators
(``nullable``, ``readOnly``/``writeOnly``), formats included.

:func:`validate_exchange` takes one entry of the double's request log and
raises (``jsonschema.ValidationError`` or ``AssertionError``) unless:

* the answer's status is documented for the operation, or is an error whose
  body is GitHub's ``basic-error`` (GitHub documents few of its 401/403s);
* the answer's JSON body fits the documented schema for that status;
* documented response headers present (``Link``, ``X-RateLimit-*``,
  ``Location``) fit their schemas;
* when the double accepted the request (status < 400), its query parameters
  and JSON body fit the operation's parameters and request body.  Requests the
  double refused are not checked: tests send invalid ones on purpose.

Answers decided by an injected fault, and dropped connections, are skipped:
the test wrote those.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import validators
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker

from tests.doubles.http import Exchange


def _nullable_enum(validator: Validator, enums: list[Any], instance: Any, schema: dict[str, Any]) -> Any:
    """``enum`` that lets ``null`` through when the schema is ``nullable``.

    GitHub's description marks e.g. ``state_reason`` as a nullable enum
    without ``null`` among the values, and GitHub does send ``null``.
    """
    if instance is None and schema.get("nullable"):
        return
    yield from validators.Draft4Validator.VALIDATORS["enum"](validator, enums, instance, schema)


def _nullable_one_of(validator: Validator, variants: list[Any], instance: Any, schema: dict[str, Any]) -> Any:
    """``oneOf`` that lets ``null`` through when the schema is ``nullable``.

    GitHub's description marks a commit's ``author`` and ``committer`` (the accounts GitHub links the
    git identities to) as a nullable ``oneOf`` without a ``type``, which OpenAPI 3.0.3 leaves
    without effect, and GitHub sends ``null`` when no account has the commit's e-mail address.
    """
    if instance is None and schema.get("nullable"):
        return
    yield from validators.Draft4Validator.VALIDATORS["oneOf"](validator, variants, instance, schema)


NULLABLE = {"enum": _nullable_enum, "oneOf": _nullable_one_of}
ReadValidator = validators.extend(OAS30ReadValidator, NULLABLE)
WriteValidator = validators.extend(OAS30WriteValidator, NULLABLE)
SPEC_PATH = Path(__file__).with_name("github_openapi.json")
JSON = "application/json"
BASIC_ERROR = {"$ref": "#/components/schemas/basic-error"}


@functools.cache
def spec() -> dict[str, Any]:
    """The trimmed GitHub OpenAPI description."""
    return json.loads(SPEC_PATH.read_text())


def resolve(node: Any) -> Any:
    """Follow a top-level ``$ref`` (parameters, responses, headers)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Path templates as regexes, most literal first (``/labels/{name}`` before ``/{path}``)."""
    compiled = []
    for template in spec()["paths"]:
        regex = template.replace("/{path}", "(?:/.*)?")  # a file path, or none (the root)
        regex = regex.replace("/{ref}", "/.+")  # a git reference such as heads/feature/a has slashes
        regex = re.sub(r"\{\w+\}", "[^/]+", regex)
        compiled.append((re.compile(regex), template))
    return sorted(compiled, key=lambda item: -len(re.sub(r"\{\w+\}", "", item[1])))


def find_operation(method: str, path: str, prefix: str = "") -> tuple[str, dict[str, Any]] | None:
    """The (template, operation) serving ``method path``, or ``None``."""
    path = path.removeprefix(prefix) if prefix else path
    for regex, template in _templates():
        if regex.fullmatch(path):
            operation = spec()["paths"][template].get(method.lower())
            return (template, operation) if operation else None
    return None


@functools.cache
def _validator(pointer: str, write: bool) -> Validator:
    """A validator for the schema at a JSON pointer into the description."""
    schema = {"$ref": "#" + pointer, "components": spec()["components"], "paths": spec()["paths"]}
    cls = WriteValidator if write else ReadValidator
    return cls(schema, format_checker=oas30_format_checker)


def _pointer(*parts: str) -> str:
    """A JSON pointer from raw keys (``/`` and ``~`` escaped)."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


GRAPHQL = "/graphql"


def validate_exchange(entry: Exchange, *, prefix: str = "") -> None:
    """Check one logged exchange; see the module docstring for what is checked."""
    if entry.status is None or entry.fault or entry.path.endswith(GRAPHQL):
        return  # GraphQL is described by its schema: tests/doubles/github_graphql.py checks it
    found = find_operation(entry.method, entry.path, prefix)
    if found is None:
        assert entry.status >= 400, f"{entry.method} {entry.path} is no documented operation, yet got {entry.status}"
        _validator(_pointer("components", "schemas", "basic-error"), False).validate(entry.response)
        return
    template, operation = found
    _check_response(entry, template, operation)
    if entry.status < 400:
        _check_query(entry, operation)
        _check_request_body(entry, template, operation)


def _check_response(entry: Exchange, template: str, operation: dict[str, Any]) -> None:
    """Status, body and headers of the answer."""
    status = str(entry.status)
    responses = operation["responses"]
    if entry.status == 304 and entry.method == "GET" and "if-none-match" in entry.headers:
        # GitHub answers any GET conditionally ("Use conditional requests", REST API best practices),
        # though its description lists 304 for few operations: a 304 carries no body.
        assert entry.response is None, f"304 of {template} with a body"
        return
    if status not in responses:
        assert entry.status is not None and entry.status >= 400, f"{status} undocumented for {entry.method} {template}"
        _validator(_pointer("components", "schemas", "basic-error"), False).validate(entry.response)
        return
    response = resolve(responses[status])
    content = response.get("content", {})
    if JSON in content:
        pointer = _response_pointer(template, entry.method, status, responses[status])
        _validator(pointer, False).validate(entry.response)
    else:
        assert entry.response is None or not content, f"{status} of {template} has no documented body"
    _check_headers(entry, response.get("headers", {}))


def _response_pointer(template: str, method: str, status: str, response: dict[str, Any]) -> str:
    """Pointer to the JSON schema of a response (following a response ``$ref``)."""
    if "$ref" in response:
        return response["$ref"].removeprefix("#") + _pointer("content", JSON, "schema")
    return _pointer("paths", template, method.lower(), "responses", status, "content", JSON, "schema")


def _check_headers(entry: Exchange, documented: dict[str, Any]) -> None:
    """Documented response headers that are present must fit their schema."""
    sent = {k.lower(): v for k, v in entry.response_headers.items()}
    for name, header in documented.items():
        header = resolve(header)
        if name.lower() in sent and "schema" in header:
            value = _coerce(sent[name.lower()], header["schema"])
            ReadValidator(header["schema"], format_checker=oas30_format_checker).validate(value)


def _check_query(entry: Exchange, operation: dict[str, Any]) -> None:
    """Query parameters: required ones present, given ones fit their schema."""
    for parameter in map(resolve, operation.get("parameters", [])):
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        if name not in entry.query:
            assert not parameter.get("required"), f"query parameter {name} missing"
            continue
        schema = parameter.get("schema", {})
        WriteValidator(schema, format_checker=oas30_format_checker).validate(_coerce(entry.query[name], schema))


def _check_request_body(entry: Exchange, template: str, operation: dict[str, Any]) -> None:
    """The JSON body of an accepted request fits the documented request body."""
    body = operation.get("requestBody")
    if body is None:
        assert entry.body is None, f"{entry.method} {template} takes no body"
        return
    if entry.body is None:
        assert not body.get("required"), f"{entry.method} {template} needs a body"
        return
    pointer = _pointer("paths", template, entry.method.lower(), "requestBody", "content", JSON, "schema")
    _validator(pointer, True).validate(entry.body)


def _coerce(text: str, schema: dict[str, Any]) -> Any:
    """A query or header string as the type its schema wants."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text
