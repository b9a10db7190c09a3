"""content/fraud-signs.yaml: loading, validation with file:line, and the library's use of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.checks import run_checks
from bot.knowledge.fraudsigns import FILE_NAME, load_fraud_signs
from bot.knowledge.library import Library
from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.topics import ContentError


def edit(root: Path, old: str, new: str) -> Path:
    path = root / FILE_NAME
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_bundled_signs_load_without_problems(content_copy: Path) -> None:
    signs, problems = load_fraud_signs(content_copy, load_knowledge_base(content_copy))
    assert problems == []
    assert signs is not None and {"code-request", "link-lookalike"} <= {s.id for s in signs.signs}
    assert all(set(s.labels) == {"ru", "kk"} for s in signs.signs)


def test_no_file_turns_the_check_off(content_copy: Path) -> None:
    (content_copy / FILE_NAME).unlink()
    assert load_fraud_signs(content_copy) == (None, [])


def test_bad_pattern_unknown_topic_and_missing_language(content_copy: Path) -> None:
    path = edit(content_copy, "      ru: [anydesk,", "      ru: ['re:(unclosed', anydesk,")
    edit(content_copy, "topic: uk-232-1-droppers", "topic: no-such-topic")
    edit(content_copy, "      kk: ақшаны «қауіпсіз» шотқа аударуды ұсынады\n", "")
    edit(content_copy, "'re:\\b\\d+ (tabys|paiyz)\\b'", "'re:\\bkassa'")
    kb = load_knowledge_base(content_copy)
    signs, problems = load_fraud_signs(content_copy, kb)
    assert signs is None
    assert any("bad pattern" in p.message and p.line == line_of(path, "re:(unclosed")
               for p in problems)  # fmt: skip
    assert any("unknown topic 'no-such-topic'" in p.message for p in problems)
    assert any(p.line == line_of(path, "no-such-topic") for p in problems)
    assert any("`label` has no `kk:`" in p.message for p in problems)
    assert any("doubled letters" in p.message and p.line == line_of(path, "re:\\bkassa")
               for p in problems)  # fmt: skip
    assert all(p.path == path for p in problems)


def test_content_check_reports_them_and_the_library_refuses_them(content_copy: Path) -> None:
    sign = "  - id: safe-account\n    strong: true\n    topic: "
    path = edit(content_copy, sign + "fraud-codes-and-cards", sign + "nowhere")
    result = run_checks(content_copy)
    [error] = [p for p in result.errors if p.path == path]
    assert error.line == line_of(path, "topic: nowhere")
    with pytest.raises(ContentError):
        Library(content_copy)


def test_invalid_yaml_has_a_line(content_copy: Path) -> None:
    path = edit(content_copy, "signs:\n", "signs: [\n")
    _signs, [problem] = load_fraud_signs(content_copy)
    assert problem.message.startswith("invalid YAML") and problem.line > 1
    assert problem.path == path


def test_an_edit_of_the_signs_is_noticed_and_reloaded(content_copy: Path) -> None:
    library = Library(content_copy)
    assert library.snapshot.fraud is not None and not library.changed()
    edit(content_copy, "anydesk, rustdesk, teamviewer, team viewer", "anydesk, rustdesk, aeroadmin")
    assert library.changed()
    assert library.reload() == []
    assert library.snapshot.fraud is not None
