"""The NotesStore for `provider = "repo"`: a Markdown file committed through the contents API."""

from __future__ import annotations

import github
from urllib.parse import quote, urlsplit

from bot.adapters.github_client import github_errors
from bot.model import Meeting, NotesRecord
from bot.ports import Conflict, Forbidden, NotFound

CREATE_MESSAGE = "Add notes for {title}"
CREATED_MEANWHILE = "{repo}/{ref}: created by another run meanwhile; the next pass will refresh it"
PROTECTED = (
    "{repo}: GitHub refused the notes commit ({message}); the default branch is protected: allow the bot "
    "to push, or set [notes] provider = \"none\" or \"hackmd\""
)
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


def _refuse_protected(exc: "github.GithubException", repo: str) -> None:
    """A 409 that is not a sha race: the default branch only takes pull requests."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or "")
    if exc.status == 409 and "does not match" not in message:
        raise Forbidden(PROTECTED.format(repo=repo, message=message.splitlines()[0][:200] if message else "409")) from None


class RepoNotes:
    """Notes files in the meeting repository, on its default branch."""

    def __init__(self, client: github.Github, api_url: str, cap: float = 60.0) -> None:
        self._client = client.withLazy(True)  # repositories and issues are made without a GET
        self._web = web_url(api_url)
        self._cap = cap
        self._api_url = api_url

    def _errors(self, what: str):
        return github_errors(what, self._cap, self._api_url)

    def url_for(self, meeting: Meeting, ref: str) -> str:
        return f"{self._web}/{meeting.repo}/blob/HEAD/{quote(ref)}"

    def find(self, meeting: Meeting, ref: str, key: str) -> NotesRecord | None:
        repo = self._client.get_repo(meeting.repo)
        try:
            with self._errors(f"reading {meeting.repo}/{ref}"):
                content = repo.get_contents(ref)
        except NotFound:
            return None
        if isinstance(content, list):
            raise Conflict(f"{meeting.repo}/{ref}: is a directory, not a notes file")
        return NotesRecord(
            url=self.url_for(meeting, ref),
            content=content.decoded_content.decode("utf-8", errors="replace"),
            ref=ref,
            version=content.sha,
        )

    def reload(self, meeting: Meeting, record: NotesRecord) -> NotesRecord | None:
        """The file as it is now, just before a write, or None when it was deleted."""
        return self.find(meeting, record.ref, "")

    def create(self, meeting: Meeting, ref: str, key: str, title: str, content: str) -> NotesRecord:
        repo = self._client.get_repo(meeting.repo)
        with self._errors(f"committing {meeting.repo}/{ref}"):
            try:
                result = repo.create_file(ref, CREATE_MESSAGE.format(title=title), content)
            except github.GithubException as exc:
                if exc.status == 422:  # the file appeared since it was read: another run made it
                    raise Conflict(CREATED_MEANWHILE.format(repo=meeting.repo, ref=ref)) from None
                _refuse_protected(exc, meeting.repo)
                raise
        return NotesRecord(url=self.url_for(meeting, ref), content=content, ref=ref, version=result["content"].sha)

    def update(self, meeting: Meeting, record: NotesRecord, content: str, message: str) -> NotesRecord:
        repo = self._client.get_repo(meeting.repo)
        with self._errors(f"committing {meeting.repo}/{record.ref}"):
            try:
                result = repo.update_file(record.ref, message, content, record.version)
            except github.GithubException as exc:
                _refuse_protected(exc, meeting.repo)
                raise
        return NotesRecord(url=record.url, content=content, ref=record.ref, version=result["content"].sha)
