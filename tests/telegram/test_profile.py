"""The bot's description and short description: set at start per language (ru, kk, default),
within Telegram's limits, naming who runs the bot only when that is configured."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from botharness import make_config, running_bot
from fakebotapi import FakeBotAPI

from bot.conversation.pages import (
    DESCRIPTION_MAX,
    SHORT_DESCRIPTION_MAX,
    bot_description,
    bot_short_description,
)
from bot.i18n import LANGS
from bot.knowledge.library import Library

OPERATOR = {"ru": "прокуратура Павлодарской области", "kk": "Павлодар облысының прокуратурасы"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("operator", ["", "operator"])
def test_descriptions_fit_telegrams_limits(lang: str, operator: str) -> None:
    name = OPERATOR[lang] if operator else ""
    description, short = bot_description(lang, operator=name), bot_short_description(lang)
    assert 0 < len(description) <= DESCRIPTION_MAX
    assert 0 < len(short) <= SHORT_DESCRIPTION_MAX
    assert "Zanbot" in description
    assert (name in description) if name else ("{operator}" not in description)
    assert "102" in description and "112" in description


def test_descriptions_are_translated() -> None:
    ru, kk = bot_description("ru"), bot_description("kk")
    assert "юридическ" in ru and "мошенник" in ru  # not legal advice; fraud
    assert "заң кеңесін бермейді" in kk and "алаяқтар" in kk
    assert bot_short_description("ru") != bot_short_description("kk")
    assert "information" not in bot_short_description("kk")


def test_an_operator_name_too_long_to_fit_is_left_out() -> None:
    name = "очень длинное название " * 30
    description = bot_description("ru", operator=name)
    assert len(description) <= DESCRIPTION_MAX
    assert "длинное" not in description
    assert description == bot_description("ru")


async def test_the_bot_sets_both_descriptions_once_per_language(
    library: Library, tmp_path: Path
) -> None:
    async with FakeBotAPI() as api:
        config = make_config(api, tmp_path / "bot.sqlite3")
        async with running_bot(config, library):
            pass
    for method, key in (("setMyDescription", "description"),
                        ("setMyShortDescription", "short_description")):  # fmt: skip
        calls = api.requests_for(method)
        assert Counter(c.get("language_code") for c in calls) == {None: 1, "ru": 1, "kk": 1}
        texts = {c.get("language_code") or "": c[key] for c in calls}
        assert texts[""] == texts["ru"]  # the default is Russian, like the command menu
        assert texts["ru"] != texts["kk"]
    assert api.bot_settings[("description", "kk")] == bot_description("kk")
    assert api.bot_settings[("short_description", "ru")] == bot_short_description("ru")
    assert "управляет" not in api.bot_settings[("description", "ru")]
    assert api.errors == []


async def test_the_description_names_the_configured_operator_in_each_language(
    library: Library, tmp_path: Path
) -> None:
    async with FakeBotAPI() as api:
        config = make_config(
            api, tmp_path / "bot.sqlite3", operator_ru=OPERATOR["ru"], operator_kk=OPERATOR["kk"]
        )
        async with running_bot(config, library):
            pass
    settings = api.bot_settings
    assert "Ботом управляет прокуратура Павлодарской области." in settings[("description", "ru")]
    assert "Ботты Павлодар облысының прокуратурасы басқарады." in settings[("description", "kk")]
    assert settings[("description", "")] == settings[("description", "ru")]
    assert OPERATOR["ru"] not in settings[("short_description", "ru")]


async def test_only_the_russian_operator_is_named_in_russian_only(
    library: Library, tmp_path: Path
) -> None:
    async with FakeBotAPI() as api:
        config = make_config(api, tmp_path / "bot.sqlite3", operator_ru=OPERATOR["ru"])
        async with running_bot(config, library):
            pass
    assert OPERATOR["ru"] in api.bot_settings[("description", "ru")]
    assert "басқарады" not in api.bot_settings[("description", "kk")]
    assert OPERATOR["ru"] not in api.bot_settings[("description", "kk")]
