"""Tests for bot.conversation.links: deep links, QR codes read back by a real reader, and the
help for an unknown topic id."""

from __future__ import annotations

import pytest
from fakebotapi import validate_telegram_html
from imaging import png_size, read_qr

from bot.conversation.links import (
    QR_PIXELS,
    deep_link,
    link_caption_html,
    qr_code,
    similar_ids,
    topic_list_html,
    unknown_topic_html,
)
from bot.i18n import use_locale
from bot.knowledge.library import Library

LINK = "https://t.me/zanbot_test_bot?start=uk-115-1-stalking"


def test_deep_link() -> None:
    assert deep_link("zanbot_test_bot", "uk-115-1-stalking") == LINK


@pytest.mark.parametrize("topic_id", ["", "a" * 65, "uk 115", "сталкинг", "a/b", "x?y=1"])
def test_a_deep_link_needs_a_valid_start_parameter(topic_id: str) -> None:
    with pytest.raises(ValueError, match="cannot be a start parameter"):
        deep_link("zanbot_test_bot", topic_id)


def test_every_bundled_topic_has_a_deep_link(library: Library) -> None:
    links = [deep_link("zanbot_test_bot", topic_id) for topic_id in library.kb.ids()]
    assert len(links) == len(library.kb.ids()) >= 22


def test_the_qr_code_reads_back_as_the_link_and_is_big_enough_to_print() -> None:
    png = qr_code(LINK)
    width, height = png_size(png)
    assert width == height and QR_PIXELS <= width < 2 * QR_PIXELS
    assert read_qr(png) == [LINK]


def test_the_qr_code_as_svg() -> None:
    svg = qr_code(LINK, kind="svg").decode()
    assert svg.startswith("<?xml") and "<svg" in svg
    with pytest.raises(ValueError, match="unknown image kind"):
        qr_code(LINK, kind="jpeg")


def test_similar_ids(library: Library) -> None:
    assert similar_ids("uk-115-stalking", library.kb)[0] == "uk-115-1-stalking"
    assert similar_ids("UK 232-1 droppers", library.kb)[0] == "uk-232-1-droppers"
    assert similar_ids("zzzzzzzz", library.kb) == []


def test_unknown_topic_is_escaped_and_points_to_the_list(library: Library) -> None:
    with use_locale("en"):
        html = unknown_topic_html("<b>uk-115-stalking", library.kb)
        long = unknown_topic_html("x" * 5000, library.kb)
    text = validate_telegram_html(html)
    assert text.startswith("There is no topic with the id <b>uk-115-stalking.")
    assert "Did you mean: uk-115-1-stalking" in text
    assert "/link without an id" in text
    assert len(validate_telegram_html(long)) < 300  # the id is cut, not repeated in full


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_topic_list_names_every_topic(library: Library, lang: str) -> None:
    with use_locale(lang):
        text = validate_telegram_html(topic_list_html(library.kb, lang))
    for topic in library.kb.in_lang(lang):
        assert f"{topic.id} — {topic.title}" in text


def test_caption_fits_a_telegram_caption() -> None:
    with use_locale("kk"):
        html = link_caption_html("Қудалау <сталкинг> & бопсалау", LINK)
    text = validate_telegram_html(html, max_length=1024)
    assert text.startswith(f"Қудалау <сталкинг> & бопсалау\n{LINK}\n\n")
