"""Tests for bot.knowledge.topics.parse_topic and bot.knowledge.loader.load_knowledge_base.

The bundled content must load; every kind of broken content must be reported with the right
file and line, and all problems at once.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.knowledge.library import Library
from bot.knowledge.loader import default_content_dir, group_by_id, load_knowledge_base
from bot.knowledge.topics import CATEGORIES, ContentError, KnowledgeBase, Problem, parse_topic
from bot.matching.evaluation import read_cases
from bot.matching.text import fold

TOPICS_MD = Path("/work/shared/topics.md")
CATALOGUE_IDS = (
    "uk-115-1-stalking", "uk-125-1-forced-marriage", "uk-214-1-illegal-lending",
    "uk-214-2-illegal-collection", "uk-232-1-droppers", "koap-456-2-false-information",
    "ai-content-deepfakes", "fraud-protect-yourself", "fraud-codes-and-cards",
    "fraud-online-shopping", "fraud-victim-steps", "antifraud-center", "hearings-upcoming",
    "hearing-paz-2026-04-28", "hearings-how-to-comment", "crime-stats-pavlodar",
    "personal-data-protection", "drugs-precursors", "emergency-contacts", "smalltalk-greeting",
    "smalltalk-thanks", "smalltalk-help",
)  # fmt: skip


def catalogue_ids() -> list[str]:
    """The ids in the first column of the catalogue table (or the 22 known ones)."""
    if TOPICS_MD.is_file():
        text = TOPICS_MD.read_text(encoding="utf-8")
        ids = re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", text, flags=re.M)
        if ids:
            return ids
    return list(CATALOGUE_IDS)


# --- the bundled content ----------------------------------------------------------------


def test_catalogue_has_at_least_the_22_ids() -> None:
    ids = catalogue_ids()
    assert len(ids) == len(set(ids))
    assert set(CATALOGUE_IDS) <= set(ids)


def test_bundled_content_loads() -> None:
    kb = load_knowledge_base()
    assert isinstance(kb, KnowledgeBase)
    assert kb.root == default_content_dir()
    assert len(kb) == 2 * len(kb.ids())


@pytest.mark.parametrize("topic_id", catalogue_ids())
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_catalogue_topic_exists_in_both_languages(
    library: Library, topic_id: str, lang: str
) -> None:
    topic = library.kb.get(topic_id, lang)
    assert topic is not None
    assert (topic.id, topic.lang) == (topic_id, lang)
    assert topic.path.name == f"{topic_id}.md"
    assert topic.category in CATEGORIES
    assert topic.title and topic.body and topic.questions


def test_every_kk_file_says_reviewed_explicitly(library: Library) -> None:
    for topic in library.kb.in_lang("kk"):
        front = topic.path.read_text(encoding="utf-8").split("---\n")[1]
        raw = yaml.safe_load(front)
        assert "reviewed" in topic.lines, topic.path
        assert isinstance(raw["reviewed"], bool), topic.path
        assert topic.reviewed is raw["reviewed"]


def test_the_hearing_parses_in_almaty_time(library: Library) -> None:
    for lang in ("ru", "kk"):
        topic = library.kb.get("hearing-paz-2026-04-28", lang)
        assert topic is not None and topic.hearing is not None
        hearing = topic.hearing
        assert hearing.starts.tzinfo == ZoneInfo("Asia/Almaty")
        assert hearing.starts.replace(tzinfo=None) == datetime(2026, 4, 28, 10, 0)
        assert hearing.conference_id == "851 7336 7660"
        assert hearing.access_code == "849644"
        assert hearing.comment_deadline_working_days == 3


def test_article_topics_carry_their_source(library: Library) -> None:
    topic = library.kb.get("uk-232-1-droppers", "ru")
    assert topic is not None and topic.source is not None
    assert topic.source.article == "232-1"
    assert topic.source.url == "https://adilet.zan.kz/rus/docs/K1400000226"


def test_topics_are_ordered_by_category_then_title(library: Library) -> None:
    topics = library.kb.in_lang("ru")
    keys = [(CATEGORIES.index(t.category), t.title) for t in topics]
    assert keys == sorted(keys)
    assert {t.category for t in library.kb.in_category("fraud", "kk")} == {"fraud"}


def test_group_by_id(library: Library) -> None:
    grouped = group_by_id(library.kb)
    assert set(grouped) == set(library.kb.ids())
    assert all(set(by_lang) == {"ru", "kk"} for by_lang in grouped.values())


# --- small content trees ----------------------------------------------------------------


def topic_text(
    topic_id: str,
    questions: list[str],
    *,
    body: str = "Ответ.",
    category: str = "info",
    extra: str = "",
) -> str:
    items = "".join(f"  - {q}\n" for q in questions)
    return (
        f"---\nid: {topic_id}\ntitle: Тема {topic_id}\ncategory: {category}\n{extra}"
        f"questions:\n{items}---\n{body}\n"
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A valid content tree: topics alpha and beta in ru and kk."""
    root = tmp_path / "content"
    for lang in ("ru", "kk"):
        (root / lang).mkdir(parents=True)
        for topic_id in ("alpha", "beta"):
            questions = [f"вопрос {topic_id} {lang}", f"ещё вопрос {topic_id} {lang}"]
            (root / lang / f"{topic_id}.md").write_text(
                topic_text(topic_id, questions), encoding="utf-8"
            )
    return root


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(ContentError) as info:
        load_knowledge_base(root)
    return info.value.problems


def where(problems: list[Problem], root: Path) -> list[tuple[str, int]]:
    return [(p.path.relative_to(root).as_posix(), p.line) for p in problems]


def find(problems: list[Problem], text: str) -> Problem:
    found = [p for p in problems if text in p.message]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_the_small_tree_is_valid(tree: Path) -> None:
    kb = load_knowledge_base(tree)
    assert kb.ids() == ["alpha", "beta"]
    topic = kb.get("alpha", "kk")
    assert topic is not None
    assert topic.questions == ("вопрос alpha kk", "ещё вопрос alpha kk")
    assert topic.body == "Ответ."
    assert topic.body_line == 9
    assert topic.reviewed is True  # no 'reviewed' key: reviewed by default
    assert topic.lines["questions[1]"] == 7


def test_parse_topic_from_text(tmp_path: Path) -> None:
    text = (
        "---\nid: x\ntitle: ' Заголовок '\ncategory: articles\nreviewed: false\n"
        "questions: [один, '  ', два]\nkeywords: кража\nrelated: [y]\n"
        "source:\n  law: УК РК\n  article: 115-1\n  url: https://adilet.zan.kz/rus/docs/K1\n"
        "---\n\n**Текст**\n"
    )
    topic = parse_topic(tmp_path / "x.md", "ru", text)
    assert topic.title == "Заголовок"
    assert topic.questions == ("один", "два")
    assert topic.keywords == ("кража",)
    assert topic.related == ("y",)
    assert topic.reviewed is False
    assert topic.source is not None
    assert (topic.source.law, topic.source.article) == ("УК РК", "115-1")
    assert topic.body == "**Текст**"
    assert topic.lines["source.article"] == 11


def test_missing_key(tree: Path) -> None:
    (tree / "ru" / "alpha.md").write_text(
        "---\nid: alpha\ncategory: info\nquestions:\n  - q\n---\nbody\n", encoding="utf-8"
    )
    problem = find(problems_of(tree), "missing required key 'title'")
    assert where([problem], tree) == [("ru/alpha.md", 1)]


def test_unknown_category_points_at_the_category_line(tree: Path) -> None:
    (tree / "kk" / "beta.md").write_text(
        "---\nid: beta\ntitle: T\nreviewed: false\ncategory: crimes\nquestions:\n  - q\n"
        "---\nbody\n",
        encoding="utf-8",
    )
    problem = find(problems_of(tree), "unknown category 'crimes'")
    assert where([problem], tree) == [("kk/beta.md", 5)]


def test_unknown_key_points_at_its_line(tree: Path) -> None:
    (tree / "ru" / "beta.md").write_text(
        topic_text("beta", ["q beta"], extra="titel: typo\n"), encoding="utf-8"
    )
    problem = find(problems_of(tree), "unknown key 'titel'")
    assert where([problem], tree) == [("ru/beta.md", 5)]


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("id: alpha\ntitle: T: x: y\ncategory: info\nquestions:\n  - q\n", 3),
        ("id: alpha\ntitle: T\ncategory: info\nquestions: [a, b\nkeywords: [c]\n", 5),
        ("id: alpha\ntitle: T\ncategory: info\nquestions:\n  - q\n\t- tab\n", 7),
    ],
)
def test_bad_yaml_gives_its_line(tree: Path, front: str, line: int) -> None:
    (tree / "ru" / "alpha.md").write_text(f"---\n{front}---\nbody\n", encoding="utf-8")
    problem = find(problems_of(tree), "invalid YAML")
    assert where([problem], tree) == [("ru/alpha.md", line)]


def test_front_matter_that_is_not_a_mapping(tree: Path) -> None:
    (tree / "ru" / "alpha.md").write_text("---\n- a\n- b\n---\nbody\n", encoding="utf-8")
    problem = find(problems_of(tree), "must be a YAML mapping")
    assert where([problem], tree) == [("ru/alpha.md", 2)]


def test_duplicate_id(tree: Path) -> None:
    (tree / "ru" / "gamma.md").write_text(topic_text("alpha", ["другой вопрос"]), encoding="utf-8")
    problems = problems_of(tree)
    problem = find(problems, "duplicate id 'alpha'")
    assert where([problem], tree) == [("ru/gamma.md", 2)]
    assert f"{tree / 'ru' / 'alpha.md'}:2" in problem.message
    named = find(problems, "the id 'alpha' differs from the file name 'gamma.md'")
    assert where([named], tree) == [("ru/gamma.md", 2)]
    assert len(problems) == 2


def test_id_in_one_language_only(tree: Path) -> None:
    (tree / "kk" / "gamma.md").write_text(topic_text("gamma", ["жаңа сұрақ"]), encoding="utf-8")
    problems = problems_of(tree)
    assert [p.message for p in problems] == ["topic 'gamma' has no ru version (content/ru/)"]
    assert where(problems, tree) == [("kk/gamma.md", 2)]


@pytest.mark.parametrize(
    ("related", "line"),
    [("related:\n  - beta\n  - nope\n", 7), ("related: [beta, nope]\n", 5)],
)
def test_missing_related_id_points_at_the_list_item(tree: Path, related: str, line: int) -> None:
    (tree / "ru" / "alpha.md").write_text(
        topic_text("alpha", ["вопрос alpha ru"], extra=related), encoding="utf-8"
    )
    problems = problems_of(tree)
    assert [p.message for p in problems] == ["related id 'nope' does not exist"]
    assert where(problems, tree) == [("ru/alpha.md", line)]


def test_the_same_question_under_two_topics(tree: Path) -> None:
    # Folded equal to ru/alpha's first question, under another topic and language.
    (tree / "kk" / "beta.md").write_text(
        topic_text("beta", ["сұрақ бета", "  Вопрос ALPHA ru?!"]), encoding="utf-8"
    )
    problems = problems_of(tree)
    problem = find(problems, "is also listed under 'alpha'")
    assert where([problem], tree) == [("kk/beta.md", 7)]
    assert f"{tree / 'ru' / 'alpha.md'}:6" in problem.message
    assert len(problems) == 1


def test_the_same_question_in_both_languages_of_one_topic_is_fine(tree: Path) -> None:
    (tree / "kk" / "alpha.md").write_text(
        topic_text("alpha", ["вопрос alpha ru", "сұрақ альфа"]), encoding="utf-8"
    )
    assert load_knowledge_base(tree).get("alpha", "kk") is not None


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("first line\n{% endfor %}\nlast", 9),
        ("first line\n\nthird {{ 1 + }}", 10),
        ("{% if %}", 8),
    ],
)
def test_template_syntax_error_gives_the_line_in_the_file(tree: Path, body: str, line: int) -> None:
    (tree / "ru" / "beta.md").write_text(
        topic_text("beta", ["вопрос beta ru"], body=body), encoding="utf-8"
    )
    problems = problems_of(tree)
    problem = find(problems, "template error")
    assert where([problem], tree) == [("ru/beta.md", line)]
    assert len(problems) == 1


def test_template_error_line_after_blank_lines(tree: Path) -> None:
    (tree / "ru" / "beta.md").write_text(
        topic_text("beta", ["вопрос beta ru"], body="\n\n{% endfor %}"), encoding="utf-8"
    )
    problem = find(problems_of(tree), "template error")
    # Lines 1-7: front matter with one question; 8 and 9 blank; 10: {% endfor %}.
    assert where([problem], tree) == [("ru/beta.md", 10)]


@pytest.mark.parametrize("body", ["", "   \n\n  "])
def test_empty_body(tree: Path, body: str) -> None:
    (tree / "kk" / "alpha.md").write_text(
        topic_text("alpha", ["сұрақ"], body=body), encoding="utf-8"
    )
    problem = find(problems_of(tree), "the answer (body) is empty")
    assert where([problem], tree) == [("kk/alpha.md", 8)]


def test_unclosed_front_matter(tree: Path) -> None:
    (tree / "ru" / "alpha.md").write_text(
        "---\nid: alpha\ntitle: T\ncategory: info\nquestions:\n  - q\nbody\n", encoding="utf-8"
    )
    problem = find(problems_of(tree), "front matter is not closed")
    assert where([problem], tree) == [("ru/alpha.md", 1)]


def test_no_front_matter(tree: Path) -> None:
    (tree / "ru" / "alpha.md").write_text("just text\n", encoding="utf-8")
    problem = find(problems_of(tree), "must start with '---'")
    assert where([problem], tree) == [("ru/alpha.md", 1)]


def test_undecodable_file(tree: Path) -> None:
    (tree / "ru" / "alpha.md").write_bytes(b"---\nid: alpha\n\xff\xfe\n---\nbody\n")
    problem = find(problems_of(tree), "cannot read file")
    assert where([problem], tree) == [("ru/alpha.md", 1)]


@pytest.mark.parametrize(
    ("hearing", "message", "line"),
    [
        ("hearing:\n  starts: '2026-13-01T10:00'\n", "bad hearing date", 7),
        ("hearing:\n  place: somewhere\n", "hearing needs 'starts'", 6),
        ("hearing:\n  starts: '2026-05-01T10:00'\n  room: 5\n", "unknown hearing key", 8),
        ("hearing: tomorrow\n", "'hearing' must be a mapping", 6),
    ],
)
def test_bad_hearing(tree: Path, hearing: str, message: str, line: int) -> None:
    (tree / "ru" / "alpha.md").write_text(
        topic_text("alpha", ["q"], extra="reviewed: true\n" + hearing), encoding="utf-8"
    )
    problem = find(problems_of(tree), message)
    assert where([problem], tree) == [("ru/alpha.md", line)]


def test_naive_hearing_time_is_taken_in_its_time_zone(tmp_path: Path) -> None:
    text = topic_text(
        "h", ["q"], extra="hearing:\n  starts: 2026-05-01 10:00\n  timezone: Asia/Almaty\n"
    )
    topic = parse_topic(tmp_path / "h.md", "ru", text)
    assert topic.hearing is not None
    assert topic.hearing.starts == datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Almaty"))


def test_unknown_time_zone(tree: Path) -> None:
    hearing = "hearing:\n  starts: '2026-05-01T10:00'\n  timezone: Mars/Base\n"
    (tree / "ru" / "alpha.md").write_text(topic_text("alpha", ["q"], extra=hearing), "utf-8")
    problem = find(problems_of(tree), "unknown time zone")
    assert where([problem], tree) == [("ru/alpha.md", 7)]


def test_bad_comment_deadline_is_a_problem(tree: Path) -> None:
    hearing = "hearing:\n  starts: '2026-05-01T10:00'\n  comment_deadline_working_days: three\n"
    (tree / "ru" / "alpha.md").write_text(topic_text("alpha", ["q"], extra=hearing), "utf-8")
    problem = find(problems_of(tree), "comment_deadline_working_days")
    assert where([problem], tree) == [("ru/alpha.md", 7)]


@pytest.mark.parametrize(
    ("topic_id", "ok"), [("a" * 59, True), ("a" * 60, False), ("Alpha", False), ("-a", False)]
)
def test_an_id_must_fit_a_deep_link(tmp_path: Path, topic_id: str, ok: bool) -> None:
    # Telegram's start parameter: A-Z a-z 0-9 _ -, at most 64 (bot/conversation/links.py);
    # callback data "fb:<id>:1", at most 64 bytes.
    text = topic_text(topic_id, ["вопрос"])
    if ok:
        assert parse_topic(tmp_path / "x.md", "ru", text).id == topic_id
    else:
        with pytest.raises(ContentError, match="59 characters at most"):
            parse_topic(tmp_path / "x.md", "ru", text)


def test_empty_title_is_a_problem(tmp_path: Path) -> None:
    text = "---\nid: x\ntitle:\ncategory: info\nquestions:\n  - q\n---\nbody\n"
    with pytest.raises(ContentError):
        parse_topic(tmp_path / "x.md", "ru", text)


@pytest.mark.parametrize("value", ['"no"', "нет", '"false"'])
def test_reviewed_must_be_a_boolean(tmp_path: Path, value: str) -> None:
    text = f"---\nid: x\ntitle: T\ncategory: info\nreviewed: {value}\nquestions:\n  - q\n---\nb\n"
    try:
        topic = parse_topic(tmp_path / "x.md", "ru", text)
    except ContentError:
        return
    assert topic.reviewed is False


def test_all_problems_are_reported_at_once(tree: Path) -> None:
    (tree / "ru" / "alpha.md").write_text(topic_text("alpha", ["q"], body=""), encoding="utf-8")
    (tree / "kk" / "beta.md").write_text("---\nid: beta\ntitle: T\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_knowledge_base(tree)
    problems = info.value.problems
    located = where(problems, tree)
    assert ("ru/alpha.md", 8) in located
    assert ("kk/beta.md", 1) in located
    # The exception text lists every problem as file:line: message.
    text = str(info.value)
    assert f"{tree / 'ru' / 'alpha.md'}:8: the answer (body) is empty" in text
    assert f"{tree / 'kk' / 'beta.md'}:1: front matter is not closed" in text


def test_missing_language_directory(tree: Path) -> None:
    for path in (tree / "kk").iterdir():
        path.unlink()
    (tree / "kk").rmdir()
    problems = problems_of(tree)
    assert any("missing directory for language 'kk'" in p.message for p in problems)


def test_missing_content_directory(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nowhere")
    assert [p.message for p in problems] == ["content directory does not exist"]


def test_empty_content_directory(tmp_path: Path) -> None:
    for lang in ("ru", "kk"):
        (tmp_path / lang).mkdir()
    assert [p.message for p in problems_of(tmp_path)] == ["no topics found"]


def test_problem_str() -> None:
    assert str(Problem(Path("ru/x.md"), 3, "boom")) == "ru/x.md:3: boom"


def test_a_broken_twin_is_not_also_reported_missing(tree: Path) -> None:
    (tree / "kk" / "beta.md").write_text("---\nid: beta\ntitle: [\n---\nЖауап.\n", encoding="utf-8")
    problems = problems_of(tree)
    assert [p.path.name for p in problems] == ["beta.md"]
    assert "invalid YAML" in problems[0].message
    assert not any("has no kk version" in p.message for p in problems)


DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.tsv"


@pytest.mark.skipif(not DEV_SET.is_file(), reason="no ../shared/eval/dev.tsv beside the project")
def test_the_dev_set_stays_out_of_the_content(library: Library) -> None:
    # It measures wording the bot has never seen: a question of it in the content measures
    # nothing any more.
    dev = {fold(case.text) for case in read_cases(DEV_SET)}
    examples = [q for topic in library.kb for q in topic.questions]
    examples += [q for refused in library.kb.out_of_scope.values() for q in refused.questions]
    assert [q for q in examples if fold(q) in dev] == []
