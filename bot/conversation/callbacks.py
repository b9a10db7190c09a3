"""The data behind inline buttons: one typed codec for Telegram and the terminal chat.

A button carries a short string (Telegram allows 1–64 bytes); `encode` writes it from a typed
action and `decode` reads it back, returning None for anything malformed or forged, so no
handler parses callback data by hand. `pattern` selects actions for python-telegram-bot's
`CallbackQueryHandler`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import ClassVar

from bot.i18n import LANGS

MAX_BYTES = 64  # Telegram's limit on callback data
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")  # topic ids and category names, as content allows


@dataclass(frozen=True)
class Menu:
    prefix: ClassVar[str] = "menu"


@dataclass(frozen=True)
class ChooseLanguage:
    lang: str
    prefix: ClassVar[str] = "lang"


@dataclass(frozen=True)
class ShowTopic:
    """Open a topic; `lang` is set when it must come in a language other than the user's."""

    topic_id: str
    lang: str | None = None
    prefix: ClassVar[str] = "t"


@dataclass(frozen=True)
class ShowCategory:
    category: str
    prefix: ClassVar[str] = "cat"


@dataclass(frozen=True)
class Feedback:
    topic_id: str
    helpful: bool
    prefix: ClassVar[str] = "fb"


@dataclass(frozen=True)
class Forget:
    confirmed: bool
    prefix: ClassVar[str] = "forget"


@dataclass(frozen=True)
class ShowSubscriptions:
    prefix: ClassVar[str] = "subs"


@dataclass(frozen=True)
class ToggleSubscription:
    """Switch one subscription topic on or off; `OFF` switches every one off."""

    topic: str
    prefix: ClassVar[str] = "sub"


@dataclass(frozen=True)
class AddToCalendar:
    topic_id: str
    prefix: ClassVar[str] = "ics"


@dataclass(frozen=True)
class ShareTopic:
    """Share a topic in another chat: Telegram shows this button as an inline-mode switch
    (`Button.inline_query`), so only the terminal chat presses it as data."""

    topic_id: str
    prefix: ClassVar[str] = "sh"


@dataclass(frozen=True)
class Compose:
    """A step button of the admin's announcement composer ("now", "confirm", "cancel"…)."""

    step: str
    prefix: ClassVar[str] = "bc"


@dataclass(frozen=True)
class ChooseAudience:
    """The composer's audience: everyone subscribed, a subscription topic or a language."""

    audience: str
    prefix: ClassVar[str] = "to"


@dataclass(frozen=True)
class CancelBroadcast:
    broadcast_id: int
    prefix: ClassVar[str] = "bcx"


Action = (
    Menu | ChooseLanguage | ShowTopic | ShowCategory | Feedback | Forget | ShowSubscriptions
    | ToggleSubscription | AddToCalendar | ShareTopic | Compose | ChooseAudience | CancelBroadcast
)  # fmt: skip
CITIZEN_ACTIONS = (
    Menu, ChooseLanguage, ShowTopic, ShowCategory, Feedback, Forget, ShowSubscriptions,
    ToggleSubscription, AddToCalendar, ShareTopic,
)  # fmt: skip
_YES_NO = {True: ("1", "yes"), False: ("0", "no")}


def encode(action: Action) -> str:
    """Write an action as callback data."""
    fields: list[str] = []
    for value in astuple(action):
        if isinstance(value, bool):
            fields.append(_YES_NO[value][isinstance(action, Forget)])
        elif value is not None:
            fields.append(str(value))
    data = ":".join((action.prefix, *fields))
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def _flag(value: str, words: tuple[str, str]) -> bool | None:
    return True if value == words[0] else False if value == words[1] else None


def decode(data: str | None) -> Action | None:
    """Read callback data back into an action; None when it is not one the bot writes."""
    prefix, *args = (data or "").split(":")
    n = len(args)
    if prefix == "menu" and n == 0:
        return Menu()
    if prefix == "subs" and n == 0:
        return ShowSubscriptions()
    if n == 1 and prefix == "lang" and args[0] in LANGS:
        return ChooseLanguage(args[0])
    if prefix == "t" and n in (1, 2) and _ID.fullmatch(args[0]) and (n == 1 or args[1] in LANGS):
        return ShowTopic(args[0], args[1] if n == 2 else None)
    if prefix == "fb" and n == 2 and _ID.fullmatch(args[0]):
        helpful = _flag(args[1], ("1", "0"))
        return None if helpful is None else Feedback(args[0], helpful)
    if prefix == "forget" and n == 1:
        confirmed = _flag(args[0], ("yes", "no"))
        return None if confirmed is None else Forget(confirmed)
    if n == 1 and _ID.fullmatch(args[0]):
        single = {
            "cat": ShowCategory, "sub": ToggleSubscription, "ics": AddToCalendar,
            "sh": ShareTopic, "bc": Compose, "to": ChooseAudience,
        }  # fmt: skip
        if prefix in single:
            return single[prefix](args[0])
    if prefix == "bcx" and n == 1 and args[0].isdigit():
        return CancelBroadcast(int(args[0]))
    return None


def pattern(*kinds: type | Action) -> Callable[[object], bool]:
    """Select callback data that decodes to one of these action types, or equals an action."""

    def matches(data: object) -> bool:
        action = decode(data) if isinstance(data, str) else None
        if action is None:
            return False
        return any(action == k if not isinstance(k, type) else isinstance(action, k) for k in kinds)

    return matches
