"""Tests for `zanbot broadcast …` (bot.cli.broadcast) on a real database file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli.broadcast import read_texts
from bot.cli.main import main
from bot.storage.broadcasts import Broadcast, BroadcastStore
from bot.storage.sqlite import SQLiteStorage

ANNOUNCEMENT = "**Внимание**: новые статьи УК.\n\n--- kk ---\n**Назар**: ҚК жаңа баптары.\n"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "zanbot.sqlite3"

    async def seed() -> None:
        async with SQLiteStorage(path) as storage:
            for user_id, topic, lang in [(1, "laws", "ru"), (2, "all", "kk"), (3, "fraud", "kk")]:
                await storage.subscribe(user_id, topic)
                await storage.set_language(user_id, lang)

    asyncio.run(seed())
    return path


def stored(database: Path) -> list[Broadcast]:
    async def read() -> list[Broadcast]:
        async with SQLiteStorage(database) as storage:
            return await BroadcastStore(storage).recent()

    return asyncio.run(read())


def test_read_texts_splits_the_languages() -> None:
    assert read_texts(ANNOUNCEMENT) == {
        "ru": "**Внимание**: новые статьи УК.",
        "kk": "**Назар**: ҚК жаңа баптары.",
    }
    assert read_texts("--- ru ---\nТолько по-русски\n") == {"ru": "Только по-русски"}
    assert read_texts("--- kk ---\nТек қазақша\n") == {"kk": "Тек қазақша"}
    assert read_texts("  \n") == {}


def test_send_list_status_cancel(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "news.md"
    file.write_text(ANNOUNCEMENT, encoding="utf-8")
    db = ["--database", str(database)]
    assert main(["broadcast", "send", str(file), "--audience", "laws", "--at",
                 "2099-01-01 10:00", *db]) == 0  # fmt: skip
    assert "#1" in capsys.readouterr().out
    [created] = stored(database)
    assert (created.audience_topic, created.single_lang, created.state) == (
        "laws",
        None,
        "scheduled",
    )
    assert created.text_ru == "<b>Внимание</b>: новые статьи УК."
    assert created.text_kk == "<b>Назар</b>: ҚК жаңа баптары."
    assert created.send_at.isoformat() == "2099-01-01T05:00:00+00:00"  # Asia/Almaty is UTC+5

    assert main(["broadcast", "status", "1", *db]) == 0
    out = capsys.readouterr().out
    assert "#1" in out and "scheduled" in out and "pending 2" in out  # user 1 and user 2 (all)
    assert main(["broadcast", "list", *db]) == 0
    assert "#1" in capsys.readouterr().out
    assert main(["broadcast", "cancel", "1", *db]) == 0
    assert main(["broadcast", "cancel", "1", *db]) == 1
    assert main(["broadcast", "status", "9", *db]) == 1
    assert [b.state for b in stored(database)] == ["cancelled"]


def test_one_text_for_everyone_in_one_language(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "kk.md"
    file.write_text("--- kk ---\nТек қазақша\n", encoding="utf-8")
    args = ["broadcast", "send", str(file), "--audience", "everyone", "--lang", "kk"]
    assert main([*args, "--database", str(database)]) == 0
    [created] = stored(database)
    assert (created.audience_topic, created.audience_lang, created.single_lang) == (
        None,
        "kk",
        "kk",
    )
    assert "2 recipient" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("&" * 1000, [], "characters after rendering"),
        ("Текст", ["--at", "2020-01-01 10:00"], "has passed"),
        ("Текст", ["--at", "завтра"], "expected 'YYYY-MM-DD HH:MM'"),
        ("\n", [], "no text"),
    ],
)
def test_send_refuses_bad_input(
    database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    extra: list[str],
    message: str,
) -> None:
    file = tmp_path / "bad.md"
    file.write_text(text, encoding="utf-8")
    args = ["broadcast", "send", str(file), "--audience", "everyone", "--database", str(database)]
    assert main([*args, *extra]) == 2
    assert message in capsys.readouterr().err
    assert stored(database) == []


def test_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["broadcast", "list", "--database", str(tmp_path / "none.sqlite3")])
    assert "does not exist" in capsys.readouterr().err
