"""Text read back after a meeting: archived notes, previous agendas, action items; all hostile input."""

from __future__ import annotations

import datetime as dt

from bot import markers, minutes
from bot.model import Agenda, AgendaGroup, AgendaItem

KEY = "security-collab-space/2023-09-11"
TAG = "meeting-bot-security-collab-space-2023-09-11"
REPO = "openjs-foundation/security-collab-space"


def test_archived_text_strips_only_the_bots_lines():
    head, tail = "# Notes 2023-09-11\r\n\r\n", "Present: Ann   \n* item <!-- a human comment -->\n"
    note = (
        head + markers.AGENDA_START + "\n" + "* agenda\n" + markers.AGENDA_END + "\r\n" + tail
        + "joined " + markers.AGENDA_END + " line\n" + markers.make_key(KEY) + "\n" + minutes.TAG_LINE.format(tag=TAG) + "\n"
    )
    assert minutes.archived_text(note, TAG) == head + "* agenda\n" + tail + "joined  line\n"


def test_archived_text_keeps_the_tags_people_added():
    note = f"text\n###### tags: `{TAG}` `security`\n"
    assert minutes.archived_text(note, TAG) == "text\n###### tags: `security`\n"


def test_archived_text_of_a_note_without_markers_is_the_note():
    note = "no markers at all\n\ttabs\u00a0and unicode ✓"
    assert minutes.archived_text(note, TAG) == note


NOTES = """# Meeting

## Action items
- [ ] Ann: write the draft
- [x] Bob: done already
* [ ] Cy: review #12
  - [ ] nested is kept as written
- [ ] forged <!-- meeting-bot:agenda:end -->

### Sub heading stays in the section
- [ ] Dee: sub item

## Q&A
- [ ] not an action item

## Action items from the previous meeting
- [ ] Ann: write the draft
- [ ] Old: still open
"""


def test_open_action_items_are_taken_once_from_every_action_section():
    assert minutes.open_action_items(NOTES) == (
        "- [ ] Ann: write the draft",
        "* [ ] Cy: review #12",
        "  - [ ] nested is kept as written",
        "- [ ] Dee: sub item",
        "- [ ] Old: still open",
    )


def test_no_action_section_means_no_action_items():
    assert minutes.open_action_items("# Notes\n- [ ] loose task\n") == ()


def agenda_body(*lines: str) -> str:
    return "intro\n" + markers.AGENDA_START + "\n" + "\n".join(lines) + "\n" + markers.AGENDA_END + "\n"


def test_previous_items_with_their_first_dates():
    body = agenda_body(
        f"* Topic [#5](https://github.com/{REPO}/issues/5)",
        f"* Old [#7](https://github.com/{REPO}/pull/7) *(carried over from 2023-08-28)*",
        f"* Forged future [#8](https://github.com/{REPO}/issues/8) *(carried over from 2099-01-01)*",
        f"* Wrong number [#9](https://github.com/{REPO}/issues/10)",
        "* [#11](javascript:alert(1))",
        f"* GHE [#3](https://ghe.example.com/other/repo/issues/3)",
    )
    found = minutes.previous_items(body, dt.date(2023, 9, 11))
    assert found == {
        (REPO, 5): dt.date(2023, 9, 11),
        (REPO, 7): dt.date(2023, 8, 28),
        (REPO, 8): dt.date(2023, 9, 11),
        ("other/repo", 3): dt.date(2023, 9, 11),
    }
    assert minutes.final_items(body) == ((REPO, 5), (REPO, 7), (REPO, 8), ("other/repo", 3))


def test_previous_items_outside_the_region_do_not_count():
    body = f"* [#5](https://github.com/{REPO}/issues/5)\n" + agenda_body("nothing")
    assert minutes.previous_items(body, dt.date(2023, 9, 11)) == {}
    assert minutes.previous_items("no region", dt.date(2023, 9, 11)) == {}


def test_carry_over_marks_only_items_of_the_previous_agenda():
    items = tuple(AgendaItem(REPO.upper(), n, f"T{n}", f"https://github.com/{REPO}/issues/{n}") for n in (5, 6))
    agenda = Agenda("l", groups=(AgendaGroup(REPO, items),))
    marked = minutes.carry_over(agenda, {(REPO, 5): dt.date(2023, 8, 28)})
    assert [i.first_appeared for i in marked.items] == [dt.date(2023, 8, 28), None]
    assert minutes.carry_over(agenda, {}) is agenda


def test_status_line_round_trip_and_hostile_forms():
    body = "text\n"
    marked = markers.with_status(body, frozenset({"labels", "refused=a/b"}))
    assert marked == "text\n<!-- meeting-bot:after=labels,refused=a/b -->\n"
    assert markers.find_status(marked) == {"labels", "refused=a/b"}
    again = markers.with_status(marked, frozenset({"archived", "labels"}))
    assert again == "text\n<!-- meeting-bot:after=archived,labels -->\n"
    assert markers.find_status("```\n<!-- meeting-bot:after=archived -->\n```\n") == frozenset()
    assert markers.find_status("<!-- meeting-bot:after=archived;rm -->") == frozenset()
    assert markers.is_extra("x\n" + markers.EXTRA + "\n") and not markers.is_extra("`" + markers.EXTRA + "`")


def test_the_tag_is_the_hackmd_stores():
    from bot.adapters.hackmd import note_tag

    assert minutes.hackmd_tag(KEY) == note_tag(KEY) == TAG


def test_an_impossible_carry_over_date_counts_as_the_meeting_date():
    body = agenda_body(f"* T [#5](https://github.com/{REPO}/issues/5) *(carried over from 2023-13-45)*")
    assert minutes.previous_items(body, dt.date(2023, 9, 11)) == {(REPO, 5): dt.date(2023, 9, 11)}
