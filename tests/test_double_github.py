"""The GitHub double, driven by the real PyGithub over HTTP.

Every exchange a test causes is checked against GitHub's OpenAPI description
when the test ends (see the ``gh`` fixture), so these tests also pin the
double's JSON shapes, statuses and headers to GitHub's.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import github
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github.GithubRetry import GithubRetry
from jsonschema import ValidationError

from tests.doubles.github import ALL_ROUTES, DEFAULT_TOKEN, GitHubDouble, running_github
from tests.doubles.http import Exchange
from tests.doubles.openapi_check import find_operation, validate_exchange

REPO = "wg/meetings"
READ_TOKEN = "ghp_read000000000000000000000000000000000"
APP_ID = 4242
INSTALLATION = 77


# ----------------------------------------------------------------- fixtures
def _validated(double: GitHubDouble) -> Iterator[GitHubDouble]:
    """Start a double, hand it over, then check all its traffic against the API description."""
    with double:
        double.add_repo(REPO)
        yield double
        for entry in double.requests:
            validate_exchange(entry, prefix=double.prefix)


@pytest.fixture
def gh() -> Iterator[GitHubDouble]:
    """A running double with an empty public repository ``wg/meetings``."""
    yield from _validated(GitHubDouble(tokens={DEFAULT_TOKEN: "write", READ_TOKEN: "read"}))


@pytest.fixture
def ghes() -> Iterator[GitHubDouble]:
    """The same, served under ``/api/v3`` as GitHub Enterprise Server does."""
    yield from _validated(GitHubDouble(prefix="/api/v3"))


def client(double: GitHubDouble, token: str | None = DEFAULT_TOKEN, **kw: Any) -> github.Github:
    """A PyGithub client of the double, without throttling or (by default) retries."""
    auth = github.Auth.Token(token) if token else None
    options: dict[str, Any] = {"retry": None, "seconds_between_requests": None, "seconds_between_writes": None}
    return github.Github(base_url=double.url, auth=auth, **(options | kw))


@pytest.fixture
def api(gh: GitHubDouble) -> github.Github:
    """PyGithub with the default read-write token."""
    return client(gh)


def raw(
    double: GitHubDouble, method: str, path: str, token: str | None = DEFAULT_TOKEN, **kw: Any
) -> requests.Response:
    """A plain HTTP request to the double, for checking headers and odd bodies."""
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(method, double.url + path, headers=headers, timeout=5, **kw)


@pytest.fixture(scope="module")
def app_keys() -> tuple[str, str]:
    """A fresh RSA key pair (private, public) in PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


# ----------------------------------------------------------------- repositories and users
def test_repository_shows_default_branch_visibility_and_token_permissions(gh: GitHubDouble) -> None:
    gh.add_repo("wg/secret", private=True, default_branch="trunk")
    repo = client(gh).get_repo("wg/secret")
    assert (repo.default_branch, repo.private, repo.permissions.push, repo.permissions.admin) == (
        "trunk",
        True,
        True,
        False,
    )
    assert repo.html_url == "https://github.com/wg/secret"
    assert client(gh, READ_TOKEN).get_repo(REPO).permissions.push is False


def test_anonymous_callers_do_not_see_private_repositories(gh: GitHubDouble) -> None:
    gh.add_repo("wg/secret", private=True)
    anonymous = client(gh, None)
    assert anonymous.get_repo(REPO).full_name == REPO
    with pytest.raises(github.UnknownObjectException):
        anonymous.get_repo("wg/secret")


def test_tokens_limited_to_some_repositories_see_only_those_private_ones(gh: GitHubDouble) -> None:
    gh.add_repo("wg/secret", private=True)
    gh.add_repo("wg/other", private=True)
    gh.add_token("ghp_scoped", repos=["wg/secret"])
    scoped = client(gh, "ghp_scoped")
    assert scoped.get_repo("wg/secret").private
    with pytest.raises(github.UnknownObjectException):
        scoped.get_repo("wg/other")


def test_org_repositories_are_listed_over_pages(gh: GitHubDouble) -> None:
    for n in range(35):
        gh.add_repo(f"wg/r{n:02}")
    gh.add_repo("wg/secret", private=True)
    names = [r.name for r in client(gh, per_page=10, lazy=True).get_organization("wg").get_repos()]
    assert len(names) == 37 and names[0] == "meetings"
    assert gh.count("GET", "/orgs/wg/repos") == 4
    assert "secret" not in [r["name"] for r in raw(gh, "GET", "/orgs/wg/repos?per_page=100", token=None).json()]
    assert raw(gh, "GET", "/users/nobody/repos").status_code == 404


def test_authenticated_user(api: github.Github) -> None:
    me = api.get_user()
    assert me.login == "meeting-bot"


# ----------------------------------------------------------------- errors PyGithub must map
def test_bad_credentials(gh: GitHubDouble) -> None:
    with pytest.raises(github.BadCredentialsException) as caught:
        client(gh, "ghp_wrong").get_repo(REPO)
    assert caught.value.status == 401


def test_missing_issue_and_repository_are_404(api: github.Github) -> None:
    with pytest.raises(github.UnknownObjectException):
        api.get_repo("wg/nope")
    with pytest.raises(github.UnknownObjectException):
        api.get_repo(REPO).get_issue(99)


def test_unknown_route_is_githubs_404(gh: GitHubDouble) -> None:
    answer = raw(gh, "GET", "/repos/wg/meetings/frobnicate")
    assert answer.status_code == 404
    assert answer.json()["message"] == "Not Found"
    assert answer.json()["documentation_url"].startswith("https://docs.github.com/rest")
    assert answer.headers["X-RateLimit-Resource"] == "core"


def test_read_only_token_gets_403_on_writes(gh: GitHubDouble) -> None:
    with pytest.raises(github.GithubException) as caught:
        client(gh, READ_TOKEN).get_repo(REPO).create_issue("nope")
    assert caught.value.status == 403
    assert caught.value.data["message"] == "Resource not accessible by personal access token"
    assert gh.issues(REPO) == []


def test_anonymous_writes_need_authentication(gh: GitHubDouble) -> None:
    answer = raw(gh, "POST", "/repos/wg/meetings/issues", token=None, json={"title": "x"})
    assert (answer.status_code, answer.json()["message"]) == (401, "Requires authentication")


def test_validation_errors_are_422(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    repo.create_label("agenda", "00ff00")
    with pytest.raises(github.GithubException) as caught:
        repo.create_label("Agenda", "00ff00")
    assert caught.value.status == 422
    assert caught.value.data["errors"] == [{"resource": "Label", "code": "already_exists", "field": "name"}]
    missing_title = raw(gh, "POST", "/repos/wg/meetings/issues", json={"body": "no title"})
    assert missing_title.status_code == 422 and missing_title.json()["errors"][0]["field"] == "title"


# ----------------------------------------------------------------- issues
def test_issue_lifecycle(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    issue = repo.create_issue("Agenda 2024-05-01", body="- item", labels=["meeting", "needs notes"])
    assert issue.html_url == f"https://github.com/{REPO}/issues/{issue.number}"
    assert [label.name for label in issue.labels] == ["meeting", "needs notes"]  # created on the fly
    assert gh.writes()[0].response_headers["Location"] == issue.url
    issue.create_comment("notes posted")
    issue.add_to_labels("done")
    issue.remove_from_labels("needs notes")
    issue.edit(state="closed", state_reason="not_planned")
    stored = gh.get_issue(REPO, issue.number)
    assert stored["state"] == "closed" and stored["state_reason"] == "not_planned" and stored["closed_at"]
    assert [label["name"] for label in stored["labels"]] == ["meeting", "done"]
    assert [c["body"] for c in gh.comments(REPO, issue.number)] == ["notes posted"]
    assert {label.name for label in repo.get_labels()} == {"meeting", "needs notes", "done"}
    issue.set_labels()
    issue.edit(state="open")
    reopened = repo.get_issue(issue.number)
    assert (reopened.state, reopened.state_reason, reopened.labels, reopened.closed_at) == (
        "open",
        "reopened",
        [],
        None,
    )


def test_pull_requests_are_issues_with_a_pull_request_key(api: github.Github, gh: GitHubDouble) -> None:
    gh.add_issue(REPO, "An issue")
    number = gh.add_issue(REPO, "A PR", pull_request=True, merged=True)
    pr = api.get_repo(REPO).get_issue(number)
    assert pr.html_url == f"https://github.com/{REPO}/pull/{number}"
    assert pr.pull_request.html_url == pr.html_url and pr.pull_request.diff_url.endswith(".diff")
    assert "pull_request" not in gh.get_issue(REPO, 1)
    assert gh.get_issue(REPO, number)["pull_request"]["merged_at"] is not None


def test_issue_listing_filters_sorts_and_includes_pull_requests(api: github.Github, gh: GitHubDouble) -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    gh.add_issue(REPO, "old agenda", labels=["agenda"], created_at=day)
    gh.add_issue(REPO, "new agenda", labels=["agenda", "urgent"], created_at=day + timedelta(days=2), user="bob")
    gh.add_issue(REPO, "agenda PR", labels=["agenda"], created_at=day + timedelta(days=1), pull_request=True)
    gh.add_issue(REPO, "closed agenda", labels=["agenda"], state="closed", created_at=day)
    repo = api.get_repo(REPO)
    labelled = repo.get_issues(labels=["agenda"], sort="created", direction="asc")
    assert [i.title for i in labelled] == ["old agenda", "agenda PR", "new agenda"]
    assert [i.title for i in repo.get_issues(labels=["AGENDA", "urgent"])] == ["new agenda"]
    assert [i.title for i in repo.get_issues(state="closed")] == ["closed agenda"]
    assert len(list(repo.get_issues(state="all"))) == 4
    assert [i.title for i in repo.get_issues(creator="bob")] == ["new agenda"]
    assert [i.title for i in repo.get_issues(since=day + timedelta(days=1))] == ["new agenda", "agenda PR"]


def test_listing_pages_follow_link_headers(gh: GitHubDouble) -> None:
    for n in range(75):
        gh.add_issue(REPO, f"issue {n}")
    assert len(list(client(gh, per_page=30).get_repo(REPO).get_issues())) == 75
    listed = gh.matching("GET", r"/issues$")
    assert [e.query.get("page", "1") for e in listed] == ["1", "2", "3"]
    second = raw(gh, "GET", "/repos/wg/meetings/issues?per_page=30&page=2")
    base = f"{gh.url}/repos/wg/meetings/issues?per_page=30&page="
    assert second.headers["Link"] == (
        f'<{base}1>; rel="prev", <{base}3>; rel="next", <{base}3>; rel="last", <{base}1>; rel="first"'
    )
    assert "Link" not in raw(gh, "GET", "/repos/wg/meetings/issues?per_page=100").headers


def test_per_page_is_capped_at_100(gh: GitHubDouble) -> None:
    for n in range(120):
        gh.add_issue(REPO, f"issue {n}")
    assert len(raw(gh, "GET", "/repos/wg/meetings/issues?per_page=500").json()) == 100


# ----------------------------------------------------------------- search
@pytest.fixture
def searchable(gh: GitHubDouble) -> GitHubDouble:
    """Issues across two orgs for search tests."""
    gh.add_repo("wg/other")
    gh.add_repo("sig/docs")
    gh.add_repo("wg/secret", private=True)
    gh.add_issue(REPO, "Plain agenda item", labels=["agenda"])
    gh.add_issue(REPO, "Spaced label", labels=["good first issue", "agenda"])
    gh.add_issue(REPO, "Quoted label", labels=['say "hi"'])
    gh.add_issue(REPO, "Agenda PR", labels=["agenda"], pull_request=True)
    gh.add_issue(REPO, "Closed agenda item", labels=["agenda"], state="closed")
    gh.add_issue("wg/other", "Other repo agenda", labels=["Agenda"], user="bob")
    gh.add_issue("sig/docs", "Docs agenda", labels=["agenda"], created_at=datetime(2024, 1, 15, tzinfo=UTC))
    gh.add_issue("sig/docs", "No labels at all")
    gh.add_issue("wg/secret", "Secret agenda", labels=["agenda"])
    return gh


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("repo:wg/meetings is:open is:issue label:agenda", {"Plain agenda item", "Spaced label"}),
        ('repo:wg/meetings label:"good first issue"', {"Spaced label"}),
        ('repo:wg/meetings label:"say \\"hi\\""', {"Quoted label"}),
        ("org:wg label:agenda type:pr", {"Agenda PR"}),
        ("repo:wg/meetings state:closed", {"Closed agenda item"}),
        (
            'org:wg org:sig is:issue is:open label:agenda -label:"good first issue"',
            {"Plain agenda item", "Other repo agenda", "Docs agenda", "Secret agenda"},
        ),
        ("user:sig no:label", {"No labels at all"}),
        ("repo:wg/other repo:sig/docs label:AGENDA", {"Other repo agenda", "Docs agenda"}),
        ("org:wg author:bob", {"Other repo agenda"}),
        ("org:sig created:<2024-02-01", {"Docs agenda"}),
        ("org:sig created:2024-01-01..2024-01-31 label:agenda,missing", {"Docs agenda"}),
        ("repo:wg/meetings quoted in:title", {"Quoted label"}),
        ("is:pull-request", {"Agenda PR"}),
        ("org:wg label:agenda is:open is:issue is:private", {"Secret agenda"}),
        ("org:wg label:agenda is:open is:issue is:public", {"Plain agenda item", "Spaced label", "Other repo agenda"}),
        ("org:wg label:agenda is:open is:issue -is:public", {"Secret agenda"}),
    ],
)
def test_search_qualifiers(searchable: GitHubDouble, query: str, expected: set[str]) -> None:
    found = client(searchable).search_issues(query)
    assert {issue.title for issue in found} == expected


def test_search_hides_private_repositories_from_anonymous_callers(searchable: GitHubDouble) -> None:
    assert "Secret agenda" not in {i.title for i in client(searchable, None).search_issues("label:agenda")}
    with pytest.raises(github.GithubException) as caught:
        list(client(searchable, None).search_issues("repo:wg/secret label:agenda"))
    assert caught.value.status == 422
    assert caught.value.data["errors"][0]["message"].startswith("The listed users and repositories cannot be searched")


def test_search_result_items_have_githubs_shape(searchable: GitHubDouble) -> None:
    found = client(searchable).search_issues("repo:wg/meetings Agenda PR")
    (pr,) = list(found)
    assert pr.repository.full_name == REPO  # PyGithub derives it from repository_url
    assert pr.pull_request is not None and pr.html_url.endswith("/pull/4")
    assert (found.totalCount, found.incomplete_results) == (1, False)


def test_search_sorts_by_created_and_updated(gh: GitHubDouble) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(3):
        gh.add_issue(REPO, f"t{n}", created_at=start + timedelta(days=n))
    gh.set_issue(REPO, 1, updated_at=start + timedelta(days=9))
    api = client(gh)
    assert [i.title for i in api.search_issues("repo:wg/meetings", sort="created", order="asc")] == ["t0", "t1", "t2"]
    assert [i.title for i in api.search_issues("repo:wg/meetings", sort="updated")] == ["t0", "t2", "t1"]
    assert [i.title for i in api.search_issues("repo:wg/meetings")] == ["t2", "t1", "t0"]


def test_search_stops_at_1000_results(gh: GitHubDouble) -> None:
    for n in range(1050):
        gh.add_issue(REPO, f"issue {n}", labels=["agenda"])
    found = client(gh, per_page=100).search_issues("repo:wg/meetings label:agenda")
    assert found.totalCount == 1000  # PyGithub counts the pages of one item, capped like GitHub's
    assert len(list(found)) == 1000
    beyond = raw(gh, "GET", "/search/issues", params={"q": "repo:wg/meetings", "per_page": 100, "page": 11})
    assert (beyond.status_code, beyond.json()["message"]) == (422, "Only the first 1000 search results are available")
    last_page = raw(gh, "GET", "/search/issues", params={"q": "repo:wg/meetings", "page": 34})
    assert len(last_page.json()["items"]) == 10 and 'rel="next"' not in last_page.headers["Link"]
    first = raw(gh, "GET", "/search/issues", params={"q": "repo:wg/meetings label:agenda"})
    assert first.json()["total_count"] == 1050
    assert first.headers["Link"] == (
        f'<{gh.url}/search/issues?q=repo%3Awg%2Fmeetings+label%3Aagenda&page=2>; rel="next", '
        f'<{gh.url}/search/issues?q=repo%3Awg%2Fmeetings+label%3Aagenda&page=34>; rel="last"'
    )


def test_search_needs_a_query(gh: GitHubDouble) -> None:
    answer = raw(gh, "GET", "/search/issues", params={"q": " "})
    assert answer.status_code == 422 and answer.json()["errors"][0]["code"] == "missing"


# ----------------------------------------------------------------- rate limits
def test_core_and_search_limits_are_separate_buckets(gh: GitHubDouble) -> None:
    gh.set_rate_limit("core", 3)
    api = client(gh)
    for _ in range(3):
        api.get_repo(REPO)
    with pytest.raises(github.RateLimitExceededException) as caught:
        api.get_repo(REPO)
    assert caught.value.status == 403
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert caught.value.headers["x-ratelimit-resource"] == "core"
    assert caught.value.data["message"].startswith("API rate limit exceeded for user ID")
    searched = raw(gh, "GET", "/search/issues", params={"q": "repo:wg/meetings"})
    assert (searched.status_code, searched.headers["X-RateLimit-Resource"]) == (200, "search")
    assert searched.headers["X-RateLimit-Remaining"] == "29"
    gh.reset_rate_limits()
    assert api.get_repo(REPO).name == "meetings"


def test_search_allows_30_requests_a_minute(gh: GitHubDouble) -> None:
    for _ in range(30):
        assert raw(gh, "GET", "/search/issues", params={"q": "is:issue"}).status_code == 200
    with pytest.raises(github.RateLimitExceededException):
        list(client(gh).search_issues("is:issue"))
    assert gh.remaining("search") == 0 and gh.remaining("core") == 5000


def test_every_answer_carries_rate_limit_headers(gh: GitHubDouble) -> None:
    answer = raw(gh, "GET", "/repos/wg/meetings", token=None)
    assert {k: answer.headers[k] for k in ("X-RateLimit-Limit", "X-RateLimit-Used", "X-RateLimit-Remaining")} == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Used": "1",
        "X-RateLimit-Remaining": "59",
    }
    assert int(answer.headers["X-RateLimit-Reset"]) > time.time()
    assert client(gh).get_rate_limit().resources.search.limit == 30


def test_rate_limit_windows_and_timestamps_follow_the_doubles_clock() -> None:
    now = [1_700_000_000.0]
    with running_github(clock=lambda: now[0]) as gh:
        gh.add_repo(REPO)
        gh.set_rate_limit("search", 1)
        search = {"q": "repo:wg/meetings"}
        assert raw(gh, "GET", "/search/issues", params=search).headers["X-RateLimit-Reset"] == "1700000060"
        assert raw(gh, "GET", "/search/issues", params=search).status_code == 403
        now[0] += 60
        assert raw(gh, "GET", "/search/issues", params=search).status_code == 200
        number = gh.add_issue(REPO, "stamped")
        assert gh.get_issue(REPO, number)["created_at"] == "2023-11-14T22:14:20Z"
        for entry in gh.requests:
            validate_exchange(entry)


def test_anonymous_limit_message_and_429_option(gh: GitHubDouble) -> None:
    gh.set_rate_limit("core", 1, anonymous=True)
    gh.rate_limits.status = 429
    raw(gh, "GET", "/repos/wg/meetings", token=None)
    answer = raw(gh, "GET", "/repos/wg/meetings", token=None)
    assert answer.status_code == 429
    assert answer.json()["message"].startswith("API rate limit exceeded for 127.0.0.1.")


def test_secondary_limit_then_retry(gh: GitHubDouble) -> None:
    gh.inject_secondary_limit("GET", r"/repos/", retry_after=None)
    with pytest.raises(github.RateLimitExceededException) as caught:
        client(gh).get_repo(REPO)
    assert "secondary rate limit" in caught.value.data["message"]
    gh.inject_secondary_limit("GET", r"/repos/", retry_after=0)
    retrying = client(gh, retry=GithubRetry(total=2, backoff_factor=0))
    assert retrying.get_repo(REPO).name == "meetings"
    assert [e.status for e in gh.matching("GET", "/repos/")][-2:] == [403, 200]


def test_secondary_limit_without_retry_after_carries_the_documented_marks(gh: GitHubDouble) -> None:
    """Docs ("Rate limits for the REST API"): a 403 or 429, `retry-after` maybe absent, remaining not 0."""
    for status in (403, 429):
        gh.inject_secondary_limit("GET", r"/repos/", status=status, retry_after=None)
        answer = raw(gh, "GET", f"/repos/{REPO}")
        assert answer.status_code == status and "Retry-After" not in answer.headers
        assert answer.headers["X-RateLimit-Remaining"] != "0"
        assert "secondary-rate-limits" in answer.json()["documentation_url"]


def test_a_load_balancers_502_is_an_html_page_without_githubs_headers(gh: GitHubDouble) -> None:
    gh.inject_bad_gateway("POST", rf"^/repos/{REPO}/issues$", apply=True)
    answer = raw(gh, "POST", f"/repos/{REPO}/issues", json={"title": "made all the same"})
    assert answer.status_code == 502 and answer.headers["Content-Type"].startswith("text/html")
    assert answer.text.startswith("<html>") and "X-RateLimit-Remaining" not in answer.headers
    with pytest.raises(ValueError):
        answer.json()
    assert [i["title"] for i in gh.issues(REPO)][-1] == "made all the same"  # `apply`: carried out
    gh.inject_bad_gateway("GET", r"/repos/")
    with pytest.raises(github.GithubException) as caught:
        client(gh).get_repo(REPO)
    assert caught.value.status == 502 and caught.value.data == {"data": answer.text}  # PyGithub keeps the text


def test_a_reset_mid_body_cuts_the_answer_of_a_write_that_was_carried_out(gh: GitHubDouble) -> None:
    gh.reset_mid_body("POST", rf"^/repos/{REPO}/issues$")
    with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        raw(gh, "POST", f"/repos/{REPO}/issues", json={"title": "cut off"})
    assert [i["title"] for i in gh.issues(REPO)][-1] == "cut off"
    (entry,) = gh.matching("POST", "/issues$")
    assert entry.status == 201 and entry.fault


def test_a_search_that_times_out_answers_part_of_its_matches_marked_incomplete(searchable: GitHubDouble) -> None:
    query = {"q": "repo:wg/meetings"}
    whole = raw(searchable, "GET", "/search/issues", params=query).json()
    searchable.time_out_searches()
    part = raw(searchable, "GET", "/search/issues", params=query).json()
    assert (whole["incomplete_results"], part["incomplete_results"]) == (False, True)
    assert 0 < part["total_count"] < whole["total_count"]
    assert raw(searchable, "GET", "/search/issues", params=query).json() == {**whole, "items": whole["items"]}


# ----------------------------------------------------------------- contents
def test_contents_create_read_update_with_git_blob_shas(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    created = repo.create_file("notes/2024-05-01.md", "Add notes", "# Notes\n")
    assert gh.writes()[-1].status == 201
    blob_sha = hashlib.sha1(b"blob 8\0# Notes\n").hexdigest()
    assert created["content"].sha == blob_sha
    fetched = repo.get_contents("notes/2024-05-01.md")
    assert (fetched.decoded_content, fetched.sha, fetched.encoding) == (b"# Notes\n", blob_sha, "base64")
    assert fetched.html_url == f"https://github.com/{REPO}/blob/main/notes/2024-05-01.md"
    repo.update_file("notes/2024-05-01.md", "Edit notes", "# Notes\n- a\n", fetched.sha)
    assert gh.writes()[-1].status == 200
    assert gh.file(REPO, "notes/2024-05-01.md") == "# Notes\n- a\n"
    assert [c["message"] for c in gh.commits(REPO)] == ["Add notes", "Edit notes"]
    assert gh.commits(REPO)[1]["parents"] == [gh.commits(REPO)[0]["sha"]]


def test_contents_conflicts(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    gh.put_file(REPO, "notes.md", "v1")
    with pytest.raises(github.GithubException) as stale:
        repo.update_file("notes.md", "edit", "v2", "0" * 40)
    assert (stale.value.status, stale.value.data["message"]) == (409, f"notes.md does not match {'0' * 40}")
    with pytest.raises(github.GithubException) as unsupplied:
        repo.create_file("notes.md", "again", "v2")
    assert (unsupplied.value.status, unsupplied.value.data["message"]) == (
        422,
        'Invalid request.\n\n"sha" wasn\'t supplied.',
    )
    assert gh.file(REPO, "notes.md") == "v1" and len(gh.commits(REPO)) == 1


def test_contents_directories_branches_and_missing_files(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    with pytest.raises(github.GithubException) as empty:
        repo.get_contents("README.md")
    assert (empty.value.status, empty.value.data["message"]) == (404, "This repository is empty.")
    gh.put_file(REPO, "notes/a.md", "a")
    gh.put_file(REPO, "notes/sub/b.md", "b")
    gh.add_branch(REPO, "drafts")
    repo.create_file("notes/c.md", "draft", "c", branch="drafts")
    listing = repo.get_contents("notes")
    assert [(c.path, c.type) for c in listing] == [("notes/a.md", "file"), ("notes/sub", "dir")]
    assert [c.path for c in repo.get_contents("notes", ref="drafts")] == ["notes/a.md", "notes/c.md", "notes/sub"]
    assert gh.file(REPO, "notes/c.md") is None and gh.file(REPO, "notes/c.md", ref="drafts") == "c"
    with pytest.raises(github.UnknownObjectException):
        repo.get_contents("notes/zzz.md")
    with pytest.raises(github.UnknownObjectException):
        repo.create_file("x.md", "m", "x", branch="nope")


# ----------------------------------------------------------------- GitHub Enterprise prefix
def test_enterprise_prefix(ghes: GitHubDouble) -> None:
    assert ghes.url.endswith("/api/v3")
    api = client(ghes)
    issue = api.get_repo(REPO).create_issue("On GHES", labels=["agenda"])
    assert issue.url.startswith(ghes.url + "/repos/")
    assert [i.number for i in api.search_issues("repo:wg/meetings label:agenda")] == [issue.number]
    assert requests.get(ghes.origin + "/repos/wg/meetings", timeout=5).status_code == 404


# ----------------------------------------------------------------- GitHub App
@pytest.fixture
def app_gh(gh: GitHubDouble, app_keys: tuple[str, str]) -> GitHubDouble:
    """The double with the app installed on ``wg``."""
    gh.configure_app(APP_ID, app_keys[1])
    gh.add_installation(INSTALLATION, "wg")
    return gh


def app_client(double: GitHubDouble, private_key: str) -> github.Github:
    """PyGithub authenticated as the installation, as the bot would be."""
    auth = github.Auth.AppAuth(APP_ID, private_key).get_installation_auth(INSTALLATION)
    return github.Github(
        base_url=double.url, auth=auth, retry=None, seconds_between_requests=None, seconds_between_writes=None
    )


def test_installation_tokens_work_like_tokens(app_gh: GitHubDouble, app_keys: tuple[str, str]) -> None:
    api = app_client(app_gh, app_keys[0])
    issue = api.get_repo(REPO).create_issue("From the app")
    assert issue.user.login == "meeting-bot[bot]" and issue.user.type == "Bot"
    assert app_gh.count("POST", r"/access_tokens$") == 1
    integration = github.GithubIntegration(auth=github.Auth.AppAuth(APP_ID, app_keys[0]), base_url=app_gh.url)
    assert integration.get_repo_installation("wg", "meetings").id == INSTALLATION
    assert [i.id for i in integration.get_installations()] == [INSTALLATION]


def test_short_lived_installation_tokens_are_refreshed(app_gh: GitHubDouble, app_keys: tuple[str, str]) -> None:
    app_gh.configure_app(APP_ID, app_keys[1], token_lifetime=10)  # PyGithub refreshes 20 s before expiry
    api = app_client(app_gh, app_keys[0])
    api.get_repo(REPO)
    api.get_repo(REPO)
    assert app_gh.count("POST", r"/access_tokens$") == 2


def test_expired_installation_tokens_are_bad_credentials(app_gh: GitHubDouble, app_keys: tuple[str, str]) -> None:
    integration = github.GithubIntegration(auth=github.Auth.AppAuth(APP_ID, app_keys[0]), base_url=app_gh.url)
    token = integration.get_access_token(INSTALLATION).token
    assert token.startswith("ghs_") and client(app_gh, token).get_repo(REPO)
    app_gh.expire_tokens()
    with pytest.raises(github.BadCredentialsException):
        client(app_gh, token).get_repo(REPO)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"iat": -60, "exp": -1}, "'Expiration time' claim ('exp') must be a numeric value"),
        ({"iat": -60, "exp": 3600}, "'Expiration time' claim ('exp') is too far in the future"),
        ({"iat": 300, "exp": 500}, "'Issued at' claim ('iat') must be an Integer"),
        ({"iat": -60, "exp": 300, "iss": "999"}, "A JSON web token could not be decoded"),
    ],
)
def test_bad_app_jwts_are_401(
    app_gh: GitHubDouble, app_keys: tuple[str, str], claims: dict[str, Any], message: str
) -> None:
    now = int(time.time())
    payload = {"iss": str(APP_ID)} | {k: (now + v if k != "iss" else v) for k, v in claims.items()}
    token = jwt.encode(payload, app_keys[0], algorithm="RS256")
    answer = raw(app_gh, "POST", f"/app/installations/{INSTALLATION}/access_tokens", token=token)
    assert answer.status_code == 401 and answer.json()["message"].startswith(message)


def test_app_routes_need_a_jwt_signed_by_the_app(app_gh: GitHubDouble) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"iss": str(APP_ID), "iat": int(time.time()) - 60, "exp": int(time.time()) + 300}, other, algorithm="RS256"
    )
    for token in (forged, DEFAULT_TOKEN):
        answer = raw(app_gh, "GET", "/app/installations", token=token)
        assert (answer.status_code, answer.json()["message"]) == (401, "A JSON web token could not be decoded")


# ----------------------------------------------------------------- fault injection
def test_injected_errors_answer_once_then_the_real_thing(api: github.Github, gh: GitHubDouble) -> None:
    gh.inject("GET", r"/repos/wg/meetings$", 502)
    with pytest.raises(github.GithubException) as caught:
        api.get_repo(REPO)
    assert caught.value.status == 502 and caught.value.data["message"] == "Bad Gateway"
    assert api.get_repo(REPO).name == "meetings"
    assert [e.fault for e in gh.matching("GET")] == [True, False]


def test_ambiguous_write_changes_state_but_reports_an_error(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    gh.inject("POST", r"/issues$", 500, apply=True)
    with pytest.raises(github.GithubException):
        repo.create_issue("Did it happen?")
    assert [i["title"] for i in gh.issues(REPO)] == ["Did it happen?"]


def test_dropped_connections(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    gh.drop("POST", r"/issues$", apply=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue("Lost answer")
    assert len(gh.issues(REPO)) == 1 and gh.writes()[-1].status is None
    gh.drop("GET", r"/issues/1$")
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.get_issue(1)
    assert repo.get_issue(1).title == "Lost answer"


def test_slow_answers_time_clients_out(gh: GitHubDouble) -> None:
    gh.slow("GET", r"/repos/wg/meetings$", 0.5)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(gh.url + "/repos/wg/meetings", timeout=0.1)
    assert time.monotonic() - started < 0.4
    assert raw(gh, "GET", "/repos/wg/meetings").status_code == 200


def test_faults_can_last_until_cleared(api: github.Github, gh: GitHubDouble) -> None:
    gh.inject("*", r"/repos/", 503, times=None, body={"message": "Service Unavailable"})
    for _ in range(3):
        with pytest.raises(github.GithubException):
            api.get_repo(REPO)
    gh.clear_faults()
    assert api.get_repo(REPO).name == "meetings"


# ----------------------------------------------------------------- request log and concurrency
def test_request_log_helpers(api: github.Github, gh: GitHubDouble) -> None:
    repo = api.get_repo(REPO)
    repo.create_issue("a")
    repo.get_issue(1).edit(title="b")
    assert gh.count() == 4 and gh.count("GET") == 2
    assert [e.method for e in gh.writes()] == ["POST", "PATCH"]
    assert gh.writes(r"/issues/1$")[0].body == {"title": "b"}
    assert gh.requests[0].headers["authorization"] == f"token {DEFAULT_TOKEN}"
    gh.reset_log()
    assert gh.requests == []


def test_concurrent_writers_get_distinct_issue_numbers(gh: GitHubDouble) -> None:
    def create(n: int) -> None:
        client(gh).get_repo(REPO).create_issue(f"issue {n}")

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i["number"] for i in gh.issues(REPO)) == list(range(1, 9))


# ----------------------------------------------------------------- the validator itself
def _exchange(method: str, path: str, status: int, response: Any, body: Any = None) -> Exchange:
    return Exchange(method, path, {}, body, {}, status, response, {})


def test_validator_rejects_shapes_github_would_not_send(gh: GitHubDouble) -> None:
    number = gh.add_issue(REPO, "x")
    good = gh.get_issue(REPO, number)
    validate_exchange(_exchange("GET", f"/repos/{REPO}/issues/1", 200, good))
    broken = {k: v for k, v in good.items() if k != "node_id"}
    with pytest.raises(ValidationError):
        validate_exchange(_exchange("GET", f"/repos/{REPO}/issues/1", 200, broken))
    with pytest.raises(ValidationError):
        validate_exchange(_exchange("GET", f"/repos/{REPO}/issues/1", 200, good | {"state": 1}))
    with pytest.raises(ValidationError):
        validate_exchange(_exchange("POST", f"/repos/{REPO}/issues", 201, good, body={"title": "x", "labels": "bug"}))
    with pytest.raises(AssertionError):
        validate_exchange(_exchange("GET", f"/repos/{REPO}/frobnicate", 200, {}))


def test_every_served_operation_is_in_the_description() -> None:
    samples = {"owner": "o", "repo": "r", "number": "1", "name": "n", "path*": "a/b", "installation_id": "1",
               "ref*": "heads/a/b"}
    for served in ALL_ROUTES:
        if served.handler == "graphql":
            continue  # described by GitHub's GraphQL schema, against which tests/test_double_graphql.py checks it
        path = served.template
        for key, value in samples.items():
            path = path.replace("{" + key + "}", value)
        assert find_operation(served.method, path) is not None, (served.method, path)


def test_base64_content_is_wrapped_like_githubs(gh: GitHubDouble) -> None:
    text = "x" * 100
    gh.put_file(REPO, "long.txt", text)
    content = raw(gh, "GET", "/repos/wg/meetings/contents/long.txt").json()["content"]
    assert content.endswith("\n") and all(len(line) <= 60 for line in content.splitlines())
    assert base64.b64decode(content) == text.encode()


# ----------------------------------------------------------------- author_association
def test_author_association_is_githubs_for_each_kind_of_author(
    app_gh: GitHubDouble, app_keys: tuple[str, str]
) -> None:
    """OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR and NONE, as GitHub tells them apart; an app's bot is
    NONE until it commits, then CONTRIBUTOR, never MEMBER whatever it may do."""
    gh = app_gh
    gh.add_repo("alice/own")
    gh.add_member("wg", "mona")
    gh.add_token("ghp_writer0000000000000000000000000000000", login="carol", access="write")
    gh.put_file(REPO, "README.md", "hi", message="first", author={"name": "dan", "email": "9+dan@users.noreply.github.com"})
    authors = {"alice": "alice/own", "mona": REPO, "carol": REPO, "dan": REPO, "eve": REPO}
    numbers = {login: gh.add_issue(repo, f"by {login}", user=login) for login, repo in authors.items()}
    seen = {login: gh.get_issue(authors[login], n)["author_association"] for login, n in numbers.items()}
    assert seen == {"alice": "OWNER", "mona": "MEMBER", "carol": "COLLABORATOR", "dan": "CONTRIBUTOR", "eve": "NONE"}
    app = app_client(gh, app_keys[0]).get_repo(REPO)
    assert app.create_issue("from the app").raw_data["author_association"] == "NONE"
    app.create_file("notes.md", "add", "text")
    assert app.create_issue("again").raw_data["author_association"] == "CONTRIBUTOR"


# ----------------------------------------------------------------- conditional requests
def conditional(double: GitHubDouble, path: str, tag: str) -> requests.Response:
    headers = {"Authorization": f"token {DEFAULT_TOKEN}", "If-None-Match": tag}
    return requests.get(double.url + path, headers=headers, timeout=5)


def test_a_conditional_get_is_answered_304_and_not_counted(gh: GitHubDouble) -> None:
    gh.add_issue(REPO, "First")
    first = raw(gh, "GET", f"/repos/{REPO}/issues")
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    again = conditional(gh, f"/repos/{REPO}/issues", tag)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == tag
    assert again.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]
    assert int(again.headers["X-RateLimit-Used"]) == int(first.headers["X-RateLimit-Used"])


def test_the_etag_changes_when_the_resource_changes(gh: GitHubDouble) -> None:
    number = gh.add_issue(REPO, "First")
    tag = raw(gh, "GET", f"/repos/{REPO}/issues").headers["ETag"]
    client(gh).get_repo(REPO).get_issue(number).edit(body="edited by a person")
    changed = conditional(gh, f"/repos/{REPO}/issues", tag)
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.json()[0]["body"] == "edited by a person"


def test_a_stale_or_strong_form_of_the_etag_compares_weakly(gh: GitHubDouble) -> None:
    tag = raw(gh, "GET", f"/repos/{REPO}").headers["ETag"]
    strong = tag.removeprefix("W/")
    assert conditional(gh, f"/repos/{REPO}", f'"stale", {strong}').status_code == 304
    assert conditional(gh, f"/repos/{REPO}", '"stale"').status_code == 200
