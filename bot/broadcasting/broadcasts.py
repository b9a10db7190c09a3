"""Broadcasts: announcements to subscribers, and the rules staff input follows.

Staff write Markdown; it is rendered once to the Telegram HTML that is stored and sent
(``render_text``), so a preview and the delivery are the same bytes. An audience is everyone
subscribed, or the subscribers of a topic, possibly only those of one language. The rows live
in ``bot.storage.broadcasts``, which checks the audience before anything is stored.
A closed broadcast is summed up for its creator as a ``DeliveryReport``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.conversation.render import TELEGRAM_LIMIT, markdown_to_html
from bot.storage.broadcasts import Broadcast, BroadcastStore, check_audience
from bot.storage.interface import Subscriber

LOCAL_FORMAT = "%Y-%m-%d %H:%M"
EVERYONE = "everyone"  # the audience of every subscriber, whatever their topics
AUDIENCES = (EVERYONE, "fraud", "laws", "hearings")  # or a subscription topic


class TextTooLong(ValueError):
    """The rendered text does not fit one Telegram message."""

    def __init__(self, length: int) -> None:
        super().__init__(f"the text is {length} characters after rendering; {TELEGRAM_LIMIT} fit")
        self.length = length


def render_text(markdown: str) -> str:
    """Render an admin's Markdown as Telegram HTML; raise TextTooLong past one message."""
    html = str(markdown_to_html(markdown))
    if len(html) > TELEGRAM_LIMIT:
        raise TextTooLong(len(html))
    return html


def parse_local_time(text: str, timezone: str) -> datetime:
    """Read "YYYY-MM-DD HH:MM" in `timezone`; raise ValueError when malformed."""
    naive = datetime.strptime(text.strip(), LOCAL_FORMAT)
    return naive.replace(tzinfo=ZoneInfo(timezone))


class Broadcasts(BroadcastStore):
    """The broadcast store, and who an audience would reach before a broadcast is made."""

    async def recipients(self, topic: str | None, lang: str | None) -> list[Subscriber]:
        """Return who a broadcast to this audience would reach now."""
        check_audience(topic, lang)
        return await self.storage.subscribers(topic, lang=lang)


def duration(broadcast: Broadcast) -> timedelta:
    """Return how long a broadcast took (zero when it never started)."""
    if broadcast.started_at is None or broadcast.finished_at is None:
        return timedelta(0)
    return broadcast.finished_at - broadcast.started_at


@dataclass(frozen=True)
class DeliveryReport:
    """How a broadcast went, for the admin who created it."""

    broadcast_id: int
    created_by: int | None
    state: str  # done or cancelled
    sent: int
    blocked: int
    failed: int
    in_doubt: int
    skipped: int  # cancelled, or no longer subscribed
    duration: timedelta

    @classmethod
    def of(cls, closed: Broadcast, counts: dict[str, int]) -> DeliveryReport:
        """Sum up a closed broadcast from its outbox counts (``BroadcastStore.counts``)."""
        return cls(
            broadcast_id=closed.id,
            created_by=closed.created_by,
            state=closed.state,
            sent=counts["sent"],
            blocked=counts["blocked"],
            failed=counts["failed"],
            in_doubt=counts["in_doubt"],
            skipped=counts["cancelled"],
            duration=duration(closed),
        )
