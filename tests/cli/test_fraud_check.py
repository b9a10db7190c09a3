"""`zanbot fraud-check`: JSON lines in, one decision per line out, as the bot decides."""

from __future__ import annotations

import io
import json
import sys

import pytest

from bot.cli.main import main


def run(capsys: pytest.CaptureFixture[str], stdin: str, *argv: str) -> tuple[int, str, str]:
    saved, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        code = main(["fraud-check", *argv])
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


def test_fraud_check_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = (
        '{"text": "Служба безопасности Kaspi: назовите код из SMS"}\n'
        "not json\n\n"
        '{"text": "Құттықтаймыз! Сізге сыйлық: bit.ly/abc"}\n'
        '{"text": "Мама, я доехала, позвоню вечером"}\n'
    )
    code, out, err = run(capsys, stdin)
    scam, bad, kk, legit = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert sorted(scam) == ["fraud", "lang", "signs", "text"]
    assert scam["fraud"] is True and scam["lang"] == "ru"
    assert scam["signs"][:2] == ["code-request", "impersonation"]
    assert bad == {"error": "invalid JSON: Expecting value at column 1", "line": 2}
    assert err.startswith("stdin:2:")
    assert (kk["lang"], kk["fraud"], kk["signs"]) == ("kk", True, ["prize", "link-shortener"])
    assert (legit["fraud"], legit["signs"]) == (False, [])


def test_without_signs_file_the_check_is_off(capsys, content_copy) -> None:
    (content_copy / "fraud-signs.yaml").unlink()
    code, out, err = run(capsys, '{"text": "x"}\n', "--content", str(content_copy))
    assert code == 1 and out == "" and "fraud check is off" in err
