"""iCalendar files (RFC 5545) for public hearings, so that users can add one to a calendar.

One VEVENT in the hearing's own time zone (``DTSTART;TZID=Asia/Almaty``) with the matching
VTIMEZONE. The VTIMEZONE describes the UTC offset in force at the hearing as a single
observance: exact for zones without daylight saving time, such as Kazakhstan's (UTC+05:00
since March 2024), and still right for the event's own date elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.i18n import _, ngettext, use_locale
from bot.knowledge.topics import Hearing, Topic

DEFAULT_DURATION = timedelta(hours=2)  # content does not say how long a hearing lasts
PRODID = "-//Zanbot//Public hearings//RU"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets, never inside a UTF-8 character."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > MAX_OCTETS:
            parts.append(current)
            current, size = " ", 1  # a continuation line starts with one space
        current += char
        size += octets
    parts.append(current)
    return "\r\n".join(parts)


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{minutes:02d}"


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _description(hearing: Hearing) -> str:
    """Describe how to take part, in the current locale, with the labels of the answer."""
    # (label, value) pairs; the labels are translated before any formatting.
    lines = [
        (_("Initiator:"), hearing.initiator),
        (_("Online:"), hearing.online_url),
        (_("conference ID") + ":", hearing.conference_id),
        (_("access code") + ":", hearing.access_code),
        (_("Documents:"), hearing.documents_url),
    ]
    if hearing.comment_deadline_working_days:
        days = hearing.comment_deadline_working_days
        # The same message as in hearing.html.j2 (a Jinja plural with a %(days)s placeholder).
        deadline = ngettext(
            "no later than %(days)s working day before the hearing",
            "no later than %(days)s working days before the hearing",
            days,
        ) % {"days": days}
        lines.append((_("Comments:"), deadline))
    text = [f"{label} {value}" for label, value in lines if value]
    return "\n".join([*text, hearing.contact] if hearing.contact else text)


def hearing_ics(topic: Topic, *, now: datetime, duration: timedelta = DEFAULT_DURATION) -> bytes:
    """Return an .ics file for a hearing topic, its texts in the topic's language."""
    hearing = topic.hearing
    if hearing is None:
        raise ValueError(f"topic {topic.id!r} is not a hearing")
    starts = hearing.starts
    zone = getattr(starts.tzinfo, "key", None) or "Asia/Almaty"
    offset = _offset(starts.utcoffset())
    with use_locale(topic.lang):
        description = _description(hearing)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VTIMEZONE",
        f"TZID:{zone}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        f"TZNAME:{offset[:3] if offset.endswith('00') else offset}",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        # Stable per hearing and date: downloading again updates the event instead of doubling it.
        f"UID:{topic.id}-{_local(starts)}@zanbot",
        f"DTSTAMP:{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART;TZID={zone}:{_local(starts)}",
        f"DTEND;TZID={zone}:{_local(starts + duration)}",
        f"SUMMARY:{escape_text(topic.title)}",
    ]
    place = hearing.place or hearing.online_url or ""
    if place:
        lines.append(f"LOCATION:{escape_text(place)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    url = hearing.online_url or hearing.documents_url
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def file_name(topic: Topic) -> str:
    """Return the name the .ics file is sent under."""
    return f"{topic.id}.ics"
