"""Who runs the bot (ZANBOT_OPERATOR_RU/KK) in /start and /about, over the fake Bot API."""

from __future__ import annotations

from pathlib import Path

import pytest
from botharness import make_config, running_bot
from conftest import NOW
from fakebotapi import FakeBotAPI

from bot.knowledge.library import Library

OPERATOR_RU = "прокуратура Павлодарской области"


@pytest.mark.parametrize(
    ("operator_kk", "kk_names"),
    [("Павлодар облысының прокуратурасы", True), ("", False)],
)
async def test_start_and_about_name_the_operator_in_the_users_language(
    api: FakeBotAPI, library: Library, tmp_path: Path, operator_kk: str, kk_names: bool
) -> None:
    config = make_config(
        api, tmp_path / "bot.sqlite3", operator_ru=OPERATOR_RU, operator_kk=operator_kk
    )
    async with running_bot(config, library, clock=lambda: NOW):
        dana = api.user(2001, first_name="Дана", language_code="ru")
        aigul = api.user(2002, first_name="Айгүл", language_code="kk")

        await api.send_command(dana, "/start")
        [greeting] = await api.wait_for(dana.id)
        assert "Ботом управляет прокуратура Павлодарской области." in greeting["text"]
        await api.send_command(dana, "/about")
        [about] = await api.wait_for(dana.id)
        assert "Ботом управляет прокуратура Павлодарской области." in about["text"]

        # Kazakh users see the Kazakh name, or no owner at all: never the Russian name.
        await api.send_command(aigul, "/start")
        [greeting] = await api.wait_for(aigul.id)
        await api.send_command(aigul, "/about")
        [about] = await api.wait_for(aigul.id)
        assert greeting["text"].startswith("Сәлеметсіз бе, Айгүл!")
        for text in (greeting["text"], about["text"]):
            assert OPERATOR_RU not in text
            assert ("Ботты Павлодар облысының прокуратурасы басқарады." in text) == kk_names


async def test_without_an_operator_no_owner_is_named(
    api: FakeBotAPI, library: Library, tmp_path: Path
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3")
    async with running_bot(config, library, clock=lambda: NOW):
        user = api.user(2003, first_name="Ерлан", language_code="ru")
        await api.send_command(user, "/start")
        [greeting] = await api.wait_for(user.id)
        await api.send_command(user, "/about")
        [about] = await api.wait_for(user.id)
        for text in (greeting["text"], about["text"]):
            assert "управляет" not in text and "прокуратур" not in text.lower()
