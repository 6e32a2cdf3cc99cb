"""The error family: one base class whose text is the line people read, and the helpers that make it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot import errors
from bot.errors import (
    BotError, ConfigError, Conflict, FeedError, NoOccurrenceOn, ScheduleError, ServiceError, SettingsError,
    TemplateError, UsageError, one_line, unexpected,
)
from bot.model import Problem


@pytest.mark.parametrize(
    "error",
    [UsageError("x"), SettingsError("x"), ConfigError("x"), TemplateError("t.j2", 1, "x"), FeedError("x"),
     NoOccurrenceOn(dt.date(2024, 1, 1), (), "x"), ServiceError("x"), Conflict("x")],
)
def test_every_expected_failure_is_a_bot_error(error):
    assert isinstance(error, BotError)


def test_usage_errors_are_the_ones_that_stop_a_command():
    assert issubclass(SettingsError, UsageError) and issubclass(ConfigError, UsageError)
    assert not issubclass(ServiceError, UsageError) and issubclass(NoOccurrenceOn, ScheduleError)


def test_one_line_is_the_first_line_or_the_kind():
    assert one_line(ServiceError("GitHub said no\nand more detail")) == "GitHub said no"
    assert one_line(ServiceError("")) == "ServiceError"


def test_an_unforeseen_error_names_its_kind_and_points_at_debug():
    assert unexpected(KeyError("k")) == errors.UNEXPECTED.format(kind="KeyError", message="'k'")


def test_a_template_error_is_a_problem_at_its_file_and_line():
    error = TemplateError("t.j2", 4, "broken")
    assert str(error) == "t.j2:4: broken" and error.problem() == Problem(Path("t.j2"), 4, "broken")
