"""Tests for facts: the same facts in ru and kk, however each language writes them, and the
checks built on them (parity, relative dates, the official text's link, the date of figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.checks import CheckResult, run_checks
from bot.knowledge.facts import facts_in


@pytest.mark.parametrize(
    ("ru", "kk"),
    [
        ("снизилось на 64%", "64 пайызға төмендеді"),
        ("на 12,6 %", "12,6%-ға"),
        ("на 17,7 процента", "17,7 пайыз"),
        ("28 апреля 2026 года", "2026 жылғы 28 сәуір"),
        ("17 марта 2026 года", "2026 жылғы 17 наурызда"),
        ("в 10:00", "сағат 10:00-де"),
        ("ст. 115-1 УК", "ҚК-нің 115-1-бабы"),
        ("[текст](https://adilet.zan.kz/rus/docs/K1400000226)",
         "[мәтін](https://adilet.zan.kz/kaz/docs/K1400000226)"),
        ("звоните 102", "102-ге қоңырау шалыңыз"),
        ("пишите на info@prokuror.kz.", "info@prokuror.kz поштасына жазыңыз"),
    ],
)  # fmt: skip
def test_each_language_writes_a_fact_its_way(ru: str, kk: str) -> None:
    assert sorted(facts_in(ru)) == sorted(facts_in(kk))


def test_facts_of_a_line() -> None:
    line = "С 1 200 дел, 28 апреля 2026 года в 10:00 — на 64 %; см. adilet.zan.kz и ст. 232-1"
    assert sorted(facts_in(line)) == sorted(
        ["1200", "2026-04-28", "10:00", "64%", "adilet.zan.kz", "232-1"]
    )


def test_a_date_without_a_year_is_still_a_date() -> None:
    assert list(facts_in("17 марта")) == list(facts_in("17 наурыз")) == ["--03-17"]


def problems(result: CheckResult, path: Path, severity: str = "error") -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in result.problems
            if p.path == path and p.severity == severity]  # fmt: skip


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_lines(path: Path, fragment: str) -> None:
    """Remove the lines of `path` that contain `fragment`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if fragment not in line]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def versions(root: Path, topic_id: str) -> tuple[Path, Path]:
    """Return the ru and the kk file of a topic."""
    return root / "ru" / f"{topic_id}.md", root / "kk" / f"{topic_id}.md"


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if fragment in line)


def test_a_figure_only_one_language_states_is_an_error_at_both_places(
    content_copy: Path,
) -> None:
    ru, kk = versions(content_copy, "crime-stats-pavlodar")
    replace(kk, "64%", "65%")
    result = run_checks(content_copy)
    ru_line = line_of(ru, "64%")
    [(_, missing_in_kk)] = [p for p in problems(result, kk) if "64%" in p[1]]
    assert f"ru states 64% ({ru}:{ru_line}) and kk does not" in missing_in_kk
    [(line, missing_in_ru)] = [p for p in problems(result, ru) if "65%" in p[1]]
    assert f"kk states 65% ({kk}:{line_of(kk, '65%')})" in missing_in_ru
    assert line > 1  # at the answer of the file that lacks it


def test_a_phone_number_or_link_missing_in_one_language_is_an_error(content_copy: Path) -> None:
    ru, kk = versions(content_copy, "uk-232-1-droppers")
    replace(ru, "**102**", "**102** или **112**")
    replace(kk, "https://adilet.zan.kz/kaz/docs/K1400000226", "https://adilet.zan.kz/kaz/docs/X1")
    result = run_checks(content_copy)
    assert any("ru states 112" in m for _line, m in problems(result, kk))
    assert any("adilet.zan.kz/docs/x1" in m for _line, m in problems(result, ru))


def test_relative_time_words_are_a_warning_with_their_line(content_copy: Path) -> None:
    ru, kk = versions(content_copy, "uk-115-1-stalking")
    replace(ru, "По данным на весну 2026 года, в", "В этом году в")
    replace(kk, "2026 жылғы көктемдегі дерек бойынша", "Биыл")
    result = run_checks(content_copy)
    assert (line_of(ru, "В этом году"),) == tuple(
        line for line, m in problems(result, ru, "warning") if "'В этом году' goes stale" in m
    )
    assert any("'Биыл' goes stale" in m for _line, m in problems(result, kk, "warning"))


def test_an_answer_on_a_law_without_its_official_text_is_an_error(content_copy: Path) -> None:
    ru = content_copy / "ru" / "uk-125-1-forced-marriage.md"
    drop_lines(ru, "adilet.zan.kz")
    result = run_checks(content_copy)
    assert any("links its official text (adilet.zan.kz): none found" in m
               for _line, m in problems(result, ru))  # fmt: skip


def test_sources_in_front_matter_count_as_the_official_text(content_copy: Path) -> None:
    ru, kk = versions(content_copy, "uk-125-1-forced-marriage")
    link = "https://adilet.zan.kz/rus/docs/K1400000226"
    for path in (ru, kk):
        drop_lines(path, "adilet.zan.kz")
        replace(path, "category: articles\n", f"category: articles\nsources:\n  - {link}\n")
    result = run_checks(content_copy)
    assert not problems(result, ru) and not problems(result, kk)


def test_figures_without_as_of_are_a_warning_and_as_of_silences_it(content_copy: Path) -> None:
    ru = content_copy / "ru" / "crime-stats-pavlodar.md"
    message = "the answer gives figures: add 'as_of: YYYY-MM-DD', the day they are true for"
    assert (line_of(ru, "id:"), message) in problems(run_checks(content_copy), ru, "warning")
    replace(ru, "category: info\n", "category: info\nas_of: 2026-03-01\n")
    assert not any("as_of" in m for _line, m in problems(run_checks(content_copy), ru, "warning"))


def test_as_of_must_be_a_date(content_copy: Path) -> None:
    ru = content_copy / "ru" / "crime-stats-pavlodar.md"
    replace(ru, "category: info\n", "category: info\nas_of: весна 2026\n")
    result = run_checks(content_copy)
    assert problems(result, ru) == [
        (line_of(ru, "as_of:"), "'as_of' must be a date as YYYY-MM-DD, not 'весна 2026'")
    ]
