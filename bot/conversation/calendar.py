"""iCalendar files (RFC 5545) for public hearings, so that users can add one to a calendar.

One VEVENT in the hearing's own time zone (``DTSTART;TZID=Asia/Almaty``) with the matching
VTIMEZONE. The ``icalendar`` library does the escaping, the line folding and the VTIMEZONE.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from bot.i18n import _, ngettext, use_locale
from bot.knowledge.topics import Hearing, Topic

DEFAULT_DURATION = timedelta(hours=2)  # content does not say how long a hearing lasts
PRODID = "-//Zanbot//Public hearings//RU"
DEFAULT_ZONE = ZoneInfo("Asia/Almaty")  # the content loader's default, for hand-built hearings


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
    # TZID comes from the zone's IANA key, which only a ZoneInfo carries.
    zone = hearing.starts.tzinfo if isinstance(hearing.starts.tzinfo, ZoneInfo) else DEFAULT_ZONE
    starts = hearing.starts.astimezone(zone)
    with use_locale(topic.lang):
        description = _description(hearing)

    event = Event()
    # Stable per hearing and date: downloading again updates the event instead of doubling it.
    event.add("uid", f"{topic.id}-{starts:%Y%m%dT%H%M%S}@zanbot")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", starts)
    event.add("dtend", starts + duration)
    event.add("summary", topic.title)
    place = hearing.place or hearing.online_url or ""
    if place:
        event.add("location", place)
    if description:
        event.add("description", description)
    url = hearing.online_url or hearing.documents_url
    if url:
        event.add("url", url)

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # Only the days of the event: a few lines instead of the zone's history since 1970 (and the
    # library's default range, which ends in 2038, would leave a later hearing without one).
    last_day = (starts + duration).date() + timedelta(days=1)
    calendar.add_component(Timezone.from_tzinfo(zone, first_date=starts.date(), last_date=last_day))
    calendar.add_component(event)
    return calendar.to_ical()


def file_name(topic: Topic) -> str:
    """Return the name the .ics file is sent under."""
    return f"{topic.id}.ics"
