"""Answers shared in other chats, for every channel: Telegram's inline mode and the share
button.

Typing "@bot сталкинг" in any chat asks the same matcher as a question in the bot's own chat;
each of up to five cards is a short version of a topic's answer, sent to that chat with a link
that opens the whole topic in the bot (`/start <topic id>`). An empty query offers the most
asked topics; a question the matcher cannot place offers no card, only the way to the bot.
The share button under every answer opens inline mode with the topic's title as the query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from markupsafe import escape

from bot.conversation.assistant import MAX_QUESTION, Reply, menu_button
from bot.conversation.links import deep_link
from bot.conversation.render import html_to_text, render_topic, split_message
from bot.i18n import DEFAULT_LANG, LANGS, _, resolve_locale, use_locale
from bot.knowledge.library import Library
from bot.knowledge.topics import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.storage.interface import Storage

MAX_CARDS = 5
SUMMARY_LIMIT = 600  # characters of a card's message: the answer's first paragraphs
DESCRIPTION_LIMIT = 100  # the line under a card's title in Telegram's list of results
# Telegram keeps an answer this long for everyone who types the same query (results are not
# personal): briefly, so that content edits show soon and one user's language holds for
# little longer than their own typing.
CACHE_SECONDS = 30
POPULAR_DAYS = 30  # the most asked topics of this many days fill an empty query
OPEN_PARAMETER = "inline"  # /start payload of the button to the bot when no card fits
HIDDEN = frozenset({"smalltalk"})  # a greeting is no answer to send to anyone


@dataclass(frozen=True)
class Card:
    """One topic's short answer in one language, ready to be sent to another chat."""

    result_id: str  # "<topic id>:<lang>": the result a user sends is counted by it
    topic: str
    lang: str
    title: str
    description: str  # plain text
    html: str  # the message sent: Telegram HTML, one message
    link: str  # the deep link to the whole topic ("" when the bot's username is unknown)
    open_label: str  # the label of the link's button


@dataclass(frozen=True)
class Offer:
    """The cards for one inline query; with none, `open_label` names a button to the bot."""

    lang: str
    cards: tuple[Card, ...]
    open_label: str | None = None


def chosen(result_id: str) -> tuple[str, str] | None:
    """Read back (topic id, lang) from a card's result id; None for anything else."""
    topic_id, _sep, lang = result_id.rpartition(":")
    return (topic_id, lang) if topic_id and lang in LANGS else None


def _shortened(text: str, limit: int) -> str:
    """Cut plain text at a word before `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > 0 else limit - 1].rstrip(" ,;:—–-") + "…"


async def most_asked(storage: Storage, *, today: date, days: int = POPULAR_DAYS) -> list[str]:
    """Return the topic ids answered most over the last `days`, in any language, most first."""
    counts: Counter[str] = Counter()
    for topic_id, _lang, n in await storage.topic_counts(today - timedelta(days=days - 1), today):
        counts[topic_id] += n
    return [topic_id for topic_id, _n in counts.most_common()]


class Sharing:
    """Make the cards of inline mode and the share page from the library's current snapshot."""

    def __init__(self, library: Library, *, clock: Callable[[], datetime] | None = None) -> None:
        self.library = library
        self.clock = clock or (lambda: datetime.now(UTC))

    def language(self, query: str, *, stored: str | None, hint: str | None) -> str:
        """The cards' language: the user's choice, else Telegram's hint, else the query's."""
        detector = self.library.snapshot.matcher.detector
        detected = detector.detect(query) if query.strip() else DEFAULT_LANG
        return resolve_locale(stored, hint, default=detected)

    def offer(self, query: str, lang: str, *, username: str, popular: Sequence[str] = ()) -> Offer:
        """Answer an inline query with up to MAX_CARDS cards in `lang`; `popular` (topic ids,
        most asked first) fills an empty query."""
        snapshot = self.library.snapshot
        kb, text = snapshot.kb, query.strip()[:MAX_QUESTION]
        if text:
            ids = self._found(text, lang, kb, snapshot.matcher)
        else:  # the most asked topics, then the menu's (a new bot has asked nothing yet)
            ids = [*popular, *(t.id for t in kb.in_lang(lang))]
        cards: list[Card] = []
        for topic_id in dict.fromkeys(ids):  # each topic once, in order
            card = self.card(topic_id, lang, username=username, kb=kb)
            if card is not None:
                cards.append(card)
            if len(cards) == MAX_CARDS:
                break
        with use_locale(lang):
            label = None if cards else _("Ask Zanbot in a private chat")
        return Offer(lang, tuple(cards), label)

    def _found(self, text: str, lang: str, kb: KnowledgeBase, matcher: Matcher) -> list[str]:
        """The topics for a query: one whose title it is (the share button types the title),
        then the matcher's answer, its "did you mean" topics or an article's sure topic."""
        folded = text.casefold()
        ids = [t.id for t in kb if t.title.casefold() == folded]
        match = matcher.match(text, lang=lang)
        candidates = match.candidates[:1] if match.decision == "answer" else match.candidates
        ids += [c.topic for c in candidates]
        if match.decision in ("answer", "clarify"):
            # More cards than the chat's three buttons, as sure as a "did you mean" topic.
            likely = matcher.rank(text, limit=MAX_CARDS)
            ids += [c.topic for c in likely if c.score >= matcher.thresholds.suggest]
        return ids

    def card(
        self, topic_id: str, lang: str, *, username: str, kb: KnowledgeBase | None = None
    ) -> Card | None:
        """Make a topic's card in `lang`; None when the topic is not there or not shared."""
        kb = kb or self.library.kb
        topic = kb.get(topic_id, lang)
        if topic is None or topic.category in HIDDEN:
            return None
        with use_locale(lang):
            full = render_topic(topic, kb, now=self.clock())
            # The first paragraphs: the title, then what to do (answers begin with it).
            parts = split_message(full, SUMMARY_LIMIT)
            html = parts[0]
            if len(parts) > 1:
                html += "\n…"
                if not topic.reviewed:  # the note at the answer's end was cut off
                    note = _("This text has not yet been checked by an editor.")
                    html += f"\n\n<i>{escape(note)}</i>"
            label = _("📖 The whole answer in the bot")
        paragraphs = html_to_text(full).split("\n\n")
        description = _shortened(paragraphs[1] if len(paragraphs) > 1 else "", DESCRIPTION_LIMIT)
        link = deep_link(username, topic.id) if username else ""
        result_id = f"{topic.id}:{lang}"
        return Card(result_id, topic.id, lang, topic.title, description, html, link, label)

    def page(self, topic_id: str, lang: str, *, username: str = "") -> Reply:
        """Show what the share button sends, for a channel with no other chats (the terminal)."""
        card = self.card(topic_id, lang, username=username)
        with use_locale(lang):
            if card is None:
                html = str(escape(_("This topic cannot be shared.")))
                return Reply(html, lang, ((menu_button(),),))
            intro = _("In Telegram this button sends the answer to a chat you choose, like this:")
            lines = [f"<i>{escape(intro)}</i>", "", card.html]
            if card.link:
                link = _("The link to the whole answer: {link}").format(link=card.link)
                lines += ["", str(escape(link))]
        return Reply("\n".join(lines), lang, ((menu_button(),),), topic=card.topic)
