"""Tests for bot.knowledge.library.Library: live reload keeps the last good content.

Most tests use a small content tree (fast to load); two use a copy of the bundled content.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from bot.knowledge.library import Library, fingerprint
from bot.knowledge.topics import ContentError
from bot.matching.model import TopicModel
from bot.matching.store import ModelStore

TOPIC = "uk-115-1-stalking"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    # Make the change visible even on file systems with a coarse mtime.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def body_of(library: Library, topic_id: str, lang: str) -> str:
    topic = library.kb.get(topic_id, lang)
    assert topic is not None
    return topic.body


SMALL = {
    "alpha": ("как защититься от мошенников", "алаяқтардан қалай сақтану керек"),
    "beta": ("куда звонить в полицию", "полицияға қалай хабарласамын"),
}


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = tmp_path / "small"
    for i, lang in enumerate(("ru", "kk")):
        (root / lang).mkdir(parents=True)
        for topic_id, questions in SMALL.items():
            text = (
                f"---\nid: {topic_id}\ntitle: {topic_id.title()}\ncategory: info\n"
                f"questions:\n  - {questions[i]}\n---\nОтвет {topic_id} {lang}.\n"
            )
            (root / lang / f"{topic_id}.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def lib(small: Path) -> Library:
    return Library(small)


# --- the bundled content ----------------------------------------------------------------


def test_reload_of_a_changed_valid_copy_serves_the_new_text(content_copy: Path) -> None:
    lib = Library(content_copy)
    assert lib.changed() is False
    old_snapshot = lib.snapshot
    question = "жираф съел мою зачетку"
    assert lib.matcher.match(question).topic is None
    edit(content_copy / "ru" / f"{TOPIC}.md", "\n---\n", "\n---\nНОВЫЙ АБЗАЦ про сталкинг.\n\n")
    edit(
        content_copy / "ru" / "fraud-victim-steps.md",
        "questions:\n",
        f"questions:\n  - {question}\n",
    )
    assert lib.changed() is True
    assert lib.reload() == []
    assert lib.snapshot is not old_snapshot
    assert body_of(lib, TOPIC, "ru").startswith("НОВЫЙ АБЗАЦ про сталкинг.")
    assert lib.matcher.match(question).topic == "fraud-victim-steps"
    assert lib.changed() is False


def test_a_broken_edit_of_the_copy_keeps_the_old_snapshot(content_copy: Path) -> None:
    lib = Library(content_copy)
    old_snapshot = lib.snapshot
    old_body = body_of(lib, TOPIC, "kk")
    path = content_copy / "kk" / f"{TOPIC}.md"
    edit(path, "category: articles", "category: crimes")
    edit(path, "\n---\n", "\n---\nСЫНҒАН МӘТІН\n\n")
    problems = lib.reload()
    assert any(p.path == path and "unknown category 'crimes'" in p.message for p in problems)
    assert lib.snapshot is old_snapshot
    assert body_of(lib, TOPIC, "kk") == old_body
    assert lib.matcher.match("ст. 115-1").topic == TOPIC
    assert lib.changed() is False


def test_the_default_library_is_the_bundled_content(library: Library) -> None:
    assert (library.root / "ru").is_dir() and (library.root / "kk").is_dir()
    assert library.kb.get(TOPIC, "kk") is not None
    assert library.changed() is False


# --- a small tree -----------------------------------------------------------------------


def test_a_fresh_library_has_not_changed(lib: Library, small: Path) -> None:
    assert lib.root == small
    assert lib.changed() is False
    assert lib.snapshot.fingerprint == fingerprint(small)
    assert lib.kb is lib.snapshot.kb and lib.matcher is lib.snapshot.matcher
    assert lib.kb.ids() == ["alpha", "beta"]


def test_fingerprint_lists_every_topic_file(small: Path) -> None:
    names = [name for name, _size, _mtime in fingerprint(small)]
    assert names == ["kk/alpha.md", "kk/beta.md", "ru/alpha.md", "ru/beta.md"]


def test_reload_serves_the_new_text(lib: Library, small: Path) -> None:
    edit(small / "kk" / "beta.md", "Ответ beta kk.", "Жаңа жауап.")
    assert lib.changed() is True
    assert lib.reload() == []
    assert body_of(lib, "beta", "kk") == "Жаңа жауап."
    assert body_of(lib, "beta", "ru") == "Ответ beta ru."


def test_a_broken_edit_returns_problems_and_keeps_serving(lib: Library, small: Path) -> None:
    old_snapshot = lib.snapshot
    path = small / "ru" / "alpha.md"
    edit(path, "Ответ alpha ru.", "{% endif %}")
    problems = lib.reload()
    assert [(p.path, p.line) for p in problems] == [(path, 8)]
    assert "template error" in problems[0].message
    assert lib.snapshot is old_snapshot
    assert body_of(lib, "alpha", "ru") == "Ответ alpha ru."


def test_changed_is_false_after_a_rejected_reload_until_the_files_change(
    lib: Library, small: Path
) -> None:
    path = small / "ru" / "beta.md"
    edit(path, "questions:\n", "questions: [\n")
    assert lib.changed() is True
    assert lib.reload() != []
    assert lib.changed() is False  # the broken edit is reported once, not at every check
    assert lib.changed() is False
    # Fixing the file is a change again, and the reload then goes live.
    edit(path, "questions: [\n", "questions:\n")
    assert lib.changed() is True
    assert lib.reload() == []
    assert lib.changed() is False


def test_a_second_broken_edit_is_a_change_again(lib: Library, small: Path) -> None:
    path = small / "ru" / "beta.md"
    edit(path, "category: info", "category: crimes")
    assert lib.reload() != []
    edit(path, "category: crimes", "category: crimez")
    assert lib.changed() is True
    problems = lib.reload()
    assert any("crimez" in p.message for p in problems)
    assert lib.changed() is False


def test_a_new_file_is_a_change(lib: Library, small: Path) -> None:
    extra = small / "ru" / "gamma.md"
    extra.write_text("draft", encoding="utf-8")
    assert lib.changed() is True
    assert lib.reload() != []  # a draft without front matter (and without a kk twin)
    assert lib.changed() is False
    # Removing the draft brings back exactly the files being served: nothing to reload.
    extra.unlink()
    assert lib.changed() is False
    assert lib.kb.ids() == ["alpha", "beta"]


def test_a_new_topic_goes_live(lib: Library, small: Path) -> None:
    for lang, question in (("ru", "где смотреть слушания"), ("kk", "тыңдау қайда")):
        (small / lang / "gamma.md").write_text(
            f"---\nid: gamma\ntitle: Gamma\ncategory: hearings\nquestions: [{question}]\n---\nG\n",
            encoding="utf-8",
        )
    assert lib.reload() == []
    assert lib.kb.ids() == ["alpha", "beta", "gamma"]
    assert lib.matcher.match("где смотреть слушания").topic == "gamma"


def test_a_broken_start_refuses_to_start(small: Path) -> None:
    edit(small / "ru" / "alpha.md", "category: info", "category: crimes")
    with pytest.raises(ContentError) as info:
        Library(small)
    assert "unknown category 'crimes'" in str(info.value)


def test_a_removed_content_directory(lib: Library, small: Path) -> None:
    small.rename(small.with_name("gone"))
    assert lib.changed() is False
    problems = lib.reload()
    assert [p.message for p in problems] == ["content directory does not exist"]
    assert lib.kb.ids() == ["alpha", "beta"]


def test_a_bad_hearing_number_is_reported_not_raised(lib: Library, small: Path) -> None:
    hearing = "hearing:\n  starts: '2026-05-01T10:00'\n  comment_deadline_working_days: three\n"
    edit(small / "ru" / "alpha.md", "questions:\n", hearing + "questions:\n")
    problems = lib.reload()
    assert any("comment_deadline_working_days" in p.message for p in problems)
    assert lib.kb.get("alpha", "ru") is not None


def test_the_last_good_model_answers_while_an_edit_is_trained(
    lib: Library, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    training, release = threading.Event(), threading.Event()
    model = lib.store.model

    def slow(examples: list[tuple[str, str]]) -> TopicModel:
        training.set()
        assert release.wait(30)
        return model(examples)

    monkeypatch.setattr(lib.store, "model", slow)
    old = lib.snapshot
    edit(small / "ru" / "alpha.md", "questions:\n", "questions:\n  - как не попасться аферистам\n")
    reloading = threading.Thread(target=lib.reload)
    reloading.start()
    assert training.wait(30)
    # Mid-training: the old snapshot serves, and answers as before.
    assert lib.snapshot is old
    assert lib.matcher.match("как защититься от мошенников", lang="ru").topic == "alpha"
    release.set()
    reloading.join(30)
    assert lib.snapshot is not old
    assert "как не попасться аферистам" in lib.kb.get("alpha", "ru").questions  # type: ignore[union-attr]


def test_a_library_with_a_model_directory_starts_without_training(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    Library(small, models=models)
    monkeypatch.setattr(ModelStore, "_recent", type(ModelStore._recent)())  # a new process

    def no_training(*_args: object, **_kwargs: object) -> TopicModel:
        raise AssertionError("trained again")

    monkeypatch.setattr(TopicModel, "train", no_training)
    restarted = Library(small, models=models)
    assert restarted.matcher.match("куда звонить в полицию", lang="ru").topic == "beta"
