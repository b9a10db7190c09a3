"""Public hearing notices: which are upcoming, which are past."""

from __future__ import annotations

from datetime import datetime

from bot.knowledge.topics import Hearing, KnowledgeBase, Topic

UPCOMING_ID = "hearings-upcoming"


def is_past(hearing: Hearing, *, now: datetime) -> bool:
    """Tell whether a hearing has started already (it is then past, not upcoming)."""
    return hearing.starts <= now


def upcoming(kb: KnowledgeBase, lang: str, *, now: datetime) -> list[Topic]:
    """Return the hearings in `lang` that start after `now`, soonest first."""
    found = [
        t for t in kb.in_lang(lang) if t.hearing is not None and not is_past(t.hearing, now=now)
    ]
    return sorted(found, key=lambda t: t.hearing.starts if t.hearing else now)
