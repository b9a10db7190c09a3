"""Fixed pages of the bot (help, about, privacy, forget), as Replies in the user's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_date
from markupsafe import escape

from bot.conversation.assistant import LANG_NAMES, Button, Reply, menu_button
from bot.conversation.callbacks import Forget, encode
from bot.conversation.subscriptions import TOPIC_LABELS
from bot.i18n import _, use_locale


def help_page(lang: str) -> Reply:
    with use_locale(lang):
        lines = [
            _("Write your question in your own words, in Russian or Kazakh, for example:"),
            _("«what is stalking», «someone asks for my SMS code», «upcoming hearings»."),
            "",
            _("/menu — topics"),
            _("/lang — change the language"),
            _("/subscribe — announcements"),
            _("/about — about the bot"),
            _("/privacy — what we store about you"),
            _("/forget — delete your data"),
        ]
        html = "\n".join(str(escape(line)) for line in lines)
        return Reply(html, lang, ((menu_button(),),))


def _run_by(operator: str) -> str:
    """Say who runs the bot, in the current language."""
    return _("The bot is run by {operator}.").format(operator=operator)


def about_page(lang: str, *, operator: str = "") -> Reply:
    """Describe the bot; `operator` (in `lang`, as configured) is named when given."""
    with use_locale(lang):
        parts = [
            "<b>" + str(escape(_("About Zanbot"))) + "</b>",
            str(escape(_(
                "Zanbot explains new laws and how to protect yourself from fraud, for residents "
                "of the Pavlodar region. It gives general legal information, not legal advice "
                "on your particular case, and it does not accept complaints or reports."
            ))),
            *([str(escape(_run_by(operator)))] if operator else []),
            str(escape(_(
                "In danger, call 102 (police) or 112 (the single emergency number)."
            ))),
            str(escape(_("Official texts of the laws: adilet.zan.kz"))),
        ]  # fmt: skip
        return Reply("\n\n".join(parts), lang, ((menu_button(),),))


# Telegram's limits for the bot's description and short description (setMyDescription).
DESCRIPTION_MAX, SHORT_DESCRIPTION_MAX = 512, 120


def bot_description(lang: str, *, operator: str = "") -> str:
    """The bot's description, shown in an empty chat before the user presses Start (plain
    text); `operator` (in `lang`, as configured) is named when given and it fits."""
    with use_locale(lang):
        about = _(
            "Zanbot explains new laws and how to protect yourself from fraud, for residents of "
            "the Pavlodar region, in Russian and Kazakh: write your question in your own words. "
            "It gives general legal information, not legal advice on your particular case, and "
            "it does not accept complaints or reports."
        )
        danger = _("In danger, call 102 (police) or 112 (the single emergency number).")
        if operator:
            text = "\n\n".join((about, _run_by(operator), danger))
            if len(text) <= DESCRIPTION_MAX:
                return text
        return "\n\n".join((about, danger))


def bot_short_description(lang: str) -> str:
    """The bot's short description: its profile page and links to it (plain text)."""
    with use_locale(lang):
        return _(
            "New laws and protection from fraud, for the Pavlodar region. Legal information, "
            "not legal advice."
        )


def privacy_page(lang: str, data: dict[str, Any]) -> Reply:
    """Say what is stored in general and show what is stored about this user."""
    with use_locale(lang):
        general = _(
            "We store your Telegram id, the language you chose, when you first and last wrote, "
            "your subscriptions and your 👍/👎 feedback. We do not store your messages; questions "
            "the bot could not answer are kept without your id and with card numbers, IINs, "
            "phone numbers and e-mails removed, so that editors can improve the answers."
        )
        lines = [str(escape(general)), "", "<b>" + str(escape(_("Stored about you:"))) + "</b>"]
        user = data.get("user") or {}
        if not user:
            lines.append(str(escape(_("nothing"))))
        else:
            chosen = LANG_NAMES.get(str(user.get("lang")), "—")
            lines.append(str(escape(_("language: {lang}").format(lang=chosen))))
            first_seen = _day(user.get("first_seen"), lang)
            lines.append(str(escape(_("first message: {date}").format(date=first_seen))))
            chosen_topics = set(data.get("subscriptions") or ())
            subs = (
                ", ".join(
                    str(label) for topic, label in TOPIC_LABELS.items() if topic in chosen_topics
                )
                or "—"
            )
            lines.append(str(escape(_("subscriptions: {topics}").format(topics=subs))))
            count = int(data.get("feedback_count") or 0)
            lines.append(str(escape(_("feedback given: {count}").format(count=count))))
            if data.get("draft"):
                lines.append(str(escape(_("an announcement you began and have not sent"))))
        lines += ["", str(escape(_("/forget deletes all of it.")))]
        return Reply("\n".join(lines), lang, ((menu_button(),),))


def _day(value: object, lang: str) -> str:
    """Format a stored ISO date-time as a date in the user's language (Babel)."""
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return "—"
    return format_date(when, "long", locale=lang)


def forget_confirm_page(lang: str) -> Reply:
    with use_locale(lang):
        html = escape(_("Delete everything stored about you (language, subscriptions, feedback)?"))
        yes, no = encode(Forget(confirmed=True)), encode(Forget(confirmed=False))
        buttons = ((Button(_("Yes, delete"), yes), Button(_("Cancel"), no)),)
        return Reply(str(html), lang, buttons)


def forget_done_page(lang: str, *, deleted: bool) -> Reply:
    with use_locale(lang):
        text = (
            _("Done: everything stored about you has been deleted. /start begins anew.")
            if deleted
            else _("Nothing was deleted.")
        )
        return Reply(str(escape(text)), lang)


def slow_down_page(lang: str) -> Reply:
    with use_locale(lang):
        text = _("You are sending messages too fast. Please wait a few seconds and try again.")
        return Reply(str(escape(text)), lang)


def not_text_page(lang: str) -> Reply:
    with use_locale(lang):
        text = _("I can only read text. Please type your question, or open the menu.")
        return Reply(str(escape(text)), lang, ((menu_button(),),))


def error_page(lang: str) -> Reply:
    with use_locale(lang):
        text = _("Sorry, something went wrong on our side. Please try again a bit later.")
        return Reply(str(escape(text)), lang)


def greeting_page(lang: str, first_name: str | None, *, operator: str = "") -> Reply:
    """Greet the user; `operator` (in `lang`, as configured) is named when given."""
    with use_locale(lang):
        if first_name:
            text = _(
                "Hello, {name}! I am Zanbot, the legal-awareness assistant of the Pavlodar region."
            ).format(name=first_name)
        else:
            text = _("Hello! I am Zanbot, the legal-awareness assistant of the Pavlodar region.")
        if operator:
            text += " " + _run_by(operator)
        return Reply(str(escape(text)), lang)


def feedback_thanks(lang: str) -> str:
    with use_locale(lang):
        return _("Thank you for your feedback!")


def unknown_command_page(lang: str) -> Reply:
    with use_locale(lang):
        text = _("I do not know this command. /help lists what I can do.")
        return Reply(str(escape(text)), lang, ((menu_button(),),))
