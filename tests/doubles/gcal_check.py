"""Check Calendar v3 traffic against the discovery document the client ships.

google-api-python-client carries ``calendar.v3.json`` in
``googleapiclient/discovery_cache/documents``; it is the same document the
real client builds its methods from (``static_discovery=True``).  This module
turns the document's ``schemas`` into JSON Schema (draft 2020-12) and checks:

* that a request's HTTP method and path name a method of the document
  (``calendar.events.list``, ``calendar.events.insert``, ...), and that every
  query parameter is one the method (or the API as a whole, like ``alt``)
  declares, with a value of the declared type, enum, range and repetition;
* that a request body fits the method's request schema, with the fields the
  document marks as required *for that method* (``annotations.required``:
  ``start`` and ``end`` for insert and update) required;
* that a response body fits the method's response schema, and that an error
  body has Google's error envelope.

Objects reject properties the document does not declare (stricter than
Google, which ignores some unknown fields) so that a misspelt field fails a
test instead of silently doing nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import googleapiclient
import jsonschema

DISCOVERY_FILE = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "calendar.v3.json"
)

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$"
)


@dataclass(frozen=True)
class Problem:
    """One way a request or response departs from the discovery document.

    ``where`` is ``"path"``, ``"query"``, ``"body"`` or ``"response"``;
    ``location`` names the parameter or the JSON path; ``missing`` is the
    name of a required property that is absent (for Google-like messages).
    """

    where: str
    location: str
    message: str
    missing: str | None = None

    def __str__(self) -> str:
        return f"{self.where} {self.location}: {self.message}"


@functools.cache
def discovery() -> dict:
    """Return the parsed Calendar v3 discovery document (cached)."""
    return json.loads(DISCOVERY_FILE.read_text(encoding="utf-8"))


def parse_rfc3339(value: str, *, require_offset: bool = False) -> dt.datetime | None:
    """Parse an RFC 3339 timestamp; None if it is not one.

    Without an offset the result is naive, and refused when
    ``require_offset`` is set (Calendar's ``timeMin``/``timeMax`` need one).
    """
    match = _RFC3339.match(value)
    if not match or (require_offset and not match.group(8)):
        return None
    try:
        return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_date(value: object) -> bool:
    """True for a full-date string (YYYY-MM-DD); other types pass."""
    if not isinstance(value, str):
        return True
    try:
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None and bool(
            dt.date.fromisoformat(value)
        )
    except ValueError:
        return False


def _is_date_time(value: object) -> bool:
    """True for an RFC 3339 date-time string; other types pass."""
    return not isinstance(value, str) or parse_rfc3339(value) is not None


FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
FORMAT_CHECKER.checks("date")(_is_date)
FORMAT_CHECKER.checks("date-time")(_is_date_time)


# --- discovery schemas -> JSON Schema -------------------------------------------------------


def _nullable(schema: dict) -> dict:
    """Let a PATCH body send null (which clears the field)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _convert(node: dict, method_id: str | None, patch: bool) -> dict:
    """Convert one discovery schema node into JSON Schema."""
    if "$ref" in node:
        out = {"$ref": f"#/$defs/{node['$ref']}"}
        return _nullable(out) if patch else out
    out: dict = {}
    if node.get("type") not in (None, "any"):
        out["type"] = node["type"]
    if "enum" in node:
        out["enum"] = node["enum"]
    if node.get("format") in ("date", "date-time"):
        out["format"] = node["format"]
    elif node.get("format") in ("int64", "uint64") and node.get("type") == "string":
        out["pattern"] = r"^-?\d+$"
    if "items" in node:
        out["items"] = _convert(node["items"], method_id, patch)
    if "properties" in node:
        out.update(_convert_properties(node, method_id, patch))
    if "additionalProperties" in node:
        out["additionalProperties"] = _convert(node["additionalProperties"], method_id, patch)
    return _nullable(out) if patch and out.get("type") else out


def _convert_properties(node: dict, method_id: str | None, patch: bool) -> dict:
    """Properties, method-specific ``required`` and closed objects."""
    props = node["properties"]
    out: dict = {"properties": {k: _convert(v, method_id, patch) for k, v in props.items()}}
    required = [
        name
        for name, spec in props.items()
        if method_id and method_id in spec.get("annotations", {}).get("required", ())
    ]
    if required:
        out["required"] = required
    if "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def _error_item_schema() -> dict:
    """Google's ``error.errors[]`` item: the document's Error plus message/location."""
    item = _convert(discovery()["schemas"]["Error"], None, False)
    item["properties"].update(
        message={"type": "string"},
        location={"type": "string"},
        locationType={"type": "string"},
    )
    item["required"] = ["domain", "reason", "message"]
    return item


def _error_envelope_schema() -> dict:
    """The JSON error body Google's APIs answer with."""
    error = {
        "type": "object",
        "required": ["code", "message"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "integer"},
            "message": {"type": "string"},
            "status": {"type": "string"},
            "errors": {"type": "array", "minItems": 1, "items": _error_item_schema()},
            "details": {"type": "array", "items": {"type": "object", "required": ["@type"]}},
        },
    }
    return {"type": "object", "required": ["error"], "additionalProperties": False,
            "properties": {"error": error}}


@functools.cache
def json_schema(name: str, method_id: str | None = None) -> dict:
    """JSON Schema for discovery schema ``name`` as ``method_id`` requires it.

    ``name`` is a discovery schema id (``Event``, ``Events``, ``Error``...)
    or ``"ErrorResponse"`` for Google's error envelope.  For a ``*.patch``
    method every field may be null and none is required.
    """
    if name == "ErrorResponse":
        return _error_envelope_schema()
    patch = bool(method_id and method_id.endswith(".patch"))
    defs = {key: _convert(spec, method_id, patch) for key, spec in discovery()["schemas"].items()}
    if name not in defs:
        raise KeyError(f"no schema {name!r} in the Calendar v3 discovery document")
    return {"$defs": defs, "$ref": f"#/$defs/{name}"}


@functools.cache
def _validator(name: str, method_id: str | None) -> jsonschema.Draft202012Validator:
    """A cached validator for :func:`json_schema`."""
    return jsonschema.Draft202012Validator(json_schema(name, method_id), format_checker=FORMAT_CHECKER)


def validate(name: str, body: object, method_id: str | None = None, *, where: str = "body") -> list[Problem]:
    """Check ``body`` against schema ``name`` (see :func:`json_schema`)."""
    errors = sorted(_validator(name, method_id).iter_errors(body), key=lambda e: list(e.path))
    return [_problem(where, _leaf(error)) for error in errors]


def _leaf(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The deepest error below an ``anyOf`` (skipping the PATCH null branch)."""
    while error.context:
        candidates = [e for e in error.context if e.validator_value != "null"] or error.context
        error = max(candidates, key=lambda e: len(e.absolute_path))
    return error


def _problem(where: str, error: jsonschema.ValidationError) -> Problem:
    """Describe a jsonschema error as a :class:`Problem`."""
    steps = error.absolute_path
    location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in steps) or "."
    missing = None
    if error.validator == "required":
        missing = next((n for n in error.validator_value if n not in error.instance), None)
        location = f"{location.rstrip('.')}.{missing}" if missing else location
    return Problem(where, location, error.message, missing)


def assert_valid(name: str, body: object, method_id: str | None = None) -> None:
    """Raise AssertionError listing every problem of ``body`` against ``name``."""
    problems = validate(name, body, method_id)
    if problems:
        raise AssertionError(f"{name} does not fit the discovery document:\n"
                             + "\n".join(map(str, problems)))


# --- methods: HTTP method + path + query ------------------------------------------------------


@dataclass(frozen=True)
class ApiMethod:
    """One method of the discovery document, with a matcher for its path."""

    id: str
    http_method: str
    path: str
    spec: dict = field(repr=False, compare=False)
    pattern: re.Pattern = field(repr=False, compare=False)

    @property
    def scopes(self) -> frozenset[str]:
        """OAuth scopes any one of which allows calling the method."""
        return frozenset(self.spec.get("scopes", ()))

    @property
    def request_schema(self) -> str | None:
        """Discovery schema id of the request body, if the method takes one."""
        return self.spec.get("request", {}).get("$ref")

    @property
    def response_schema(self) -> str | None:
        """Discovery schema id of the response body, if the method returns one."""
        return self.spec.get("response", {}).get("$ref")

    def match(self, http_method: str, relative_path: str) -> dict[str, str] | None:
        """Path parameters if the request is a call of this method, else None."""
        if http_method.upper() != self.http_method:
            return None
        found = self.pattern.fullmatch(relative_path)
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


def _path_pattern(path: str) -> re.Pattern:
    """Regex for a discovery path template (``{x}`` one segment, ``{+x}`` any)."""
    parts = re.split(r"(\{\+?\w+\})", path)
    regex = "".join(
        f"(?P<{p.strip('{}+')}>{'.+' if p.startswith('{+') else '[^/]+'})" if p.startswith("{")
        else re.escape(p)
        for p in parts
    )
    return re.compile(regex)


def _walk_methods(resource: dict):
    """Yield every method description of a resource and its sub-resources."""
    yield from resource.get("methods", {}).values()
    for child in resource.get("resources", {}).values():
        yield from _walk_methods(child)


@functools.cache
def api_methods() -> tuple[ApiMethod, ...]:
    """All methods, the ones with more literal path text first."""
    methods = [
        ApiMethod(spec["id"], spec["httpMethod"], spec["path"], spec, _path_pattern(spec["path"]))
        for spec in _walk_methods(discovery())
    ]
    return tuple(sorted(methods, key=lambda m: -len(re.sub(r"\{[^}]*\}", "", m.path))))


def find_method(http_method: str, relative_path: str) -> tuple[ApiMethod, dict[str, str]] | None:
    """The method a request calls and its decoded path parameters, or None.

    ``relative_path`` is the URL path after the API base (``/calendar/v3/``).
    """
    for method in api_methods():
        params = method.match(http_method, relative_path)
        if params is not None:
            return method, params
    return None


def method_by_id(method_id: str) -> ApiMethod:
    """Look a method up by its id, e.g. ``calendar.events.list``."""
    return next(m for m in api_methods() if m.id == method_id)


def _value_problem(spec: dict, value: str) -> str | None:
    """Why one query value does not fit its parameter description, or None."""
    kind = spec.get("type", "string")
    if kind == "boolean" and value not in ("true", "false"):
        return f"{value!r} is not a boolean"
    if kind == "integer":
        return _integer_problem(spec, value)
    if "enum" in spec and value not in spec["enum"]:
        return f"{value!r} is not one of {spec['enum']}"
    if spec.get("format") == "date-time" and parse_rfc3339(value, require_offset=True) is None:
        return f"{value!r} is not an RFC 3339 timestamp with a time zone offset"
    return None


def _integer_problem(spec: dict, value: str) -> str | None:
    """Why ``value`` is not an integer within the declared range, or None."""
    if not re.fullmatch(r"-?\d+", value):
        return f"{value!r} is not an integer"
    number = int(value)
    if "minimum" in spec and number < int(spec["minimum"]):
        return f"{number} is below the minimum {spec['minimum']}"
    if "maximum" in spec and number > int(spec["maximum"]):
        return f"{number} is above the maximum {spec['maximum']}"
    return None


def check_query(method: ApiMethod, query: dict[str, list[str]]) -> list[Problem]:
    """Check query parameters against the method's and the API's parameters."""
    known = {**discovery()["parameters"], **method.spec.get("parameters", {})}
    problems = []
    for name, values in query.items():
        spec = known.get(name)
        if spec is None or spec.get("location") != "query":
            problems.append(Problem("query", name, f"{method.id} has no query parameter {name!r}"))
            continue
        if len(values) > 1 and not spec.get("repeated"):
            problems.append(Problem("query", name, "given more than once but not repeated"))
        problems += [Problem("query", name, msg) for v in values if (msg := _value_problem(spec, v))]
    return problems


def check_request(
    http_method: str, relative_path: str, query: dict[str, list[str]], body: object
) -> tuple[ApiMethod | None, dict[str, str], list[Problem]]:
    """Identify the method of a request and check its query and body.

    Returns the method (None if the path names none), its path parameters and
    the problems found.  ``body`` is the decoded JSON body or None.
    """
    found = find_method(http_method, relative_path)
    if found is None:
        return None, {}, [Problem("path", f"{http_method} {relative_path}", "no such method in calendar v3")]
    method, params = found
    problems = check_query(method, query)
    if method.request_schema:
        problems += validate(method.request_schema, body, method.id)
    elif body is not None:
        problems.append(Problem("body", ".", f"{method.id} takes no request body"))
    return method, params, problems


NOT_MODIFIED = 304


def check_response(method: ApiMethod | None, status: int, body: object) -> list[Problem]:
    """Check a response: the method's schema on success, the error envelope else, no body on a 304."""
    if status >= 400:
        return validate("ErrorResponse", body, where="response")
    if status == NOT_MODIFIED:
        return [] if body in (None, b"", "") else [Problem("response", ".", "a 304 has no body (RFC 9110 15.4.5)")]
    if method is None:
        return []
    if method.response_schema:
        return validate(method.response_schema, body, where="response")
    if body not in (None, b"", ""):
        return [Problem("response", ".", f"{method.id} answers with an empty body")]
    return []


def _declares_etag(method: ApiMethod) -> bool:
    """Whether the method's response schema declares an ``etag`` (Event: "ETag of the resource",
    Events: "ETag of the collection"): the resources Google retrieves conditionally."""
    schema = discovery()["schemas"].get(method.response_schema or "", {})
    return "etag" in schema.get("properties", {})


def check_validators(method: ApiMethod, request_headers: dict[str, str], status: int,
                     response_headers: dict[str, str], body: object) -> list[Problem]:
    """Conditional retrieval: a 200 to a GET of a resource the document gives an etag carries it (in the
    body, and the same as the ETag header); a 304 answers only a GET with If-None-Match, with its ETag."""
    headers = {k.lower(): v for k, v in response_headers.items()}
    problems = []
    if status == NOT_MODIFIED:
        if method.http_method != "GET" or "if-none-match" not in request_headers:
            problems.append(Problem("response", ".", "304 without a conditional GET (If-None-Match)"))
        if not headers.get("etag"):
            problems.append(Problem("response", "ETag", "a 304 carries the ETag a 200 would"))
    elif status == 200 and method.http_method == "GET" and _declares_etag(method):
        etag = body.get("etag") if isinstance(body, dict) else None
        if not etag:
            problems.append(Problem("response", ".etag", f"{method.response_schema} declares etag; none sent"))
        elif headers.get("etag") != etag:
            problems.append(Problem("response", "ETag", "the ETag header differs from the body's etag"))
    return problems
