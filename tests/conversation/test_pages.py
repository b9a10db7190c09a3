"""Fixed pages: what /privacy shows, the greeting and /about."""

from __future__ import annotations

import pytest

from bot.conversation.pages import about_page, greeting_page, privacy_page
from bot.i18n import _, use_locale

OPERATOR = {"ru": "прокуратура Павлодарской области", "kk": "Павлодар облысының прокуратурасы"}
# What the greeting and /about say when someone is configured, in each language.
RUN_BY = {
    "ru": "Ботом управляет прокуратура Павлодарской области.",
    "kk": "Ботты Павлодар облысының прокуратурасы басқарады.",
}

DATA = {
    "user": {"lang": "kk", "first_seen": "2026-03-01T09:00:00+00:00"},
    "subscriptions": ["laws", "fraud"],
    "feedback_count": 2,
}


def test_privacy_shows_stored_data_in_the_users_words() -> None:
    text = privacy_page("ru", DATA).text
    with use_locale("ru"):
        fraud, laws = _("Fraud alerts"), _("New laws")
    assert f"{fraud}, {laws}" in text  # labels, in the menu's order, not codes
    assert "fraud" not in text and "laws" not in text
    assert "Қазақша" in text
    assert "1 марта 2026" in text  # the date through Babel, in Russian


def test_privacy_of_someone_unknown_says_nothing_is_stored() -> None:
    with use_locale("kk"):
        nothing = _("nothing")
    assert nothing in privacy_page("kk", {}).text


def test_greeting_without_a_name_has_no_dangling_comma() -> None:
    text = greeting_page("ru", None).text
    assert ", !" not in text and "  " not in text
    assert "Дана" in greeting_page("ru", "Дана").text


# --- who runs the bot (ZANBOT_OPERATOR_RU / ZANBOT_OPERATOR_KK) ------------------------------


def claims_an_owner(text: str) -> bool:
    return any(word in text.lower() for word in ("прокурат", "управляет", "басқарады"))


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("first_name", [None, "Дана"])
def test_greeting_names_the_operator_in_the_users_language(
    lang: str, first_name: str | None
) -> None:
    reply = greeting_page(lang, first_name, operator=OPERATOR[lang])
    assert reply.text.endswith(" " + RUN_BY[lang])
    assert reply.text.startswith(greeting_page(lang, first_name).text)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_about_names_the_operator_in_the_users_language(lang: str) -> None:
    paragraphs = about_page(lang, operator=OPERATOR[lang]).html.split("\n\n")
    assert RUN_BY[lang] in paragraphs
    # Only that paragraph is added to the page without an operator.
    assert [p for p in paragraphs if p != RUN_BY[lang]] == about_page(lang).html.split("\n\n")


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("first_name", [None, "Дана"])
def test_without_an_operator_no_owner_is_claimed(lang: str, first_name: str | None) -> None:
    for reply in (greeting_page(lang, first_name), about_page(lang)):
        assert not claims_an_owner(reply.text), reply.text
    assert greeting_page(lang, first_name, operator="") == greeting_page(lang, first_name)
    assert about_page(lang, operator="") == about_page(lang)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_operators_name_is_escaped(lang: str) -> None:
    name = 'ТОО "Zan & Co" <b>'
    greeting = greeting_page(lang, "<i>Дана</i>", operator=name)
    for reply in (greeting, about_page(lang, operator=name)):
        assert "ТОО &#34;Zan &amp; Co&#34; &lt;b&gt;" in reply.html
        assert name in reply.text  # and reads as written
    assert "&lt;i&gt;Дана&lt;/i&gt;" in greeting.html
    assert "<i>" not in greeting.html and "<b>" not in greeting.html
