"""Tests for bot.conversation.sharing: the cards of inline mode and the share page."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
from conftest import NOW
from markupsafe import escape

from bot.conversation.markup import validate_html
from bot.conversation.render import TELEGRAM_LIMIT
from bot.conversation.sharing import (
    MAX_CARDS,
    SUMMARY_LIMIT,
    Sharing,
    chosen,
    most_asked,
)
from bot.i18n import _, use_locale
from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage

BOT = "zanbot_test_bot"


@pytest.fixture
def sharing(library: Library) -> Sharing:
    return Sharing(library, clock=lambda: NOW)


def ids(sharing: Sharing, query: str, lang: str, popular: tuple[str, ...] = ()) -> list[str]:
    return [c.result_id for c in sharing.offer(query, lang, username=BOT, popular=popular).cards]


@pytest.mark.parametrize(
    ("query", "stored", "hint", "expected"),
    [
        ("сталкинг", "kk", "ru", "kk"),  # the user's choice first
        ("сталкинг", None, "kk-KZ", "kk"),  # then Telegram's hint
        ("qudalau ushin jaza", None, "en", "kk"),  # then the query: Kazakh in Latin letters
        ("qudalau ushin jaza", None, None, "kk"),
        ("преследование", None, None, "ru"),
        ("", None, "en", "ru"),  # nothing to go by
    ],
)
def test_the_cards_language(
    sharing: Sharing, query: str, stored: str | None, hint: str | None, expected: str
) -> None:
    assert sharing.language(query, stored=stored, hint=hint) == expected


@pytest.mark.parametrize(
    ("query", "lang", "first"),
    [
        ("сталкинг", "ru", "uk-115-1-stalking:ru"),
        ("қудалау", "kk", "uk-115-1-stalking:kk"),
        ("qudalau", "kk", "uk-115-1-stalking:kk"),
        ("232-1", "ru", "uk-232-1-droppers:ru"),
        ("ст. 232-1 УК", "kk", "uk-232-1-droppers:kk"),
    ],
)
def test_a_query_is_answered_by_the_matcher(
    sharing: Sharing, query: str, lang: str, first: str
) -> None:
    assert ids(sharing, query, lang)[0] == first


@pytest.fixture
def sure_of(library: Library, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the matcher's thresholds for one test (the tuned ones move with the content)."""

    def set_thresholds(**changes: float) -> None:
        matcher = library.matcher
        monkeypatch.setattr(matcher, "thresholds", replace(matcher.thresholds, **changes))

    return set_thresholds


def test_did_you_mean_offers_the_candidate_topics(
    sharing: Sharing, library: Library, sure_of: Callable[..., None]
) -> None:
    sure_of(answer=1.01)  # never sure enough to answer: "did you mean"
    match = library.matcher.match("банк", lang="ru")
    assert match.decision == "clarify" and len(match.candidates) > 1
    assert ids(sharing, "банк", "ru") == [f"{c.topic}:ru" for c in match.candidates]


def test_an_answer_comes_with_the_topics_the_matcher_also_finds_likely(
    sharing: Sharing, library: Library, sure_of: Callable[..., None]
) -> None:
    sure_of(answer=0.0, margin=0.0)  # always sure: the best topic is answered
    ranked = library.matcher.rank("банк", limit=MAX_CARDS)
    likely = [f"{c.topic}:ru" for c in ranked if c.score >= library.matcher.thresholds.suggest]
    assert len(likely) > 1  # the case this test is about
    assert ids(sharing, "банк", "ru") == likely


@pytest.mark.parametrize("query", ["как испечь торт", "ст. 999 УК", "привет", "???"])
def test_nothing_to_offer_gives_a_button_to_the_bot(sharing: Sharing, query: str) -> None:
    # Out of scope, an article no topic explains, small talk (no answer to send), no words.
    offer = sharing.offer(query, "kk", username=BOT)
    assert offer.cards == ()
    with use_locale("kk"):
        assert offer.open_label == _("Ask Zanbot in a private chat")


def test_the_title_the_share_button_types_finds_its_topic(
    sharing: Sharing, library: Library
) -> None:
    for topic in library.kb:
        if topic.category != "smalltalk":
            other = "ru" if topic.lang == "kk" else "kk"
            assert ids(sharing, topic.title, other)[0] == f"{topic.id}:{other}", topic.title


def test_an_empty_query_offers_the_most_asked_then_the_menu(
    sharing: Sharing, library: Library
) -> None:
    popular = ("fraud-victim-steps", "smalltalk-greeting", "gone-topic", "uk-232-1-droppers")
    offered = ids(sharing, "  ", "ru", popular)
    menu = [t.id for t in library.kb.in_lang("ru") if t.id not in popular]
    expected = ["fraud-victim-steps", "uk-232-1-droppers", *menu][:MAX_CARDS]
    assert offered == [f"{topic}:ru" for topic in expected]


def test_every_card_is_one_short_valid_message(sharing: Sharing, library: Library) -> None:
    for topic in library.kb:
        card = sharing.card(topic.id, topic.lang, username=BOT)
        if topic.category == "smalltalk":
            assert card is None
            continue
        assert card is not None
        assert validate_html(card.html) == [], (topic.id, topic.lang)
        assert card.html.startswith(f"<b>{escape(topic.title)}</b>")
        assert len(card.html) < min(SUMMARY_LIMIT + 200, TELEGRAM_LIMIT)
        assert 0 < len(card.description) <= 100 and "<" not in card.description
        assert card.link == f"https://t.me/{BOT}?start={topic.id}"
        # Telegram's start parameter: A-Z, a-z, 0-9, _ and -, at most 64 of them.
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", card.link.split("start=")[1])
        assert 1 <= len(card.result_id.encode()) <= 64
        assert chosen(card.result_id) == (topic.id, topic.lang)


def test_a_shortened_unreviewed_answer_keeps_its_note(sharing: Sharing, library: Library) -> None:
    topic = library.kb.get("uk-115-1-stalking", "kk")
    assert topic is not None and not topic.reviewed
    card = sharing.card(topic.id, "kk", username=BOT)
    assert card is not None
    with use_locale("kk"):
        note = _("This text has not yet been checked by an editor.")
    assert card.html.endswith(f"…\n\n<i>{note}</i>")


@pytest.mark.parametrize(
    ("result_id", "expected"),
    [("uk-115-1-stalking:kk", ("uk-115-1-stalking", "kk")), ("a:en", None), ("plain", None),
     (":ru", None)],
)  # fmt: skip
def test_a_chosen_result_reads_back(result_id: str, expected: tuple[str, str] | None) -> None:
    assert chosen(result_id) == expected


async def test_most_asked_adds_up_the_languages(storage: SQLiteStorage) -> None:
    await storage.add_counts(
        {}, {("uk-232-1-droppers", "ru"): 2, ("uk-115-1-stalking", "kk"): 2,
             ("uk-115-1-stalking", "ru"): 1},
    )  # fmt: skip
    today = storage._clock().date()
    assert await most_asked(storage, today=today) == ["uk-115-1-stalking", "uk-232-1-droppers"]
    assert await most_asked(storage, today=date(2000, 1, 1)) == []


def test_the_share_page_shows_the_card_and_the_link(sharing: Sharing) -> None:
    page = sharing.page("uk-232-1-droppers", "ru", username=BOT)
    card = sharing.card("uk-232-1-droppers", "ru", username=BOT)
    assert card is not None and card.html in page.html
    assert page.text.endswith(f"https://t.me/{BOT}?start=uk-232-1-droppers")
    assert validate_html(page.html) == []
    assert [b.data for row in page.buttons for b in row] == ["menu"]
    gone = sharing.page("gone-topic", "kk")
    with use_locale("kk"):
        assert gone.text == _("This topic cannot be shared.")
