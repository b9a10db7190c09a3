"""Tests for bot.cli.link: `zanbot link`, with the username configured or asked from the fake
Bot API (getMe), and its QR code read back by a real reader."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI
from imaging import png_size, read_qr

from bot.cli.main import main

LINK = "https://t.me/ZanbotPavlodarBot?start=uk-232-1-droppers"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's .env and environment out of the tests."""
    monkeypatch.chdir(tmp_path)
    for name in ("ZANBOT_CONTENT_DIR", "TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)


def link(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["link", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_link_prints_the_deep_link_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@ZanbotPavlodarBot")
    assert link(capsys, "uk-232-1-droppers") == (0, LINK + "\n", "")


@pytest.mark.parametrize("name", ["poster.png", "poster.PNG"])
def test_link_writes_a_qr_code_that_reads_back(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    name: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "ZanbotPavlodarBot")
    code, out, err = link(capsys, "uk-232-1-droppers", "--qr", str(tmp_path / name))
    assert (code, out, err) == (
        0,
        LINK + "\n",
        f"QR code of the link written to {tmp_path / name}\n",
    )
    content = (tmp_path / name).read_bytes()
    width, height = png_size(content)
    assert width == height >= 1000
    assert read_qr(content) == [LINK]


def test_link_writes_an_svg(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "ZanbotPavlodarBot")
    assert link(capsys, "uk-232-1-droppers", "--qr", str(tmp_path / "poster.svg"))[0] == 0
    assert "<svg" in (tmp_path / "poster.svg").read_text(encoding="utf-8")


def test_link_refuses_another_image_kind(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "ZanbotPavlodarBot")
    code, out, err = link(capsys, "uk-232-1-droppers", "--qr", str(tmp_path / "poster.jpg"))
    assert (code, out, "expected a .png or .svg file" in err) == (2, "", True)
    assert not (tmp_path / "poster.jpg").exists()


def test_unknown_topic_says_how_to_find_ids(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "ZanbotPavlodarBot")
    code, out, err = link(capsys, "uk-232-droppers", "--qr", str(tmp_path / "q.png"))
    assert (code, out) == (1, "")
    first, second = err.splitlines()
    assert first == "zanbot link: unknown topic 'uk-232-droppers'; did you mean: uk-232-1-droppers?"
    assert "zanbot kb dump" in second and "content/ru" in second
    assert not (tmp_path / "q.png").exists()


def test_without_a_username_or_a_token_it_says_what_to_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = link(capsys, "uk-232-1-droppers")
    assert (code, out) == (2, "")
    assert "TELEGRAM_BOT_USERNAME" in err and "TELEGRAM_BOT_TOKEN" in err


async def test_the_username_is_asked_from_telegram(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, api: FakeBotAPI
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("TELEGRAM_API_URL", api.url)
    # main() runs its own event loop, as on the command line: in a thread beside the server's.
    code = await asyncio.to_thread(main, ["link", "fraud-victim-steps"])
    out, _err = capsys.readouterr()
    assert (code, out) == (0, f"https://t.me/{api.bot_username}?start=fraud-victim-steps\n")
    assert [method for method, _params in api.requests] == ["getMe"]


async def test_a_refused_getme_is_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, api: FakeBotAPI
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:REVOKED")
    monkeypatch.setenv("TELEGRAM_API_URL", api.url)
    api.fail_next("getMe", status=401)
    code = await asyncio.to_thread(main, ["link", "fraud-victim-steps"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("zanbot link: could not ask Telegram for the bot's username: ")
