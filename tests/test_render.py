"""Tests of rendering: the default notes match the reference, the sandbox holds, errors point at FILE:LINE."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot
from bot import config, escape, markers, render, render_check
from bot.render_check import check_templates
from bot.model import (
    Agenda, AgendaConfig, AgendaGroup, AgendaItem, CalendarConfig, CalendarProvider, IssueConfig,
    NotesConfig, NotesProvider, Occurrence, SectionGroup,
)
from bot.render import Links, RenderError, Renderer, build_context
from tests.factories import CALENDAR_URL, JOIN_URL, MEETING_REPO, make_meeting

REFERENCE = Path(__file__).parent / "samples" / "notes-2023-09-11-security-collab-space.md"
ISSUE_URL = "https://github.com/openjs-foundation/security-collab-space/issues/59"
LA = ZoneInfo("America/Los_Angeles")
KEY = "security-collab-space/2023-09-11"
ITEM = re.compile(r"^\* .+ \[#\d+\]\(https://\S+\)$")
MENTION = re.compile(r"@[A-Za-z0-9]")

# The reference's linked agenda items, in the reference's order.
REFERENCE_ITEMS = (
    (53, "Discuss: Request for Information on Open-Source Software Security: Areas of Long-Term Focus and Prioritization"),
    (50, 'Get Feedback On Draft "OpenSSF Best Practices Badge for JS Projects"'),
    (45, "Create a prescriptive best practices toolchain"),
    (17, "Milestone: Compliance Report / Audits / Dashboard Created And Populated By Tier 2 Projects"),
    (18, "Milestone: SBOM Generation /  Tooling Best Practices Created"),
)
CONTEXT_KEYS = {
    "meeting", "name", "date", "occurrence", "title", "agenda", "links", "vars", "times",
    "world_clock_url", "markers", "action_items",
}


def occurrence(day: dt.date = dt.date(2023, 9, 11), **overrides) -> Occurrence:
    start = dt.datetime(day.year, day.month, day.day, 8, 30, tzinfo=LA)
    values = dict(meeting_id="security-collab-space", start=start, end=start + dt.timedelta(hours=1),
                  timezone="America/Los_Angeles")
    values.update(overrides)
    return Occurrence(**values)


def item(number: int, title: str, repo: str = MEETING_REPO) -> AgendaItem:
    return AgendaItem(repo, number, title, f"https://github.com/{repo}/issues/{number}")


def agenda(items=REFERENCE_ITEMS, orgs=("openjs-foundation",), repos=()) -> Agenda:
    group = AgendaGroup(MEETING_REPO, tuple(item(number, title) for number, title in items))
    return Agenda("security-agenda", orgs, repos, (group,) if items else ())


def context(meeting=None, links=Links(ISSUE_URL), items=REFERENCE_ITEMS, **agenda_args):
    meeting = meeting or make_meeting()
    title = Renderer().title(meeting, occurrence())
    return build_context(meeting, occurrence(), agenda(items, **agenda_args), links, title)


def render_text(tmp_path: Path, source: str, ctx=None) -> str:
    """`source` rendered as a template file of a templates directory (the event template: no key line is added)."""
    (tmp_path / "probe.txt.j2").write_text(source, encoding="utf-8")
    ctx = ctx or context()
    meeting = dataclasses.replace(ctx.meeting, calendar=CalendarConfig(template="probe.txt.j2"))
    return Renderer(tmp_path).event(build_context(meeting, ctx.occurrence, ctx["agenda"], ctx["links"], ctx["title"]))


def reference_lines() -> list[str]:
    return REFERENCE.read_text(encoding="utf-8").splitlines()


def default_notes(items=REFERENCE_ITEMS) -> list[str]:
    return Renderer().notes(context(items=items)).splitlines()


def headings(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("#")]


def test_notes_headings_are_the_references_in_order():
    assert headings(default_notes()) == headings(reference_lines())


def test_notes_extracted_line_is_the_references():
    extracted = [line for line in reference_lines() if line.startswith("*Extracted")]
    assert len(extracted) == 1
    assert extracted[0] in default_notes()


def test_notes_agenda_items_are_the_references():
    ordered_by_number = sorted(REFERENCE_ITEMS)
    reference_items = {line for line in reference_lines() if ITEM.match(line)}
    assert len(reference_items) == 5
    assert {line for line in default_notes(ordered_by_number) if ITEM.match(line)} == reference_items


def test_notes_links_and_calendar_lines_are_the_references():
    notes, reference = default_notes(), reference_lines()
    for line in (f"* **GitHub Issue**: {ISSUE_URL}", f"* **Calendar**: <{CALENDAR_URL}>",
                 "Click `+GoogleCalendar` at the bottom right to add to your own Google calendar."):
        assert line in reference and line in notes
    assert "* **Recording**: " in notes
    assert any(line.startswith("* **Recording**: https://") for line in reference)


def hand_written(lines: list[str]) -> set[int]:
    """Indexes of what people wrote into the reference: attendees, the unlinked item, sub-bullets, a note."""
    present = lines.index("## Present")
    found = {i for i in range(present + 1, lines.index("## Agenda")) if lines[i].startswith("* ")}
    found |= {i for i, line in enumerate(lines) if line.startswith(" ") or line.startswith("* Amir")}
    note = lines.index("Matt feedback re: expectation of projects for generating SBOMs:")
    return found | set(range(note, lines.index("", note)))


def skeleton(lines: list[str]) -> list[str]:
    """Lines with runs of blank lines made one, recording filled in the same way."""
    out: list[str] = []
    for line in lines:
        line = "* **Recording**: " if line.startswith("* **Recording**:") else line
        if line or (out and out[-1]):
            out.append(line)
    return out


def test_notes_have_the_references_shape_line_for_line():
    reference = reference_lines()
    drop = hand_written(reference)
    expected = skeleton([line for i, line in enumerate(reference) if i not in drop])
    bot_lines = {markers.AGENDA_START, markers.AGENDA_END, markers.make_key(KEY)}
    assert skeleton([line for line in default_notes() if line not in bot_lines]) == expected


def test_notes_keep_the_announcements_heading_outside_the_agenda_region():
    region = markers.find_region(Renderer().notes(context()), markers.AGENDA)
    assert region.startswith("\n*Extracted") and "### Announcements" not in region
    assert region.rstrip("\n").endswith(f"[#18](https://github.com/{MEETING_REPO}/issues/18)")


def test_the_extracted_line_names_every_org_and_repository():
    notes = Renderer().notes(context(orgs=("a", "b"), repos=("owner/repo",)))
    assert ("*Extracted from **security-agenda** labeled issues and pull requests from the **a org**, "
            "the **b org** and **owner/repo** prior to the meeting.") in notes


def test_an_empty_agenda_still_has_its_region():
    for body in (Renderer().notes(context(items=())), Renderer().issue(context(items=()))):
        assert "No open issue or pull request carries the **security-agenda** label yet." in body
        assert markers.find_region(body, markers.AGENDA) is not None


def test_issue_has_times_world_clock_links_and_the_agenda_region():
    body = Renderer().issue(context(links=Links(ISSUE_URL, "https://example.com/notes")))
    assert "| US / Pacific | Mon 11-Sep-2023 08:30 (08:30 AM) | Mon 11-Sep-2023 09:30 (09:30 AM) |" in body
    assert "https://www.timeanddate.com/worldclock/fixedtime.html?" in body
    assert f"* **Join**: {JOIN_URL}" in body
    assert "* **Notes**: https://example.com/notes" in body
    assert f"* **Calendar**: <{CALENDAR_URL}>" in body
    assert markers.find_region(body, markers.AGENDA).count("\n* ") == 5
    assert markers.find_region(body, markers.LINKS) is not None


def test_issue_leaves_out_the_notes_link_when_there_are_no_notes():
    assert "**Notes**" not in Renderer().issue(context(links=Links(ISSUE_URL, None)))


def test_issue_and_notes_items_have_the_same_lines():
    ctx = context()
    items = [line for line in Renderer().issue(ctx).splitlines() if ITEM.match(line)]
    assert items == [line for line in Renderer().notes(ctx).splitlines() if ITEM.match(line)]


def test_every_issue_and_notes_body_carries_the_key_once():
    ctx = context()
    for body in (Renderer().issue(ctx), Renderer().notes(ctx)):
        assert markers.find_key(body) == KEY
        assert body.endswith(markers.make_key(KEY) + "\n") and body.count("meeting-bot:key=") == 1


def test_a_template_that_places_the_key_gets_no_second_one(tmp_path):
    (tmp_path / "issue.md.j2").write_text("{{ markers.key }}\n{{ markers.agenda_start }}{{ markers.agenda_end }}")
    body = Renderer(tmp_path).issue(context())
    assert body.count("meeting-bot:key=") == 1 and body.startswith(markers.make_key(KEY))


def test_a_key_goes_on_its_own_line():
    assert render._with_key("no newline", KEY) == f"no newline\n{markers.make_key(KEY)}\n"
    assert render._with_key("", KEY) == f"{markers.make_key(KEY)}\n"


def test_event_is_plain_text_with_agenda_and_links():
    ctx = context(links=Links(ISSUE_URL, "https://example.com/notes"), items=((7, "<b>Bold</b> & @x"),))
    text = Renderer().event(ctx)
    assert f"- &lt;b&gt;Bold&lt;/b&gt; &amp; @x (#7) https://github.com/{MEETING_REPO}/issues/7" in text
    assert MEETING_REPO in text.splitlines()
    for line in (f"Issue: {ISSUE_URL}", "Notes: https://example.com/notes", f"Join: {JOIN_URL}"):
        assert line in text
    assert "meeting-bot:key" not in text


def test_context_has_the_documented_keys():
    ctx = context()
    assert set(ctx) == CONTEXT_KEYS and len(ctx) == len(CONTEXT_KEYS)
    assert ctx["date"] == "2023-09-11" and ctx["name"] == make_meeting().name
    assert ctx["occurrence"].key == KEY and ctx["occurrence"].start_utc.hour == 15
    assert ctx["meeting"].timezone == "America/Los_Angeles"
    assert ctx["markers"].agenda_start == markers.AGENDA_START


def test_calendar_and_join_links_come_from_vars_unless_given():
    assert context()["links"] == Links(ISSUE_URL, None, CALENDAR_URL, JOIN_URL)
    given_links = Links(ISSUE_URL, None, "https://cal", "https://join")
    assert context(links=given_links)["links"] == given_links


def test_slot_vars_override_meeting_vars():
    ctx = build_context(make_meeting(), occurrence(vars={"join_url": "https://slot"}), agenda(), Links(), "T")
    assert ctx["vars"]["join_url"] == "https://slot" and ctx["links"].join == "https://slot"


def test_the_context_carries_the_rendered_title():
    assert context()["title"] == "OpenJS Foundation Security Collab Space Meeting 2023-09-11"


def test_title_is_one_line_and_at_most_256_characters():
    meeting = make_meeting(title="{{ name }}\n{{ vars.extra }} {{ date }}", vars={"extra": "x" * 300})
    title = Renderer().title(meeting, occurrence())
    assert "\n" not in title and len(title) == render.TITLE_LIMIT and title.endswith("…")


def test_title_sees_name_date_meeting_occurrence_and_vars():
    meeting = make_meeting(title="{{ meeting.id }} {{ occurrence.start|fmt('%H:%M') }} {{ vars.calendar_url }}")
    assert Renderer().title(meeting, occurrence()) == f"security-collab-space 08:30 {CALENDAR_URL}"


def meeting_file(tmp_path: Path, title: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(
        f'name = "M"\nrepo = "o/r"\ntitle = "{title}"\n\n[notes]\npath = "x"\n\n'
        '[schedule]\ntimezone = "UTC"\nstart = 2024-01-01T12:00:00\n\n[agenda]\nlabel = "a"\n',
        encoding="utf-8",
    )
    return path


def loaded(path: Path):
    """The meeting as `config` loads it from its file, with the lines of its settings."""
    meeting, problems = config.load_meeting(path, lambda name: True)
    assert problems == [] and meeting is not None
    return meeting


def test_title_errors_point_at_the_title_setting(tmp_path):
    meeting = dataclasses.replace(loaded(meeting_file(tmp_path, "{{ nope }}")), title="{{ nope }}")
    with pytest.raises(RenderError) as caught:
        Renderer().title(meeting, occurrence())
    assert str(caught.value) == f"{tmp_path / 'm.toml'}:3: 'nope' is undefined"


def test_an_empty_title_is_an_error():
    with pytest.raises(RenderError, match=render.EMPTY_TITLE):
        Renderer().title(make_meeting(title="{{ '' }}  "), occurrence())


def test_notes_path_renders_the_default():
    assert Renderer().path(make_meeting().notes.path, context()) == "meetings/2023-09-11.md"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("../{{ date }}.md", render.PATH_PARTS),
        ("meetings//{{ date }}.md", render.PATH_PARTS),
        ("./x.md", render.PATH_PARTS),
        ("/etc/{{ date }}", render.PATH_ABSOLUTE),
        ("C:/x.md", render.PATH_ABSOLUTE),
        ("meetings\\{{ date }}.md", render.PATH_BACKSLASH),
        ("{{ '' }} ", render.PATH_EMPTY),
        ("a\nb.md", render.PATH_CONTROL),
    ],
)
def test_notes_path_must_stay_inside_the_repository(tmp_path, template, message):
    meeting = loaded(meeting_file(tmp_path, "t"))
    with pytest.raises(RenderError) as caught:
        Renderer().path(template, build_context(meeting, occurrence(), agenda(), Links(), "t"))
    assert caught.value.message.startswith(message.split("{path")[0].format(setting="notes.path"))
    assert caught.value.line == 6 and caught.value.template == str(meeting.source)


def test_a_template_error_names_its_own_line(tmp_path):
    with pytest.raises(RenderError) as caught:
        render_text(tmp_path, "a\nb\n{{ missing }}")
    assert (caught.value.template, caught.value.line) == (str(tmp_path / "probe.txt.j2"), 3)


def test_series_joins_any_list(tmp_path):
    assert render_text(tmp_path, "{{ ['x', 'y', 'z']|series }}") == "x, y and z"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ occurrence.start|utc|fmt('%H:%M %Z') }}", "15:30 UTC"),
        ("{{ occurrence.start|tz('Asia/Tokyo')|fmt('%d %H:%M') }}", "12 00:30"),
        ("{{ ['a']|series }}|{{ []|series }}|{{ ['a', 'b']|series }}", "a||a and b"),
        ("{{ '@x <b>'|md }}", "@\u2060x &lt;b>"),
        ("{{ '<b>\n'|plain }}", "&lt;b&gt;"),
    ],
)
def test_filters(tmp_path, source, expected):
    assert render_text(tmp_path, source) == expected


def test_an_unknown_zone_is_a_render_error(tmp_path):
    with pytest.raises(RenderError, match="unknown time zone 'Mars/Base'"):
        render_text(tmp_path, "{{ occurrence.start|tz('Mars/Base') }}")


def test_undefined_names_are_errors(tmp_path):
    with pytest.raises(RenderError, match="'nope' is undefined"):
        render_text(tmp_path, "{{ nope }}")
    with pytest.raises(RenderError, match="has no attribute 'nope'"):
        render_text(tmp_path, "{{ links.nope }}")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ meeting.__class__.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ agenda.groups[0].items[0].url.format.__self__ }}",
        "{{ ().__class__.__bases__[0].__subclasses__() }}",
    ],
)
def test_sandbox_keeps_python_internals_out_of_reach(tmp_path, source):
    with pytest.raises(RenderError):
        render_text(tmp_path, source)


def test_any_python_error_in_a_template_is_a_render_error(tmp_path):
    with pytest.raises(RenderError, match="ZeroDivisionError"):
        render_text(tmp_path, "{{ 1 / 0 }}")


def test_render_errors_in_template_files_name_the_file_and_line(tmp_path):
    (tmp_path / "issue.md.j2").write_text("one\ntwo\n{{ agenda.nope }}\n")
    with pytest.raises(RenderError) as caught:
        Renderer(tmp_path).issue(context())
    assert str(caught.value).startswith(f"{tmp_path / 'issue.md.j2'}:3: ")


def test_a_missing_template_is_a_render_error(tmp_path):
    meeting = make_meeting(issue=IssueConfig(template="nope.md.j2"))
    with pytest.raises(RenderError, match="template 'nope.md.j2' not found"):
        Renderer(tmp_path).issue(context(meeting))


def test_a_user_template_overrides_only_its_own_name(tmp_path):
    (tmp_path / "issue.md.j2").write_text("custom {{ markers.agenda_start }}{{ markers.agenda_end }}\n")
    renderer, ctx = Renderer(tmp_path), context()
    assert renderer.issue(ctx).startswith("custom ")
    assert renderer.notes(ctx) == Renderer().notes(ctx)
    assert renderer.event(ctx) == Renderer().event(ctx)


def test_a_missing_templates_directory_falls_back_to_the_defaults(tmp_path):
    ctx = context()
    assert Renderer(tmp_path / "absent").issue(ctx) == Renderer().issue(ctx)


def test_exists():
    renderer = Renderer()
    assert renderer.exists("notes.md.j2") and not renderer.exists("nope.md.j2")


def test_default_templates_in_a_checkout():
    found = render.default_templates_dir()
    assert found == Path(bot.__file__).parent.parent / "templates"
    assert {"issue.md.j2", "notes.md.j2", "event.txt.j2", "announce.md.j2"} <= {path.name for path in found.iterdir()}


def test_default_templates_when_installed(tmp_path, monkeypatch):
    (tmp_path / "bot" / "default_templates").mkdir(parents=True)
    monkeypatch.setattr(bot, "__file__", str(tmp_path / "bot" / "__init__.py"))
    assert render.default_templates_dir() == tmp_path / "bot" / "default_templates"


def google_meeting(**overrides):
    return make_meeting(calendar=CalendarConfig(CalendarProvider.GOOGLE, "c@group.calendar.google.com"), **overrides)


def test_the_default_templates_pass_the_check():
    assert check_templates(Renderer(), google_meeting()) == []
    assert check_templates(Renderer(), google_meeting(notes=NotesConfig(NotesProvider.HACKMD))) == []


def test_check_reports_a_broken_template_as_file_and_line(tmp_path):
    (tmp_path / "notes.md.j2").write_text("# {{ name }}\n\n{% if %}\n")
    problems = check_templates(Renderer(tmp_path), make_meeting())
    assert [str(problem) for problem in problems] == [f"{tmp_path / 'notes.md.j2'}:3: Expected an expression, got 'end of statement block'"]


def test_check_reports_a_sandbox_escape(tmp_path):
    (tmp_path / "event.txt.j2").write_text("Agenda\n{{ cycler.__init__.__globals__ }}\n")
    problems = check_templates(Renderer(tmp_path), google_meeting())
    assert len(problems) == 1
    assert (problems[0].file, problems[0].line) == (tmp_path / "event.txt.j2", 2)
    assert "unsafe" in problems[0].message


def test_check_reports_a_template_without_the_agenda_region(tmp_path):
    (tmp_path / "issue.md.j2").write_text("{% for group in agenda.groups %}{{ group.repo|md }}\n{% endfor %}")
    problems = check_templates(Renderer(tmp_path), make_meeting())
    assert len(problems) == 1 and problems[0].file == tmp_path / "issue.md.j2"
    assert problems[0].message.endswith("has no agenda region (<!-- meeting-bot:agenda:start --> ... "
                                        "<!-- meeting-bot:agenda:end -->); the bot could not refresh the agenda")


@pytest.mark.parametrize(("name", "text"), [
    ("notes.md.j2", "{{ markers.agenda_start }}{% for i in agenda.items %}{{ i.title }}{% endfor %}{{ markers.agenda_end }}"),
    ("event.txt.j2", "{% for i in agenda.items %}{{ i.title }}{% endfor %}"),
])
def test_check_reports_titles_placed_without_escaping(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    problems = check_templates(Renderer(tmp_path), google_meeting())
    assert len(problems) == 1 and problems[0].file == tmp_path / name
    assert "without |" in problems[0].message


def test_check_reports_a_bad_title_and_a_bad_path(tmp_path):
    source = meeting_file(tmp_path, "{{ nope }}")
    meeting = dataclasses.replace(loaded(source), title="{{ nope }}", notes=NotesConfig(path="../{{ date }}.md"))
    problems = check_templates(Renderer(), meeting)
    assert [(problem.file, problem.line) for problem in problems] == [(source, 3), (source, 6)]


def test_check_leaves_missing_templates_to_the_config_check(tmp_path):
    meeting = make_meeting(issue=IssueConfig(template="absent.md.j2"))
    assert check_templates(Renderer(tmp_path), meeting) == []


def test_check_skips_notes_and_event_that_are_not_used(tmp_path):
    (tmp_path / "notes.md.j2").write_text("{{ broken")
    (tmp_path / "event.txt.j2").write_text("{{ broken")
    assert check_templates(Renderer(tmp_path), make_meeting(notes=NotesConfig(NotesProvider.NONE))) == []


def test_sample_occurrence_for_a_feed_or_a_bad_zone():
    from tests.factories import make_slot

    meeting = make_meeting(slots=(make_slot(start=None, rrule=None, timezone="Not/AZone", ics_url="https://x"),))
    sample = render_check.sample_occurrence(meeting)
    assert sample.start.tzinfo == ZoneInfo("UTC") and sample.end - sample.start == dt.timedelta(hours=1)


def test_render_error_is_a_problem():
    error = RenderError("t.j2", 4, "broken")
    assert str(error) == "t.j2:4: broken" and str(error.problem()) == "t.j2:4: broken"


TITLES = st.one_of(
    st.text(max_size=300),
    st.sampled_from([
        "@octocat", "@org/team", markers.AGENDA_END, markers.AGENDA_START, markers.make_key("x/2020-01-01"),
        "<script>alert(1)</script>", "![x](y)", "```", "# heading", "a\r\nb", "\u202e", "|a|b|",
    ]),
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(TITLES, min_size=1, max_size=4))
def test_hostile_titles_never_reach_the_page(titles):
    ctx = context(items=tuple((number + 1, title) for number, title in enumerate(titles)))
    renderer = Renderer()
    for body in (renderer.issue(ctx), renderer.notes(ctx)):
        assert markers.find_key(body) == KEY
        region = markers.find_region(body, markers.AGENDA)
        assert region is not None
        items = [line for line in region.splitlines() if line.startswith("* ")]
        assert len(items) == len(titles)
        for line in items:
            assert "<" not in line and not MENTION.search(line)
        assert body.count("<!--") == len(re.findall(r"^<!-- meeting-bot:\S+ -->$", body, re.M))


def test_meeting_name_is_escaped_in_the_notes_heading():
    notes = Renderer().notes(context(make_meeting(name="# @team <b>")))
    assert notes.startswith("# \\# @\u2060team &lt;b> 2023-09-11\n")


def test_agenda_config_orgs_do_not_matter_only_the_agenda_does():
    meeting = make_meeting(agenda=AgendaConfig(label="other", orgs=("zzz",)))
    assert "**openjs-foundation org**" in Renderer().notes(context(meeting))


def test_context_is_read_only():
    with pytest.raises(TypeError):
        context().values["title"] = "x"  # type: ignore[index]


def test_a_setting_without_a_known_line_reports_line_one(tmp_path):
    meeting = make_meeting(source=tmp_path / "absent.toml", title="{{ nope }}")
    with pytest.raises(RenderError) as caught:
        Renderer().title(meeting, occurrence())
    assert caught.value.line == 1


@pytest.mark.parametrize("source", ["{{ vars.update({'a': 1}) }}", "{{ agenda.orgs.__len__() }}", "{% set x = [] %}{{ x.append(1) }}"])
def test_templates_cannot_change_anything(tmp_path, source):
    with pytest.raises(RenderError):
        render_text(tmp_path, source)


# Sections and discussions (SPEC section 9)


def sectioned_context(discussions=True):
    decision = AgendaItem("nodejs/node", 4, "Pick <b>one</b> @nodejs/tsc", "https://github.com/nodejs/node/discussions/4",
                          is_discussion=True)
    issue = AgendaItem(MEETING_REPO, 9, "Vote", f"https://github.com/{MEETING_REPO}/issues/9")
    other = AgendaItem(MEETING_REPO, 5, "Idea", f"https://github.com/{MEETING_REPO}/discussions/5", is_discussion=True)
    agenda_value = Agenda("security-agenda", ("openjs-foundation",), (), (AgendaGroup(MEETING_REPO, (other,)),),
                          sections=(SectionGroup("Needs a decision", (decision, issue)),), discussions=discussions)
    return build_context(make_meeting(), occurrence(), agenda_value, Links(ISSUE_URL), "T")


def test_default_templates_put_sections_first_and_mark_discussions():
    for body in (Renderer().notes(sectioned_context()), Renderer().issue(sectioned_context())):
        region = markers.find_region(body, markers.AGENDA)
        lines = [line for line in region.splitlines() if line.startswith(("###", "* "))]
        assert lines == [
            "### Needs a decision",
            f"* {escape.markdown_inline('Pick <b>one</b> @nodejs/tsc')} "
            f"[{escape.markdown_inline('nodejs/node')} discussion #4](https://github.com/nodejs/node/discussions/4)",
            f"* Vote [{escape.markdown_inline(MEETING_REPO)}#9](https://github.com/{MEETING_REPO}/issues/9)",
            f"### {escape.markdown_inline(MEETING_REPO)}",
            f"* Idea [discussion #5](https://github.com/{MEETING_REPO}/discussions/5)",
        ]
        assert "labeled issues, pull requests and discussions from" in body


def test_an_agenda_with_only_sections_is_not_called_empty():
    ctx = sectioned_context(discussions=False)
    only_sections = Agenda("security-agenda", sections=ctx["agenda"].sections)
    body = Renderer().notes(build_context(make_meeting(), occurrence(), only_sections, Links(ISSUE_URL), "T"))
    assert "No open issue" not in body and "### Needs a decision" in body
    assert "labeled issues and pull requests from" in body


def test_an_empty_agenda_with_discussions_says_so():
    empty = Agenda("security-agenda", discussions=True)
    body = Renderer().notes(build_context(make_meeting(), occurrence(), empty, Links(ISSUE_URL), "T"))
    assert "No open issue, pull request or discussion carries the **security-agenda** label yet." in body


def test_check_reports_section_titles_placed_without_escaping(tmp_path):
    source = (render.default_templates_dir() / "notes.md.j2").read_text()
    (tmp_path / "notes.md.j2").write_text(source.replace("* {{ item.title|md }} [{{ item.repo|md }}",
                                                         "* {{ item.title }} [{{ item.repo|md }}"))
    problems = check_templates(Renderer(tmp_path), make_meeting())
    assert [p.message for p in problems] == [render_check.UNESCAPED.format(kind="notes", filter="md")]


def test_the_event_lists_sections_first_and_marks_discussions():
    ctx = sectioned_context()
    meeting = make_meeting(calendar=CalendarConfig(CalendarProvider.GOOGLE, "c@example.com"))
    text = Renderer().event(build_context(meeting, occurrence(), ctx["agenda"], Links(ISSUE_URL), "T"))
    lines = text.splitlines()
    assert lines[0] == "Agenda: issues, pull requests and discussions labeled security-agenda"
    assert lines.index("Needs a decision") < lines.index(MEETING_REPO)
    assert f"- Vote ({MEETING_REPO}#9) https://github.com/{MEETING_REPO}/issues/9" in lines
    assert f"- Idea (discussion #5) https://github.com/{MEETING_REPO}/discussions/5" in lines
    assert "<b>" not in text and "Nothing is on the agenda yet." not in text


def announcing_meeting(**overrides):
    from bot.model import AnnounceConfig

    return make_meeting(announce=AnnounceConfig(targets=("slack",)), **overrides)


@pytest.mark.parametrize("kind", ["created", "reminder", "cancelled", "minutes"])
def test_the_default_announcement_renders_each_kind_with_links(kind):
    meeting = announcing_meeting()
    text = Renderer().announcement(context(meeting), kind)
    assert ISSUE_URL in text and MENTION.search(text) is None
    assert ("Agenda (" in text) == (kind in ("created", "reminder"))
    assert ("cancelled" in text) == (kind == "cancelled")


def test_the_default_announcement_passes_the_check():
    assert check_templates(Renderer(), announcing_meeting()) == []


@pytest.mark.parametrize("filter_", ["", "|md"])
def test_check_reports_announcement_titles_not_escaped_for_chat(tmp_path, filter_):
    (tmp_path / "announce.md.j2").write_text("{% for i in agenda.items %}{{ i.title" + filter_ + " }}\n{% endfor %}")
    problems = check_templates(Renderer(tmp_path), announcing_meeting())
    assert [p.message for p in problems] == [render.UNESCAPED.format(kind="announce", filter="chat")]
    assert check_templates(Renderer(tmp_path), make_meeting()) == []  # no targets: the template is not used


def test_check_reports_an_announcement_that_fails_for_one_kind(tmp_path):
    (tmp_path / "announce.md.j2").write_text("{% if kind == 'minutes' %}{{ nope }}{% endif %}\n")
    problems = check_templates(Renderer(tmp_path), announcing_meeting())
    assert len(problems) == 1 and "nope" in problems[0].message


# After the meeting (SPEC: action items, carry-over, the archive path)


def test_notes_gain_the_action_items_section_only_when_there_are_some():
    plain = Renderer().notes(context())
    assert "Action items from the previous meeting" not in plain
    ctx = build_context(make_meeting(), occurrence(), agenda(), Links(ISSUE_URL), "T", action_items=("- [ ] Ship it (@a)",))
    lines = Renderer().notes(ctx).splitlines()
    at = lines.index("## Action items from the previous meeting")
    assert lines[at - 2 : at + 3] == ["## Present", "", "## Action items from the previous meeting", "", "- [ ] Ship it (@a)"]
    assert headings(lines) == [*headings(reference_lines())[:3], "## Action items from the previous meeting",
                               *headings(reference_lines())[3:]]


def test_a_carried_over_item_is_marked_with_its_first_date():
    carried = AgendaItem(MEETING_REPO, 7, "Old topic", f"https://github.com/{MEETING_REPO}/issues/7",
                         first_appeared=dt.date(2023, 8, 28))
    ctx = build_context(make_meeting(), occurrence(), Agenda("security-agenda", groups=(AgendaGroup(MEETING_REPO, (carried,)),)),
                        Links(ISSUE_URL), "T")
    line = f"* Old topic [#7](https://github.com/{MEETING_REPO}/issues/7) *(carried over from 2023-08-28)*"
    assert line in Renderer().notes(ctx).splitlines() and line in Renderer().issue(ctx).splitlines()


def test_check_renders_the_archive_path_of_hackmd_notes(tmp_path):
    source = meeting_file(tmp_path, "t")
    text = source.read_text(encoding="utf-8") + '\n[after]\narchive_path = "../{{ date }}.md"\n'
    source.write_text(text, encoding="utf-8")
    hackmd = dataclasses.replace(loaded(source), notes=NotesConfig(NotesProvider.HACKMD))
    (problem,) = check_templates(Renderer(), hackmd)
    where = text.splitlines().index('archive_path = "../{{ date }}.md"') + 1
    assert problem.line == where and problem.message.startswith("after.archive_path must not have empty")
    assert check_templates(Renderer(), dataclasses.replace(hackmd, notes=NotesConfig())) == []
