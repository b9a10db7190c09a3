"""Tests for bot.cli.main, run in-process through main() with the output captured."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from imaging import png_size

from bot.cli.main import main
from bot.conversation.assistant import Assistant
from bot.knowledge.chart import DPI, SIZE
from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's .env and environment out of the tests."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "ZANBOT_CONTENT_DIR",
        "ZANBOT_DATABASE",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BOT_USERNAME",
    ):
        monkeypatch.delenv(name, raising=False)


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | bytes = ""
) -> tuple[int, str, str]:
    raw = stdin if isinstance(stdin, bytes) else stdin.encode("utf-8", "surrogatepass")
    saved, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    try:
        code = main(list(argv))
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


def test_content_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "content", "check")
    assert (code, out.splitlines()[-1].startswith("content check: 0 errors, ")) == (0, True)


def test_content_check_fails_on_broken_content(
    capsys: pytest.CaptureFixture[str], content_copy: Path
) -> None:
    (content_copy / "kk" / "smalltalk-thanks.md").unlink()
    code, out, _ = run(
        capsys, "content", "check", "--content", str(content_copy), "--format", "json"
    )
    document = json.loads(out)
    assert (code, document["ok"], len(document["errors"])) == (1, False, 1)


def test_preview(capsys: pytest.CaptureFixture[str], library: Library) -> None:
    code, out, _ = run(capsys, "preview", "uk-115-1-stalking", "--lang", "kk")
    topic = library.kb.get("uk-115-1-stalking", "kk")
    assert topic is not None
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("--- message 1/1 (HTML, ")
    assert lines[1] == f"<b>{topic.title}</b>"
    plain = lines.index("--- plain text ---")
    assert lines[plain + 1] == topic.title
    buttons = lines[lines.index("--- buttons ---") + 1 :]
    related = [line.rsplit(" ", 1)[1] for line in buttons[: len(topic.related)]]
    assert related == [f"t:{r}" for r in topic.related]
    assert buttons[-1].endswith("] menu")


def test_preview_unknown_topic(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "preview", "uk-115-stalking")
    assert (code, out) == (1, "")
    assert err.startswith("unknown topic 'uk-115-stalking'; did you mean: uk-115-1-stalking")


async def _fill(path: Path) -> None:
    async with SQLiteStorage(path) as storage:  # the real clock: today is in the default period
        await storage.add_counts({"ru": (2, 1)}, {("emergency-contacts", "ru"): 1})
        await storage.add_unanswered_many([("как оформить загранпаспорт", "ru")])
        await storage.add_feedback(7, "emergency-contacts", "ru", helpful=False)


def test_report_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    database = tmp_path / "zanbot.sqlite3"
    asyncio.run(_fill(database))
    code, out, _ = run(capsys, "report", "--database", str(database), "--format", "csv")
    rows = [
        (r["section"], r["lang"], r["topic"], r["count"]) for r in csv.DictReader(io.StringIO(out))
    ]
    assert code == 0
    assert rows[0] == ("questions", "ru", "", "2")
    assert rows[2:] == [
        ("topics", "ru", "emergency-contacts", "1"),
        ("unanswered", "ru", rows[3][2], "1"),
        ("feedback", "ru", "emergency-contacts", "1"),
    ]


def test_report_period_from_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "env.sqlite3"
    asyncio.run(_fill(database))
    monkeypatch.setenv("ZANBOT_DATABASE", str(database))
    today = datetime.now(UTC).date().isoformat()
    code, out, _ = run(capsys, "report", "--since", "2020-01-01", "--until", "2020-01-31")
    assert (code, "  all: 0 asked, 0 answered (0%)" in out.splitlines()) == (0, True)
    code, out, _ = run(capsys, "report", "--days", "1")
    assert out.splitlines()[0] == f"Zanbot report {today} — {today} (UTC days)"


def test_report_chart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    database, chart = tmp_path / "zanbot.sqlite3", tmp_path / "charts" / "report.png"
    asyncio.run(_fill(database))
    chart.parent.mkdir()
    code, out, err = run(capsys, "report", "--database", str(database), "--lang", "kk",
                         "--chart", str(chart))  # fmt: skip
    assert (code, out.splitlines()[0].startswith("Zanbot есебі")) == (0, True)  # text as before
    assert err == f"chart written to {chart}\n"
    assert png_size(chart.read_bytes()) == (SIZE[0] * DPI, SIZE[1] * DPI)


def test_report_missing_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "report", "--database", str(tmp_path / "none.sqlite3"))
    assert (code, "does not exist" in err, (tmp_path / "none.sqlite3").exists()) == (1, True, False)


def test_report_reversed_period(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "--since", "2026-03-05", "--until", "2026-03-01")
    assert (code, err.startswith("zanbot report: the period starts")) == (2, True)


def test_chat_shares_with_the_configured_bots_link(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, library: Library
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "zanbot_bot")
    reply, _match = Assistant(library).ask("232-1", "ru")
    share = [b.data for row in reply.buttons for b in row].index("sh:uk-232-1-droppers") + 1
    code, out, _err = run(capsys, "chat", "--lang", "ru", stdin=f"232-1\n{share}\n/quit\n")
    assert code == 0
    assert "https://t.me/zanbot_bot?start=uk-232-1-droppers" in out


def test_match_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = '{"text": "что такое сталкинг"}\nnot json\n\n{"text": 5}\n{"text": "сәлем"}\n'
    code, out, err = run(capsys, "match", stdin=stdin)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [sorted(line) for line in lines] == [
        ["candidates", "lang", "text", "topic"],
        ["error", "line"],
        ["error", "line"],
        ["candidates", "lang", "text", "topic"],
    ]
    first, bad, wrong_type, kk = lines
    assert (first["text"], first["lang"], first["topic"]) == (
        "что такое сталкинг", "ru", "uk-115-1-stalking",
    )  # fmt: skip
    assert first["candidates"][0]["topic"] == "uk-115-1-stalking"
    assert (bad["line"], wrong_type["line"], kk["lang"]) == (2, 4, "kk")
    assert [line.split(":")[0:2] for line in err.splitlines()] == [["stdin", "2"], ["stdin", "4"]]


def test_match_survives_any_line(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = (
        b'{"text": "\\ud800"}\n'  # a lone surrogate, valid JSON
        b"\xff\xfe not utf-8\n"
        b'{"text": "\\ud83d\\ude00 \\u0441\\u0442. 188"}\n'  # a surrogate pair, then text
        b"[1, 2]\n"
        b'{"text": "\\u0000"}\n' + '{"text": "ст. 188 УК"}\n'.encode()
    )
    code, out, _err = run(capsys, "match", stdin=stdin)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [("error" in line) for line in lines] == [False, True, False, True, False, False]
    assert lines[0]["text"] == "\ufffd"
    assert lines[2]["text"] == "😀 ст. 188"
    assert lines[5]["topic"] is None
    assert lines[5]["article"] == {"code": "criminal", "number": "188"}
    assert "not UTF-8" in lines[1]["error"]


def test_kb_dump(capsys: pytest.CaptureFixture[str], library: Library) -> None:
    code, out, _ = run(capsys, "kb", "dump")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert sorted((r["id"], r["lang"]) for r in rows) == sorted((t.id, t.lang) for t in library.kb)
    assert {tuple(sorted(r)) for r in rows} == {("category", "id", "lang", "questions", "title")}


def test_eval(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "eval", str(DATA / "eval-small.tsv"))
    lines = out.splitlines()
    assert code == 0
    assert lines[:6] == [
        "top-1 accuracy overall:      83.3% (5/6)",
        "top-1 accuracy kk:          100.0% (2/2)",
        "top-1 accuracy ru:           75.0% (3/4)",
        "in-scope top-1 accuracy:     80.0% (4/5)",
        "out-of-scope refused:       100.0% (1/1)",
        "language detection:         100.0% (6/6)",
    ]
    assert (
        lines[6] == "confidence of the best topic, and how often it is right (the threshold "
        "answers from its row on):"
    )
    table = {row.split()[0]: row.split()[1:] for row in lines[8:17]}
    assert sum(int(cells[0]) for cells in table.values()) == 6  # every question in one row
    assert lines[17:] == [
        "misses (1):",
        "  line 7 [ru→ru] 'навязчивое преследование': expected smalltalk-thanks, "
        "got uk-115-1-stalking (answer)",
    ]
