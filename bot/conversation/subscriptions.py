"""The subscription menu: topics as toggle buttons with ✅ marks, as channel-free Replies."""

from __future__ import annotations

from markupsafe import escape

from bot.conversation.assistant import Button, Reply, menu_button
from bot.conversation.callbacks import ToggleSubscription, encode
from bot.i18n import _, __, use_locale
from bot.storage.interface import SUBSCRIPTION_TOPICS

TOPIC_LABELS = {
    "fraud": __("Fraud alerts"),
    "laws": __("New laws"),
    "hearings": __("Public hearings"),
    "all": __("All announcements"),
}
OFF = "off"  # callback argument: unsubscribe from everything


def subscriptions_page(lang: str, subscribed: set[str]) -> Reply:
    """Show every topic with a ✅ when subscribed; a button press toggles it."""
    with use_locale(lang):
        lines = [_("Choose the announcements you want to get. Tap a topic to turn it on or off.")]
        if not subscribed:
            lines.append(_("You are not subscribed to anything yet."))
        rows = [
            (Button(("✅ " if topic in subscribed else "▫️ ") + str(TOPIC_LABELS[topic]),
                    encode(ToggleSubscription(topic))),)
            for topic in SUBSCRIPTION_TOPICS
        ]  # fmt: skip
        if subscribed:
            everything = encode(ToggleSubscription(OFF))
            rows.append((Button(_("🔕 Unsubscribe from everything"), everything),))
        rows.append((menu_button(),))
        html = "\n\n".join(str(escape(line)) for line in lines)
    return Reply(html, lang, tuple(rows), kind="menu")


def unsubscribed_page(lang: str) -> Reply:
    """Confirm that every subscription is off."""
    with use_locale(lang):
        text = _(
            "You have unsubscribed from all announcements and will get no more of them. "
            "/subscribe turns them on again."
        )
    return Reply(str(escape(text)), lang, ((menu_button(),),))
