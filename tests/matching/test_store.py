"""Tests for bot.matching.store: a model is trained once per set of examples and kept."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.matching import store
from bot.matching.model import TopicModel
from bot.matching.store import ModelStore, fingerprint

EXAMPLES = [("a", "купить хлеб"), ("a", "свежий хлеб"), ("b", "погода завтра"), ("b", "дождь")]


@pytest.fixture(autouse=True)
def forget(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with nothing remembered in memory."""
    monkeypatch.setattr(ModelStore, "_recent", type(ModelStore._recent)())
    yield


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the trainings (each call appends the number of examples)."""
    calls: list[int] = []
    train = TopicModel.train.__func__  # type: ignore[attr-defined]

    def counted(cls: type[TopicModel], examples: list[tuple[str, str]]) -> TopicModel:
        calls.append(len(examples))
        return train(cls, examples)

    monkeypatch.setattr(TopicModel, "train", classmethod(counted))
    return calls


def test_a_stored_model_is_loaded_by_a_new_process(tmp_path: Path, trainings: list[int]) -> None:
    first = ModelStore(tmp_path).model(EXAMPLES)
    assert trainings == [4]
    assert [p.name for p in tmp_path.iterdir()] == [f"{fingerprint(EXAMPLES)[:40]}.pickle"]
    ModelStore._recent.clear()  # as in a new process
    again = ModelStore(tmp_path).model(EXAMPLES)
    assert trainings == [4]
    assert again.classes == first.classes
    assert (again.probabilities(["хлеб"]) == first.probabilities(["хлеб"])).all()


def test_any_change_of_the_examples_trains_a_new_model(
    tmp_path: Path, trainings: list[int]
) -> None:
    ModelStore(tmp_path).model(EXAMPLES)
    ModelStore(tmp_path).model([*EXAMPLES, ("b", "снег")])
    assert trainings == [4, 5]
    assert fingerprint(EXAMPLES) != fingerprint(list(reversed(EXAMPLES)))


def test_the_key_holds_the_code_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = fingerprint(EXAMPLES)
    monkeypatch.setattr(store, "VERSION", "next")
    assert fingerprint(EXAMPLES) != before


def test_a_broken_file_is_trained_again_and_replaced(
    tmp_path: Path, trainings: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / f"{fingerprint(EXAMPLES)[:40]}.pickle"
    path.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        model = ModelStore(tmp_path).model(EXAMPLES)
    assert trainings == [4]
    assert "training it again" in caplog.text
    assert isinstance(pickle.loads(path.read_bytes()), TopicModel)
    assert model.classes == ["a", "b"]


def test_only_the_newest_models_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "KEEP_FILES", 2)
    for word in ("один", "два", "три"):
        ModelStore(tmp_path).model([*EXAMPLES, ("a", word)])
    assert len(list(tmp_path.glob("*.pickle"))) == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_without_a_directory_nothing_is_written(tmp_path: Path, trainings: list[int]) -> None:
    ModelStore(None).model(EXAMPLES)
    ModelStore(None).model(EXAMPLES)  # remembered in memory
    assert trainings == [4]
    assert list(tmp_path.iterdir()) == []


def test_a_directory_that_cannot_be_written_costs_only_a_training(
    tmp_path: Path, trainings: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory should be")
    with caplog.at_level(logging.WARNING):
        model = ModelStore(blocked / "models").model(EXAMPLES)
    assert model.classes == ["a", "b"]
    assert "cannot store the trained model" in caplog.text
