"""The conversation, independent of any channel: a question in, a reply with buttons out.

The Telegram handlers and the terminal chat are thin adapters over `Assistant`; buttons carry
short callback strings (at most 64 bytes, Telegram's limit) that the adapters hand back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from markupsafe import escape

from bot.conversation.callbacks import (
    AddToCalendar,
    ChooseLanguage,
    Feedback,
    Menu,
    ShareTopic,
    ShowCategory,
    ShowSubscriptions,
    ShowTopic,
    decode,
    encode,
)
from bot.conversation.render import html_to_text, render_topic, split_message
from bot.i18n import _, __, use_locale
from bot.knowledge.hearings import is_past
from bot.knowledge.library import Library
from bot.knowledge.topics import CATEGORIES, Topic
from bot.matching.articles import ADMINISTRATIVE, Article
from bot.matching.matcher import Match
from bot.privacy import looks_sensitive

MAX_QUESTION = 1000  # longer messages are matched on their beginning
SWITCH_MARGIN = 3.0  # log-odds needed to answer in the language the user did not choose
LANG_NAMES = {"ru": "Русский", "kk": "Қазақша"}
CATEGORY_LABELS = {
    "articles": __("📜 New Criminal Code articles"),
    "fraud": __("🛡 Fraud: how not to be deceived"),
    "hearings": __("🏛 Public hearings"),
    "info": __("ℹ️ Useful information"),
}
MENU_CATEGORIES = tuple(c for c in CATEGORIES if c in CATEGORY_LABELS)


class Button(NamedTuple):
    """A button's label and its callback data (a tuple: keyboards are hashed per message).

    A share button also has `inline_query`: Telegram opens a chat the user picks with
    "@bot <inline_query>" typed (inline mode) instead of sending `data`; the terminal chat,
    which has no other chats, presses `data`.
    """

    text: str
    data: str
    inline_query: str | None = None


@dataclass(frozen=True)
class Reply:
    """What to show: Telegram HTML, its language, and rows of buttons."""

    html: str
    lang: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    kind: str = "info"  # answer, clarify, unknown, empty, menu, info
    topic: str | None = None

    @property
    def parts(self) -> list[str]:
        """The HTML split into messages under Telegram's limit."""
        return split_message(self.html)

    @property
    def text(self) -> str:
        return html_to_text(self.html)


def _warned(html: str, warning: str | None) -> str:
    """Put the warning about private data, in bold, above a reply's HTML."""
    return f"<b>⚠️ {escape(warning)}</b>\n\n{html}" if warning else html


def menu_button() -> Button:
    return Button(_("☰ Menu"), encode(Menu()))


def share_button(topic: Topic) -> Button:
    """Offer to send the topic to another chat; its title finds it again in inline mode."""
    return Button(_("📤 Share"), encode(ShareTopic(topic.id)), inline_query=topic.title)


class Assistant:
    """Answer questions and browse topics from the library's current snapshot."""

    def __init__(
        self,
        library: Library,
        *,
        clock: Callable[[], datetime] | None = None,
        subscriptions: bool = False,
        operator: Mapping[str, str] | None = None,
    ) -> None:
        self.library = library
        self.clock = clock or (lambda: datetime.now(UTC))
        self.subscriptions = subscriptions  # the channel offers announcements (Telegram does)
        # Who runs the bot, per language (ZANBOT_OPERATOR_RU/KK); the greeting and /about
        # name it, and a language without a name claims no owner.
        self.operator = dict(operator or {})

    def operator_name(self, lang: str) -> str:
        """Return the name of whoever runs the bot in `lang`, or "" when none is set."""
        return self.operator.get(lang, "")

    def ask(self, text: str, lang: str) -> tuple[Reply, Match]:
        """Answer a free-text question in `lang` (or in the language it is clearly written in)."""
        [match] = self.match([(text, lang)])
        return self.answer(text, lang, match)

    def match(self, questions: Sequence[tuple[str, str]]) -> list[Match]:
        """Match (text, language) questions together: many cost the classifier little more
        than one."""
        trimmed = [(text.strip()[:MAX_QUESTION], lang) for text, lang in questions]
        return self.library.snapshot.matcher.match_many(trimmed)

    def answer(self, text: str, lang: str, match: Match) -> tuple[Reply, Match]:
        """Answer a question in `lang` from its match (see `match`)."""
        # Answer in the other language only on clear evidence; offer to switch for good.
        detector = self.library.snapshot.matcher.detector
        reply_lang = detector.decide(match.lang_evidence, default=lang, margin=SWITCH_MARGIN)
        switch = reply_lang != lang
        warning = None
        if looks_sensitive(text):
            with use_locale(reply_lang):
                warning = _(
                    "Never send anyone card numbers, CVV, codes from SMS or your IIN — not even "
                    "to this bot. We have not saved what you typed."
                )
        if match.decision == "answer" and match.topic:
            # Most questions: the topic, with the offer to switch language if it applies.
            return self.topic(match.topic, reply_lang, warning=warning, switch=switch), match
        if match.decision == "empty":
            reply = self._empty(reply_lang, warning)
        elif match.decision == "article" and match.article is not None:
            reply = self._article(match, match.article, reply_lang, warning)
        else:
            reply = self._not_sure(match, reply_lang, warning)
        return (self._with_switch(reply) if switch else reply), match

    def _with_switch(self, reply: Reply) -> Reply:
        """Add a button to switch to the reply's language, for a user who chose the other."""
        with use_locale(reply.lang):
            switch = _("Switch to {language}").format(language=LANG_NAMES[reply.lang])
        # Topic buttons keep the reply's language: "t:<id>:<lang>".
        rows = tuple(
            tuple(
                Button(b.text, encode(ShowTopic(action.topic_id, reply.lang)))
                if isinstance(action := decode(b.data), ShowTopic)
                else b
                for b in row
            )
            for row in reply.buttons
        )
        rows += ((Button(switch, encode(ChooseLanguage(reply.lang))),),)
        return Reply(reply.html, reply.lang, rows, reply.kind, reply.topic)

    def _empty(self, lang: str, warning: str | None) -> Reply:
        with use_locale(lang):
            text = _("Please write your question in words, for example: «what is stalking».")
            html = _warned(str(escape(text)), warning)
            return Reply(html, lang, ((menu_button(),),), kind="empty")

    def _candidate_rows(self, match: Match, lang: str) -> tuple[tuple[Button, ...], ...]:
        """One button per topic the matcher offers, in `lang`."""
        options = [self.library.kb.get(c.topic, lang) for c in match.candidates]
        return tuple((Button(t.title, encode(ShowTopic(t.id))),) for t in options if t is not None)

    def _article(self, match: Match, article: Article, lang: str, warning: str | None) -> Reply:
        """Say honestly that no topic explains a cited article, and link the official code."""
        rows = self._candidate_rows(match, lang)
        with use_locale(lang):
            if article.code == ADMINISTRATIVE:
                text = _(
                    "This bot has no explanation of article {article} of the Code of "
                    "Administrative Offences yet. Its official text:"
                )
            else:
                text = _(
                    "This bot has no explanation of article {article} of the Criminal Code "
                    "yet. Its official text:"
                )
            link = f'<a href="{escape(article.url(lang))}">adilet.zan.kz</a>'
            html = f"{escape(text.format(article=article.number))} {link}"
            if rows:
                html += "\n\n" + escape(_("Perhaps one of these topics helps:"))
            html = _warned(html, warning)
            return Reply(html, lang, (*rows, (menu_button(),)), kind="article")

    def _not_sure(self, match: Match, lang: str, warning: str | None) -> Reply:
        rows = self._candidate_rows(match, lang)
        with use_locale(lang):
            if match.decision == "clarify" and rows:
                html = escape(_("Did you mean one of these topics?"))
                kind = "clarify"
            else:
                text = _(
                    "Sorry, I don't know the answer to that. I can tell you about the new "
                    "articles of the Criminal Code, online fraud, fakes and public hearings: "
                    "choose a topic below."
                )
                html, kind = escape(text), "unknown"
            return Reply(_warned(str(html), warning), lang, (*rows, (menu_button(),)), kind=kind)

    def topic(
        self, topic_id: str, lang: str, *, warning: str | None = None, switch: bool = False
    ) -> Reply:
        """Show one topic with buttons for related topics, feedback and the menu; `switch`
        adds a button to switch to `lang` (for a user who chose the other language)."""
        reply = self._render_topic(topic_id, lang, warning)
        return self._with_switch(reply) if switch else reply

    def _render_topic(self, topic_id: str, lang: str, warning: str | None) -> Reply:
        kb = self.library.kb
        topic = kb.get(topic_id, lang)
        if topic is None:
            with use_locale(lang):
                return self._not_sure(Match("", lang, "unknown", ()), lang, warning)
        with use_locale(lang):
            html = render_topic(topic, kb, now=self.clock(), warning=warning)
            related = [kb.get(r, lang) for r in topic.related]
            rows: list[tuple[Button, ...]] = [
                (Button(t.title, encode(ShowTopic(t.id))),) for t in related if t is not None
            ]
            if topic.hearing and not is_past(topic.hearing, now=self.clock()):
                # An upcoming hearing can go into the user's calendar as an .ics file.
                rows.append((Button(_("📅 Add to calendar"), encode(AddToCalendar(topic.id))),))
            if topic.category != "smalltalk":
                rows.append(
                    (Button(_("👍 Helpful"), encode(Feedback(topic.id, helpful=True))),
                     Button(_("👎 Not helpful"), encode(Feedback(topic.id, helpful=False))))
                )  # fmt: skip
                # Not on the 👍/👎 row: that row goes once the user has voted.
                rows.append((share_button(topic), menu_button()))
            else:
                rows.append((menu_button(),))
        return Reply(html, lang, tuple(rows), kind="answer", topic=topic.id)

    def menu(self, lang: str) -> Reply:
        """Show the topic categories."""
        kb = self.library.kb
        with use_locale(lang):
            rows = [
                (Button(str(CATEGORY_LABELS[c]), encode(ShowCategory(c))),)
                for c in MENU_CATEGORIES
                if kb.in_category(c, lang)
            ]
            if self.subscriptions:
                rows.append((Button(_("🔔 Subscriptions"), encode(ShowSubscriptions())),))
            html = escape(_("Choose a topic:"))
        return Reply(str(html), lang, tuple(rows), kind="menu")

    def category(self, category: str, lang: str) -> Reply:
        """Show the topics of one category, with a way back."""
        topics: list[Topic] = self.library.kb.in_category(category, lang)
        with use_locale(lang):
            if category not in CATEGORY_LABELS or not topics:
                return self.menu(lang)
            rows = [(Button(t.title, encode(ShowTopic(t.id))),) for t in topics]
            rows.append((Button(_("⬅️ Back"), encode(Menu())),))
            html = f"<b>{escape(str(CATEGORY_LABELS[category]))}</b>"
        return Reply(html, lang, tuple(rows), kind="menu")

    def choose_language(self) -> Reply:
        """Ask for the language in both languages (the user may read only one)."""
        html = "Выберите язык / Тілді таңдаңыз:"
        buttons = (
            tuple(Button(name, encode(ChooseLanguage(code))) for code, name in LANG_NAMES.items()),
        )
        return Reply(html, "ru", buttons, kind="menu")
