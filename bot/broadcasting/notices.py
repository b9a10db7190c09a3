"""Hearing notices: tell hearing subscribers about a new public hearing, and remind them of it
the day before. Both are system broadcasts (no creator), so the outbox limits and crash
safety apply.

What has been announced or reminded is recorded (``BroadcastStore.hearing_notices``) in the
same transaction that creates the broadcast, so a restart never repeats a notice; and several
workers checking at the same moment create it once (the first transaction to record it wins,
the others find it recorded and create nothing).

First start: the very first check records every hearing already in the knowledge base as known
without announcing it (the bot's subscribers have usually heard of those, and a first deploy
must not spam); a baseline row marks that this was done, so hearings added afterwards — even
into an empty knowledge base — are announced. Reminders do not depend on the baseline: an
upcoming hearing gets its reminder whenever it was added. A hearing added less than a day
before it starts gets the announcement only (it carries the date), and a hearing added in the
past is recorded silently. A hearing moved to another date gets a new reminder.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from markupsafe import escape

from bot.broadcasting.broadcasts import Broadcasts
from bot.conversation.render import render
from bot.i18n import _, use_locale
from bot.knowledge.hearings import is_past
from bot.knowledge.library import Library
from bot.knowledge.topics import Topic
from bot.storage.broadcasts import HearingNotice, NoticeGiven
from bot.storage.interface import utc_now
from bot.storage.migrations import to_iso
from bot.storage.sql import SQLStorage

REMINDER_LEAD = timedelta(days=1)
AUDIENCE = "hearings"  # subscribers of "all" get these too


def notice_html(topic: Topic, *, reminder: bool) -> str:
    """Render a notice about a hearing in the topic's language."""
    with use_locale(topic.lang):
        heading = _("Reminder: public hearing") if reminder else _("New public hearing")
        details = render("hearing.html.j2", hearing=topic.hearing, hearing_past=False)
        footer = _("/subscribe — choose which announcements you get")
    icon = "🔔" if reminder else "🏛"
    return (
        f"{icon} <b>{escape(heading)}</b>\n\n<b>{escape(topic.title)}</b>\n\n{details}\n\n"
        f"{escape(footer)}"
    )


class HearingNotices:
    """Create announcement and reminder broadcasts for the hearings in the knowledge base."""

    def __init__(
        self,
        storage: SQLStorage,
        library: Library,
        *,
        now: Callable[[], datetime] = utc_now,
        lead: timedelta = REMINDER_LEAD,
    ) -> None:
        self.library = library
        self.now = now
        self.lead = lead
        self.broadcasts = Broadcasts(storage, now=now)

    def hearings(self) -> dict[str, dict[str, Topic]]:
        """Return the hearing topics by id, then by language."""
        found: dict[str, dict[str, Topic]] = {}
        for topic in self.library.kb:
            if topic.hearing is not None:
                found.setdefault(topic.id, {})[topic.lang] = topic
        return found

    async def check(self) -> list[int]:
        """Create the notices due now; return the new broadcast ids."""
        hearings = self.hearings()
        known = await self.broadcasts.hearing_notices()
        if not any(notice.kind == "baseline" for notice in known):
            await self._baseline(hearings)
            known = await self.broadcasts.hearing_notices()
        announced = {n.topic_id for n in known if n.kind == "announced"}
        reminded = {(n.topic_id, n.starts) for n in known if n.kind == "reminded"}
        now = self.now()
        created: list[int | None] = []
        for topic_id, versions in sorted(hearings.items()):
            topic = versions.get("ru") or next(iter(versions.values()))
            hearing = topic.hearing
            assert hearing is not None  # hearings() keeps hearing topics only
            starts = to_iso(hearing.starts)  # as stored, to compare with what was recorded
            upcoming = not is_past(hearing, now=now)
            soon = upcoming and now >= hearing.starts - self.lead
            if topic_id not in announced:
                kinds = ["announced", "reminded"] if soon else ["announced"]
                if upcoming:
                    created.append(await self._notify(versions, starts, kinds, reminder=False))
                else:  # added after it took place: recorded, never announced
                    past = [HearingNotice(topic_id, "announced", starts)]
                    await self.broadcasts.record_hearing_notices(past)
            elif soon and (topic_id, starts) not in reminded:
                created.append(await self._notify(versions, starts, ["reminded"], reminder=True))
        return [broadcast_id for broadcast_id in created if broadcast_id is not None]

    async def _notify(
        self, versions: dict[str, Topic], starts: str, kinds: list[str], *, reminder: bool
    ) -> int | None:
        """Create the notice's broadcast; None when another worker just did."""
        texts = {lang: notice_html(topic, reminder=reminder) for lang, topic in versions.items()}
        text_ru = texts.get("ru") or texts["kk"]
        topic_id = next(iter(versions.values())).id
        try:
            broadcast_id, _count = await self.broadcasts.create(
                created_by=None,
                text_ru=text_ru,
                text_kk=texts.get("kk") or text_ru,
                audience_topic=AUDIENCE,
                notices=[HearingNotice(topic_id, kind, starts) for kind in kinds],
            )
        except NoticeGiven:
            return None
        return broadcast_id

    async def _baseline(self, hearings: dict[str, dict[str, Topic]]) -> None:
        notices = [HearingNotice("*", "baseline", "")]
        for topic_id, versions in hearings.items():
            hearing = next(iter(versions.values())).hearing
            assert hearing is not None
            notices.append(HearingNotice(topic_id, "announced", to_iso(hearing.starts)))
        await self.broadcasts.record_hearing_notices(notices)
