"""The NotesStore for `provider = "repo"`: a Markdown file committed through the contents API."""

from __future__ import annotations

import base64
import functools
from typing import Callable

import github
from urllib.parse import quote, urlsplit

from bot import markers
from bot.adapters import conditional, file_creators
from bot.adapters.github_client import Calls, classify
from bot.adapters.github_identity import same, token_login
from bot.adapters.retry import Kind
from bot.model import Meeting, NotesRecord
from bot.ports import Conflict, Forbidden, NotFound

CREATE_MESSAGE = "Add notes for {title}"
CREATED_MEANWHILE = "{repo}/{ref}: created by another run meanwhile; the next pass will refresh it"
NOT_A_FILE = "{repo}/{ref}: is a directory or a link, not a notes file"
CHANGED_MEANWHILE = "{repo}/{ref}: changed by someone else while it was being written; read again"
PROTECTED = (
    "{repo}: GitHub refused the notes commit ({message}); the default branch is protected: allow the bot "
    "to push, or set [notes] provider = \"none\" or \"hackmd\""
)
UNKNOWN_CREATOR = "an author GitHub links to no account"
PUBLIC_API = "https://api.github.com"
PUBLIC_WEB = "https://github.com"


def web_url(api_url: str) -> str:
    """The web host for an API URL: github.com for the public API, the host for Enterprise Server."""
    api_url = api_url.rstrip("/")
    if api_url == PUBLIC_API:
        return PUBLIC_WEB
    if api_url.endswith("/api/v3"):
        return api_url[: -len("/api/v3")]
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}"


class RepoNotes:
    """Notes files in the meeting repository, on its default branch."""

    def __init__(
        self, client: github.Github, api_url: str, calls: Calls | None = None,
        me: Callable[[str], str | None] | None = None,
    ) -> None:
        """`me(repo)` gives the bot's own login (by default the token's user, asked once)."""
        self._client = client.withLazy(True)  # repositories and issues are made without a GET
        self._api = api_url
        self._web = web_url(api_url)
        self._calls = calls if calls is not None else Calls(url=api_url)
        self._me = me or functools.cache(lambda repo: token_login(client, under_actions=False, calls=self._calls))

    def url_for(self, meeting: Meeting, ref: str) -> str:
        return f"{self._web}/{meeting.repo}/blob/HEAD/{quote(ref)}"

    def find(self, meeting: Meeting, ref: str, key: str) -> NotesRecord | None:
        """The file on the default branch, read conditionally (unchanged since the last run: a 304, no quota)."""
        path = f"/repos/{quote(meeting.repo)}/contents/{quote(ref)}"
        requester = self._client.requester
        try:
            data = self._calls(
                f"reading {meeting.repo}/{ref}", lambda: conditional.get_json(requester, self._calls.cache, path)
            )
        except NotFound:
            return None
        if not isinstance(data, dict) or data.get("type") != "file" or not isinstance(data.get("content"), str):
            raise Conflict(NOT_A_FILE.format(repo=meeting.repo, ref=ref))
        content = base64.b64decode(data["content"]).decode("utf-8", errors="replace")
        return NotesRecord(
            url=self.url_for(meeting, ref),
            content=content,
            ref=ref,
            version=str(data.get("sha") or ""),
            foreign=self._foreign(meeting, ref) if markers.find_key(content) is not None else None,
        )

    def _foreign(self, meeting: Meeting, ref: str) -> str | None:
        """Who created the file when that is not the bot's identity; asked only of a file carrying a key
        (one the bot might refresh), once per process. A key can be copied; the creator cannot."""
        requester, cache = self._client.requester, self._calls.cache
        creator = self._calls(
            f"finding who created {meeting.repo}/{ref}",
            lambda: file_creators.creator(requester, cache, self._api, meeting.repo, ref),
        )
        if same(creator, self._me(meeting.repo)):
            return None
        return creator or UNKNOWN_CREATOR

    def reload(self, meeting: Meeting, record: NotesRecord) -> NotesRecord | None:
        """The file as it is now, just before a write, or None when it was deleted."""
        return self.find(meeting, record.ref, "")

    def create(self, meeting: Meeting, ref: str, key: str, title: str, content: str) -> NotesRecord:
        """A PUT without a sha: repeated after it was carried out, GitHub refuses it (422), so it is safe to repeat."""
        repo = self._client.get_repo(meeting.repo)
        me = self._me(meeting.repo)  # before the write: the identity's read is not part of it
        result = self._put(meeting, ref, None, lambda: repo.create_file(ref, CREATE_MESSAGE.format(title=title), content))
        file_creators.remember(self._api, meeting.repo, ref, me)  # made by this process: no need to ask
        return NotesRecord(url=self.url_for(meeting, ref), content=content, ref=ref, version=result["content"].sha)

    def update(self, meeting: Meeting, record: NotesRecord, content: str, message: str) -> NotesRecord:
        """A PUT with the sha it replaces: a repeat after it was carried out is refused (409), never applied twice."""
        repo = self._client.get_repo(meeting.repo)
        sha = record.version
        assert sha is not None  # find, create and reload always give the blob's sha
        result = self._put(
            meeting, record.ref, record.version, lambda: repo.update_file(record.ref, message, content, sha)
        )
        return NotesRecord(url=record.url, content=content, ref=record.ref, version=result["content"].sha)

    def _put(self, meeting: Meeting, ref: str, sent_sha: str | None, send):
        """The contents PUT through the policy; its 409 and 422 decided by status and a re-read."""
        with self._calls.errors(f"committing {meeting.repo}/{ref}"):
            try:
                return self._calls.policy.call(send, classify, Kind.SAFE_WRITE)
            except github.GithubException as exc:
                if exc.status == 422 and sent_sha is None:  # the file is there: another run, or our repeated PUT
                    raise Conflict(CREATED_MEANWHILE.format(repo=meeting.repo, ref=ref)) from None
                if exc.status == 409:
                    self._settle_409(meeting, ref, sent_sha, exc)
                raise

    def _settle_409(self, meeting: Meeting, ref: str, sent_sha: str | None, exc: github.GithubException) -> None:
        """A 409 is decided by reading the file again, never by the wording of GitHub's message.

        If the file is no longer what the write was based on, someone (or this run's own repeated PUT)
        changed it: Conflict, and the runner reads everything again. If it is just as it was, the
        branch refused the commit itself (a protected branch).
        """
        now = self.find(meeting, ref, "")
        if (now.version if now is not None else None) != sent_sha:
            raise Conflict(CHANGED_MEANWHILE.format(repo=meeting.repo, ref=ref)) from None
        data = exc.data if isinstance(exc.data, dict) else {}
        message = str(data.get("message") or "").strip()
        raise Forbidden(PROTECTED.format(repo=meeting.repo, message=message.splitlines()[0][:200] if message else "409"))
