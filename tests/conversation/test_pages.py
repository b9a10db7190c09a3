"""Fixed pages: what /privacy shows, and the greeting."""

from __future__ import annotations

from bot.conversation.pages import greeting_page, privacy_page
from bot.i18n import _, use_locale

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
