"""What pressing a citizen's button does, for every channel: the action in, an outcome out.

The Telegram handler and the terminal chat both decode the button's data with
`callbacks.decode` and hand the action to `Buttons.press`; they differ only in how they show
the outcome (edit the message or send a new one, a toast, a file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.conversation import pages
from bot.conversation.assistant import Assistant, Reply
from bot.conversation.calendar import file_name, hearing_ics
from bot.conversation.callbacks import (
    Action,
    AddToCalendar,
    ChooseLanguage,
    Feedback,
    Forget,
    Menu,
    ShareTopic,
    ShowCategory,
    ShowSubscriptions,
    ShowTopic,
    ToggleSubscription,
)
from bot.conversation.sharing import Sharing
from bot.conversation.subscriptions import OFF, subscriptions_page
from bot.i18n import LANGS, _, use_locale
from bot.storage.interface import SUBSCRIPTION_TOPICS, Storage


@dataclass(frozen=True)
class Document:
    """A file to send: its bytes, its name and a caption."""

    data: bytes
    name: str
    caption: str


@dataclass(frozen=True)
class Outcome:
    """What a press shows. `edit` replaces the pressed message (menus) instead of adding one."""

    reply: Reply | None = None
    edit: bool = False
    notice: str | None = None  # a short note (Telegram shows it as a toast)
    document: Document | None = None
    drop_feedback: bool = False  # take the 👍/👎 row off the pressed message: feedback is once
    lang: str | None = None  # the language the user has just chosen
    forgotten: bool = False  # the user's data was deleted


class Buttons:
    """Carry out citizens' button presses over the assistant and the storage."""

    def __init__(
        self,
        assistant: Assistant,
        storage: Storage,
        *,
        clock: Callable[[], datetime] | None = None,
        bot_username: str = "",
    ) -> None:
        self.assistant = assistant
        self.storage = storage
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sharing = Sharing(assistant.library, clock=self.clock)
        self.bot_username = bot_username  # for the deep link a share shows ("": none)

    async def press(self, user_id: int, lang: str, action: Action | None) -> Outcome:
        """Act on one press; data the bot did not write (None) brings back the menu."""
        match action:
            case ChooseLanguage(chosen):
                await self.storage.set_language(user_id, chosen)
                return Outcome(self.assistant.menu(chosen), lang=chosen)
            case ShowTopic(topic_id, topic_lang):
                return Outcome(self.assistant.topic(topic_id, topic_lang or lang))
            case ShowCategory(category):
                return Outcome(self.assistant.category(category, lang), edit=True)
            case Feedback(topic_id, helpful):
                return await self._feedback(user_id, lang, topic_id, helpful=helpful)
            case Forget(confirmed):
                if confirmed:
                    await self.storage.forget_user(user_id)
                page = pages.forget_done_page(lang, deleted=confirmed)
                return Outcome(page, edit=True, forgotten=confirmed)
            case ShowSubscriptions():
                return await self._subscriptions(user_id, lang)
            case ToggleSubscription(topic):
                await self._toggle(user_id, topic)
                return await self._subscriptions(user_id, lang)
            case AddToCalendar(topic_id):
                return self._calendar(topic_id, lang)
            case ShareTopic(topic_id):
                return Outcome(self.sharing.page(topic_id, lang, username=self.bot_username))
            case Menu() | _:
                return Outcome(self.assistant.menu(lang), edit=True)

    async def _feedback(self, user_id: int, lang: str, topic_id: str, *, helpful: bool) -> Outcome:
        kb = self.assistant.library.kb
        if not any(kb.get(topic_id, x) for x in LANGS):
            return Outcome(drop_feedback=True)  # a topic since removed, or forged data
        await self.storage.add_feedback(user_id, topic_id, lang, helpful=helpful)
        return Outcome(notice=pages.feedback_thanks(lang), drop_feedback=True)

    async def _toggle(self, user_id: int, topic: str) -> None:
        subscribed = await self.storage.subscriptions(user_id)
        if topic == OFF:
            await self.storage.unsubscribe(user_id)
        elif topic in subscribed:
            await self.storage.unsubscribe(user_id, topic)
        elif topic in SUBSCRIPTION_TOPICS:
            await self.storage.subscribe(user_id, topic)

    async def _subscriptions(self, user_id: int, lang: str) -> Outcome:
        topics = await self.storage.subscriptions(user_id)
        return Outcome(subscriptions_page(lang, topics), edit=True)

    def _calendar(self, topic_id: str, lang: str) -> Outcome:
        kb = self.assistant.library.kb
        topic = kb.get(topic_id, lang) or kb.get(topic_id, "kk" if lang == "ru" else "ru")
        if topic is None or topic.hearing is None:
            with use_locale(lang):
                return Outcome(notice=_("This hearing is no longer in the list."))
        data = hearing_ics(topic, now=self.clock())
        return Outcome(document=Document(data, file_name(topic), topic.title))
