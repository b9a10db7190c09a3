"""Tests for bot.conversation.calendar: the .ics is parsed back with a tiny RFC 5545 reader."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from bot.conversation.calendar import escape_text, file_name, fold, hearing_ics
from bot.knowledge.library import Library
from bot.knowledge.topics import Topic

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HEARING = "hearing-paz-2026-04-28"


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)


def parse(data: bytes) -> list[tuple[str, dict[str, str], str]]:
    """Check the physical lines (CRLF, ≤ 75 octets), unfold, and split into properties."""
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert max(len(line) for line in physical) <= 75
    logical: list[str] = []
    for line in physical:
        text = line.decode("utf-8")  # a fold never splits a character
        if text.startswith(" "):
            logical[-1] += text[1:]
        else:
            logical.append(text)
    properties = []
    for line in logical:
        head, _sep, value = line.partition(":")
        name, *params = head.split(";")
        properties.append((name, dict(p.split("=", 1) for p in params), value))
    return properties


def components(properties: list[tuple[str, dict[str, str], str]]) -> dict[str, dict[str, tuple]]:
    """Map each component (by the innermost BEGIN) to its properties; check the nesting."""
    stack: list[str] = []
    found: dict[str, dict[str, tuple]] = {}
    for name, params, value in properties:
        if name == "BEGIN":
            stack.append(value)
            found[value] = {}
        elif name == "END":
            assert stack.pop() == value
        else:
            found[stack[-1]][name] = (params, value)
    assert stack == []
    return found


def hearing(library: Library, lang: str = "ru") -> Topic:
    topic = library.kb.get(HEARING, lang)
    assert topic is not None and topic.hearing is not None
    return topic


def test_ics_is_a_valid_calendar_with_the_event_in_almaty_time(library: Library) -> None:
    topic = hearing(library)
    data = hearing_ics(topic, now=NOW)
    properties = parse(data)
    assert (properties[0], properties[-1]) == (("BEGIN", {}, "VCALENDAR"), ("END", {}, "VCALENDAR"))
    found = components(properties)
    assert found["VCALENDAR"]["VERSION"] == ({}, "2.0")
    assert found["VTIMEZONE"]["TZID"] == ({}, "Asia/Almaty")
    assert found["STANDARD"]["TZOFFSETTO"] == ({}, "+0500")
    assert found["STANDARD"]["TZOFFSETFROM"] == ({}, "+0500")
    event = found["VEVENT"]
    assert event["DTSTART"] == ({"TZID": "Asia/Almaty"}, "20260428T100000")
    assert event["DTEND"] == ({"TZID": "Asia/Almaty"}, "20260428T120000")
    assert event["DTSTAMP"] == ({}, "20260301T090000Z")
    assert event["UID"] == ({}, "hearing-paz-2026-04-28-20260428T100000@zanbot")
    assert unescape(event["SUMMARY"][1]) == topic.title
    assert topic.hearing is not None
    assert unescape(event["LOCATION"][1]) == topic.hearing.place
    description = unescape(event["DESCRIPTION"][1])
    assert topic.hearing.online_url in description
    assert "851 7336 7660" in description and "849644" in description
    assert event["URL"] == ({}, topic.hearing.online_url)


def test_ics_texts_follow_the_topic_language(library: Library) -> None:
    russian = components(parse(hearing_ics(hearing(library, "ru"), now=NOW)))
    kazakh = components(parse(hearing_ics(hearing(library, "kk"), now=NOW)))
    assert unescape(kazakh["VEVENT"]["SUMMARY"][1]) == hearing(library, "kk").title
    assert russian["VEVENT"]["UID"] == kazakh["VEVENT"]["UID"]
    assert russian["VEVENT"]["DESCRIPTION"] != kazakh["VEVENT"]["DESCRIPTION"]


def test_duration_and_a_hearing_without_place_or_link(library: Library) -> None:
    topic = hearing(library)
    assert topic.hearing is not None
    bare = dataclasses.replace(
        topic,
        hearing=dataclasses.replace(
            topic.hearing, place="", online_url=None, documents_url=None, initiator="",
            contact="", conference_id=None, access_code=None, comment_deadline_working_days=None,
        ),
    )  # fmt: skip
    event = components(parse(hearing_ics(bare, now=NOW, duration=timedelta(minutes=90))))["VEVENT"]
    assert event["DTEND"] == ({"TZID": "Asia/Almaty"}, "20260428T113000")
    assert {"LOCATION", "DESCRIPTION", "URL"} & set(event) == set()
    assert file_name(topic) == "hearing-paz-2026-04-28.ics"


def test_escape_text_escapes_separators_and_line_breaks() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert unescape(escape_text("a,b;c\\d\ne")) == "a,b;c\\d\ne"


def test_fold_keeps_lines_within_75_octets_and_characters_whole() -> None:
    line = "DESCRIPTION:" + "Жалоба, " * 40
    folded = fold(line).encode("utf-8").split(b"\r\n")
    assert max(len(part) for part in folded) <= 75
    assert all(part.startswith(b" ") for part in folded[1:])
    assert "".join(p.decode("utf-8")[1:] if i else p.decode("utf-8")
                   for i, p in enumerate(folded)) == line  # fmt: skip
    assert fold("SUMMARY:short") == "SUMMARY:short"
