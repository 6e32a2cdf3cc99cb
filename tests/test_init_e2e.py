"""`meeting-bot init`: a first meeting file a new user edits, valid at once, never over an existing one (issue #16)."""

from __future__ import annotations

import tomllib

from bot import init as init_mod
from bot.commands import CHECK_OK
from bot.config import UNKNOWN_ZONE
from bot.suggest import DID_YOU_MEAN, zone_hint

NOW = "2026-12-01T20:00:00Z"  # a Tuesday: the first meeting is put on Monday 2026-12-07


def test_init_writes_a_commented_valid_meeting_file_and_prints_the_next_steps(bot):
    result = bot("init", "--id", "wg", "--repo", "acme/meetings", "--label", "wg-agenda",
                 "--timezone", "Europe/Berlin", "--now", NOW)
    assert result.returncode == 0, result.stderr
    path = bot.cwd / "config" / "wg.toml"
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["repo"] == "acme/meetings" and data["agenda"]["label"] == "wg-agenda"
    assert data["schedule"]["timezone"] == "Europe/Berlin" and data["schedule"]["start"].isoformat() == "2026-12-07T16:00:00"
    assert sum(1 for line in text.splitlines() if "#" in line) >= 15  # commented, for the chair to edit
    assert "# invitees = " in text and "# recording_url = " in text  # the [vars] options, ready to switch on
    lines = result.stdout.splitlines()
    assert lines[0] == init_mod.WROTE.format(path="config/wg.toml")
    assert "next steps:" in lines and any("meeting-bot run --dry-run" in line for line in lines)
    assert not (bot.cwd / "templates").exists()  # only when asked
    check = bot("check")
    assert check.returncode == 0 and check.stdout.strip() == CHECK_OK.format(count=1, names="wg")


def test_init_refuses_to_overwrite_a_meeting_file(bot):
    assert bot("init", "--id", "wg", "--repo", "acme/meetings").returncode == 0
    path = bot.cwd / "config" / "wg.toml"
    path.write_text(path.read_text() + "# the chair's own edit\n")
    again = bot("init", "--id", "wg", "--repo", "acme/other")
    assert again.returncode == 2
    assert again.stderr.strip() == init_mod.EXISTS.format(path="config/wg.toml")
    assert path.read_text().endswith("# the chair's own edit\n")


def test_init_copies_the_default_templates_only_when_asked_and_never_over_ones_there(bot):
    done = bot("init", "--id", "wg", "--repo", "acme/meetings", "--templates")
    assert done.returncode == 0, done.stderr
    copied = sorted(p.name for p in (bot.cwd / "templates").iterdir())
    assert copied == ["announce.md.j2", "event.txt.j2", "index.html.j2", "issue.md.j2", "notes.md.j2"]  # site page, announcements too
    assert init_mod.COPIED.format(path="templates/issue.md.j2") in done.stdout.splitlines()
    refused = bot("init", "--id", "second", "--repo", "acme/meetings", "--templates")
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert not (bot.cwd / "config" / "second.toml").exists()  # nothing half-written


def test_init_with_a_mistyped_zone_writes_nothing_and_suggests_the_zone(bot):
    result = bot("init", "--id", "wg", "--repo", "acme/meetings", "--timezone", "Europe/Londn")
    assert result.returncode == 2
    assert UNKNOWN_ZONE.format(key="schedule.timezone", value="Europe/Londn", hint=zone_hint("Europe/Londn")) in result.stderr
    assert DID_YOU_MEAN.format(match="Europe/London") in result.stderr
    assert not (bot.cwd / "config").exists()


def test_init_needs_a_repository_and_a_usable_id(bot):
    missing = bot("init", "--id", "wg")
    assert missing.returncode == 2 and missing.stderr.strip() == init_mod.NEEDS_REPO
    from_actions = bot("init", "--id", "wg", env={"GITHUB_REPOSITORY": "acme/meetings"})
    assert from_actions.returncode == 0, from_actions.stderr
    bad = bot("init", "--id", "Bad Id", "--repo", "acme/meetings")
    assert bad.returncode == 2 and "--id 'Bad Id'" in bad.stderr


def test_a_quoted_label_cannot_break_out_of_its_toml_string(bot):
    result = bot("init", "--id", "wg", "--repo", "acme/meetings", "--label", 'x"\nrepo = "evil/repo')
    assert result.returncode == 2  # a label on two lines is refused by check, and nothing is written
    assert not (bot.cwd / "config" / "wg.toml").exists()
    ok = bot("init", "--id", "wg", "--repo", "acme/meetings", "--label", 'say "hi"')
    assert ok.returncode == 0, ok.stderr
    assert tomllib.loads((bot.cwd / "config" / "wg.toml").read_text())["agenda"]["label"] == 'say "hi"'
