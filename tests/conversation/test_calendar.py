"""Tests for bot.conversation.calendar: the .ics is parsed back with icalendar."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from bot.conversation.calendar import PRODID, file_name, hearing_ics
from bot.i18n import gettext, use_locale
from bot.knowledge.library import Library
from bot.knowledge.topics import Topic

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HEARING = "hearing-paz-2026-04-28"
ALMATY = ZoneInfo("Asia/Almaty")


def parse(data: bytes) -> Calendar:
    """Check the physical lines (CRLF, ≤ 75 octets, whole UTF-8 characters), then parse."""
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    physical = data[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert max(len(line) for line in physical) <= 75
    for line in physical:
        line.decode("utf-8")  # a fold never splits a character
    return Calendar.from_ical(data)


def only(calendar: Calendar, name: str) -> Component:
    (component,) = calendar.walk(name)
    return component


def hearing(library: Library, lang: str = "ru") -> Topic:
    topic = library.kb.get(HEARING, lang)
    assert topic is not None and topic.hearing is not None
    return topic


def edited(topic: Topic, **changes: object) -> Topic:
    assert topic.hearing is not None
    return dataclasses.replace(topic, hearing=dataclasses.replace(topic.hearing, **changes))


def test_ics_is_a_valid_calendar_with_the_event_in_almaty_time(library: Library) -> None:
    topic = hearing(library)
    assert topic.hearing is not None
    calendar = parse(hearing_ics(topic, now=NOW))
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"] == PRODID
    timezone = only(calendar, "VTIMEZONE")
    assert timezone["TZID"] == "Asia/Almaty"
    for observance in timezone.walk("STANDARD"):
        assert observance.decoded("TZOFFSETTO") == timedelta(hours=5)
    assert timezone.walk("DAYLIGHT") == []
    event = only(calendar, "VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Almaty"
    assert event["DTEND"].params["TZID"] == "Asia/Almaty"
    assert event.decoded("DTSTART") == datetime(2026, 4, 28, 10, 0, tzinfo=ALMATY)
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=5)
    assert event.decoded("DTEND") == datetime(2026, 4, 28, 12, 0, tzinfo=ALMATY)
    assert event["DTSTAMP"].to_ical() == b"20260301T090000Z"
    assert event["UID"] == "hearing-paz-2026-04-28-20260428T100000@zanbot"
    assert event["SUMMARY"] == topic.title
    assert event["LOCATION"] == topic.hearing.place
    assert topic.hearing.online_url in event["DESCRIPTION"]
    assert "851 7336 7660" in event["DESCRIPTION"] and "849644" in event["DESCRIPTION"]
    assert event["URL"] == topic.hearing.online_url


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_ics_texts_follow_the_topic_language_and_round_trip(library: Library, lang: str) -> None:
    topic = hearing(library, lang)
    assert topic.hearing is not None
    event = only(parse(hearing_ics(topic, now=NOW)), "VEVENT")
    assert event["SUMMARY"] == topic.title  # Cyrillic (and Kazakh қ, ғ, ұ) intact after folding
    assert event["LOCATION"] == topic.hearing.place
    with use_locale(lang):
        initiator = gettext("Initiator:")
    lines = str(event["DESCRIPTION"]).split("\n")
    assert lines[0] == f"{initiator} {topic.hearing.initiator}"
    assert lines[-1] == topic.hearing.contact


def test_ics_of_both_languages_share_the_uid(library: Library) -> None:
    russian = only(parse(hearing_ics(hearing(library, "ru"), now=NOW)), "VEVENT")
    kazakh = only(parse(hearing_ics(hearing(library, "kk"), now=NOW)), "VEVENT")
    assert russian["UID"] == kazakh["UID"]
    assert russian["DESCRIPTION"] != kazakh["DESCRIPTION"]


def test_duration_and_a_hearing_without_place_or_link(library: Library) -> None:
    topic = hearing(library)
    bare = edited(
        topic, place="", online_url=None, documents_url=None, initiator="", contact="",
        conference_id=None, access_code=None, comment_deadline_working_days=None,
    )  # fmt: skip
    event = only(parse(hearing_ics(bare, now=NOW, duration=timedelta(minutes=90))), "VEVENT")
    assert event.decoded("DTEND") == datetime(2026, 4, 28, 11, 30, tzinfo=ALMATY)
    assert {"LOCATION", "DESCRIPTION", "URL"} & set(event) == set()
    assert file_name(topic) == "hearing-paz-2026-04-28.ics"


def test_separators_and_line_breaks_in_texts_round_trip(library: Library) -> None:
    text = "a,b;c\\d\ne: " + "Жалоба, ұсыныс; " * 12
    topic = dataclasses.replace(edited(hearing(library), place=text, contact=text), title=text)
    data = hearing_ics(topic, now=NOW)
    assert b"a\\,b\\;c\\\\d\\ne" in data  # escaped on the wire, not only after parsing
    event = only(parse(data), "VEVENT")
    assert event["SUMMARY"] == text and event["LOCATION"] == text
    assert str(event["DESCRIPTION"]).endswith("\n" + text)


def test_a_hearing_in_another_zone_gets_that_zone(library: Library) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    topic = edited(hearing(library), starts=datetime(2026, 7, 1, 18, 0, tzinfo=berlin))
    calendar = parse(hearing_ics(topic, now=NOW))
    assert only(calendar, "VTIMEZONE")["TZID"] == "Europe/Berlin"
    event = only(calendar, "VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=2)  # summer time
    assert event["UID"] == "hearing-paz-2026-04-28-20260701T180000@zanbot"


def test_a_topic_without_a_hearing_is_refused(library: Library) -> None:
    topic = dataclasses.replace(hearing(library), hearing=None)
    with pytest.raises(ValueError, match="not a hearing"):
        hearing_ics(topic, now=NOW)
