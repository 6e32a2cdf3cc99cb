"""The GitHub Action's entry: `meeting-bot run` from the inputs, then its outputs and the job's step summary."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Mapping, Sequence

OUTPUT_NAMES = ("issue-number", "issue-url", "notes-url")
FIELDS = {"issue-number": "issue_number", "issue-url": "issue_url", "notes-url": "notes_url"}
SUMMARY_TITLE = "### meeting-bot {what}"
RUN = "run"
DRY_RUN = "dry run: the plan, nothing written"
TABLE_HEAD = "| meeting | outcome | issue | notes |\n| --- | --- | --- | --- |"
TABLE_ROW = "| {meeting} | {outcome} | {issue} | {notes} |"
OK = "done"
FAILED = "failed: {error}"
WARNED = " ({count} warning(s): see the log)"
NO_OUTCOMES = "No meeting was run (exit code {code}): see the log for why."
ANNOUNCE_VARIABLE = "MEETING_BOT_ANNOUNCE_{name}"
OUTPUT_HEADER = "<details{open}><summary>What the bot printed</summary>\n"


def command(env: Mapping[str, str]) -> list[str]:
    """The `meeting-bot run` arguments from the Action's inputs (passed as MB_* variables, never pasted)."""
    args = ["run", "--config", env.get("MB_CONFIG") or "config", "--templates", env.get("MB_TEMPLATES") or "templates"]
    if env.get("MB_MEETING"):
        args += ["--meeting", env["MB_MEETING"]]
    if env.get("MB_DATE"):
        args += ["--date", env["MB_DATE"]]
    if env.get("MB_FORCE") == "true":
        args.append("--force")
    if env.get("MB_DRY_RUN") == "true":
        args.append("--dry-run")
    if env.get("MB_SHARD"):
        args += ["--shard", env["MB_SHARD"]]
    return args


def bot_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The bot's environment: the step's, plus MEETING_BOT_ANNOUNCE_<NAME> for each NAME=URL line of the
    announce input (each URL from its own secret, seen only by this step); an empty URL sets nothing, so the
    bot names the target whose variable is missing."""
    child = dict(env)
    for line in env.get("MB_ANNOUNCE", "").splitlines():
        name, sep, url = line.strip().partition("=")
        if sep and re.fullmatch(r"[A-Za-z0-9_]+", name.strip()) and url.strip():
            child[ANNOUNCE_VARIABLE.format(name=name.strip().upper())] = url.strip()
    child.pop("MB_ANNOUNCE", None)
    return child


def outputs(outcomes: Sequence[dict[str, Any]]) -> dict[str, str]:
    """One meeting: plain values; several: each output a JSON object by meeting id. `outcomes` is all of it."""
    found = {"outcomes": json.dumps(list(outcomes), separators=(",", ":"), ensure_ascii=False)}
    for name, field in FIELDS.items():
        if not outcomes:
            found[name] = ""
        elif len(outcomes) == 1:
            value = outcomes[0].get(field)
            found[name] = "" if value is None else str(value)
        else:
            found[name] = json.dumps({o["meeting"]: o.get(field) for o in outcomes}, separators=(",", ":"))
    return found


def write_outputs(path: str | None, values: Mapping[str, str]) -> None:
    """Append to $GITHUB_OUTPUT in its multi-line form, with a delimiter no value can contain."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
            out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _cell(text: object) -> str:
    """A Markdown table cell: one line, no column breaks, no HTML."""
    flat = " ".join(str(text).split())
    return flat.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _link(label: str, url: str | None) -> str:
    if not url or not re.fullmatch(r"https?://[^\s()<>]+", url):
        return ""
    return f"[{_cell(label)}]({url})"


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def summary(outcomes: Sequence[dict[str, Any]], printed: str, dry_run: bool, code: int) -> str:
    """The step summary: a table of the outcomes, then what the bot printed (the plan, for a dry run)."""
    parts = [SUMMARY_TITLE.format(what=DRY_RUN if dry_run else RUN), ""]
    if outcomes:
        parts.append(TABLE_HEAD)
        for o in outcomes:
            outcome = OK if o["ok"] else FAILED.format(error=o.get("error") or "")
            outcome += WARNED.format(count=len(o["warnings"])) if o.get("warnings") else ""
            number = o.get("issue_number")
            parts.append(TABLE_ROW.format(
                meeting=_cell(o["meeting"]), outcome=_cell(outcome),
                issue=_link(f"#{number}", o.get("issue_url")) if number else "",
                notes=_link("notes", o.get("notes_url")),
            ))
    else:
        parts.append(NO_OUTCOMES.format(code=code))
    if printed.strip():
        fence = _fence(printed)
        language = "diff" if dry_run else "text"
        parts += ["", OUTPUT_HEADER.format(open=" open" if dry_run else ""), f"{fence}{language}",
                  printed.rstrip("\n"), fence, "</details>"]
    return "\n".join(parts) + "\n"


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    args = command(env)
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "outcomes.json"
        code, printed = _tee([sys.executable, "-m", "bot", *args, "--outcomes-json", str(report)])
        outcomes = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else []
    write_outputs(env.get("GITHUB_OUTPUT"), outputs(outcomes))
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as out:
            out.write(summary(outcomes, printed, "--dry-run" in args, code))
    return code


def _tee(argv: list[str]) -> tuple[int, str]:
    """Run the bot: its stdout shown in the job log as it comes and kept for the summary; stderr (the
    log) goes straight to the job log."""
    kept = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, encoding="utf-8", errors="replace") as proc:
        for line in proc.stdout or ():
            sys.stdout.write(line)
            sys.stdout.flush()
            kept.append(line)
    return proc.returncode, "".join(kept)


if __name__ == "__main__":
    sys.exit(main())
