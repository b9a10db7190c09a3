"""Tests for bot.matching.calibration and bot.matching.examples: what the classifier learns
from, and thresholds chosen by cross-validation over it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.topics import KnowledgeBase, OutOfScope, Topic
from bot.matching.calibration import HeldOut, choose, cross_validate
from bot.matching.examples import answer_sentences, descriptions, questions, training_examples
from bot.matching.matcher import Thresholds
from bot.matching.model import OUT_OF_SCOPE

BREAD = ["купить хлеб", "свежий хлеб рядом", "где булочная", "хлеб с отрубями", "батон купить"]
RAIN = ["будет ли дождь", "прогноз погоды", "погода завтра", "зонт брать", "дождь вечером"]
OTHER = ["теорема ферма", "что такое интеграл", "квантовая физика", "рецепт плова", "курс евро"]


def topic(topic_id: str, lang: str, found: list[str], body: str = "Ответ по теме.") -> Topic:
    return Topic(topic_id, lang, topic_id.title(), "info", tuple(found), body, Path("x.md"))


@pytest.fixture
def kb() -> KnowledgeBase:
    return KnowledgeBase(
        {("ru", "bread"): topic("bread", "ru", BREAD), ("ru", "rain"): topic("rain", "ru", RAIN)},
        out_of_scope={"ru": OutOfScope("ru", tuple(OTHER), Path("out-of-scope.md"))},
    )


def test_answer_sentences_lose_markdown_links_and_short_pieces() -> None:
    body = (
        "**Не передавайте** никому коды из СМС.\n\n- Звоните 102.\n"
        "Подробнее: [текст статьи](https://adilet.zan.kz/rus/docs/K1400000226) на сайте.\n"
        "{{ hearing }} и ещё одно предложение тут"
    )
    assert answer_sentences(topic("t", "ru", ["q"], body)) == [
        "Не передавайте никому коды из СМС.",
        "Подробнее: текст статьи на сайте.",
        "и ещё одно предложение тут",
    ]


def test_questions_can_be_held_out_and_descriptions_always_train(kb: KnowledgeBase) -> None:
    held = questions(kb)
    assert len(held) == len(BREAD) + len(RAIN) + len(OTHER)
    assert held[-1] == (OUT_OF_SCOPE, "ru", OTHER[-1])
    assert ("bread", "Bread") in descriptions(kb)
    assert training_examples(kb) == [(label, text) for label, _l, text in held] + descriptions(kb)


def test_every_question_is_classified_by_a_model_that_never_saw_it(kb: KnowledgeBase) -> None:
    held = cross_validate(kb, folds=5)
    assert held.classes == ["bread", OUT_OF_SCOPE, "rain"]
    assert held.probabilities.shape == (15, 3)
    assert np.allclose(held.probabilities.sum(axis=1), 1.0)
    assert held.labels == [label for label, _lang, _text in questions(kb)]


def test_rates_and_the_choice_of_thresholds() -> None:
    classes = ["a", OUT_OF_SCOPE, "b"]
    probabilities = np.array(
        [[0.9, 0.05, 0.05], [0.4, 0.3, 0.3], [0.1, 0.8, 0.1], [0.35, 0.3, 0.35]]
    )
    held = HeldOut(["a", "a", OUT_OF_SCOPE, OUT_OF_SCOPE], ["ru"] * 4, ["x"] * 4, classes,
                   probabilities)  # fmt: skip
    assert held.decide(Thresholds(0.3, 0.0, 0.0)) == ["a", "a", None, "a"]
    assert held.rates(Thresholds(0.3, 0.0, 0.0)) == (1.0, 0.5)
    assert held.rates(Thresholds(0.5, 0.0, 0.0)) == (0.5, 1.0)
    # The second and the fourth question are 0.4 and 0.35 "a" against 0.3 out of scope.
    assert held.rates(Thresholds(0.3, 0.0, ratio=1.2)) == (1.0, 1.0)
    best, right, refused = choose(held, answers=[0.3, 0.38, 0.5], margins=[0.0], ratios=[0.0])
    # 0.38 answers both topic questions and refuses both others: the best mean.
    assert (best, right, refused) == (Thresholds(0.38, 0.0, 0.0), 1.0, 1.0)
    best, right, refused = choose(held, answers=[0.3], margins=[0.0], ratios=[0.0, 1.2])
    assert (best, right, refused) == (Thresholds(0.3, 0.0, 1.2), 1.0, 1.0)


def test_a_wrong_topic_costs_more_than_a_refusal() -> None:
    classes = ["a", OUT_OF_SCOPE, "b"]
    probabilities = np.array(
        [[0.9, 0.05, 0.05], [0.5, 0.1, 0.4], [0.5, 0.1, 0.4], [0.05, 0.9, 0.05]]
    )
    held = HeldOut(["a", "a", "b", OUT_OF_SCOPE], ["ru"] * 4, ["x"] * 4, classes, probabilities)
    grid = {"answers": [0.45, 0.6], "margins": [0.0], "ratios": [0.0]}
    # At 0.45 the second question is answered right and the third wrong; at 0.6 neither.
    assert choose(held, wrong_cost=0.0, **grid)[0].answer == 0.45
    assert choose(held, wrong_cost=2.0, **grid)[0].answer == 0.6
