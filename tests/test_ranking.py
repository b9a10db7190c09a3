"""Tests for bot.ranking: the C kernel and the numpy fallback rank alike, and the kernel's
token-set ratio and nearest word are rapidfuzz's."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from bot import _kernel, features  # compiled at install; a failure: the slow path is in use
from bot.features import FeatureSpace
from bot.library import Library
from bot.ranking import Ranker
from bot.text import fold

WORDS = ["zakon", "zakony", "moshennik", "kredit", "kod", "sms", "bank", "karta", "a", "b",
         "aaaa", "žena", "中文", "字", "x" * 70, "y" * 64, "ақша", "12345"]  # fmt: skip


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6)))


def test_token_set_ratio_is_rapidfuzz_s() -> None:
    rng = random.Random(1)
    pairs = [(sentence(rng), sentence(rng)) for _ in range(3000)]
    pairs += [("", "zakon"), ("zakon", ""), ("zakon kod", "kod zakon"), ("kod", "kod bank")]
    # Longer than a machine word on both sides, and Latin-1 only on one.
    pairs += [("x" * 70 + " kod", "x" * 69 + " sms"), ("中文 bank", "中 bank karta")]
    for a, b in pairs:
        mine = _kernel.token_set_ratio(sorted(set(a.split())), sorted(set(b.split())))
        assert mine == fuzz.token_set_ratio(a, b), (a, b)


def test_nearest_is_rapidfuzz_s_extract_one() -> None:
    rng = random.Random(3)
    letters = "abdeiklmnorstz"

    def word() -> str:
        return "".join(rng.choice(letters) for _ in range(rng.randint(1, 10)))

    for _ in range(3000):
        query = word()
        choices = [word() for _ in range(rng.randint(0, 20))]
        # Near misses too, so that the cut-off and ties are met, not only far words.
        choices += [query[:-1] + rng.choice(letters) + rng.choice(["", "a"]) for _ in range(3)]
        for cutoff in (80, 60):
            best = process.extractOne(query, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
            assert _kernel.nearest(query, choices, cutoff) == (best[0] if best else None)
    # Equally close: the first wins; longer than a machine word, and outside Latin-1.
    assert _kernel.nearest("zakon", ["zakin", "zakan"], 80) == "zakin"
    assert _kernel.nearest("x" * 70, ["x" * 69 + "y"], 80) == "x" * 69 + "y"
    assert _kernel.nearest("ақша", ["ақшалар", "ақшa", "акша"], 70) == "ақшa"
    with pytest.raises(TypeError):
        _kernel.nearest("zakon", ["zakon", 1], 80)


def test_nearest_reads_packed_choices_alike() -> None:
    rng = random.Random(5)
    letters = "abdeiklmnorstzé"  # é: one byte, but not ASCII

    def word() -> str:
        return "".join(rng.choice(letters) for _ in range(rng.randint(1, 12)))

    for _ in range(3000):
        query = word()
        choices = [word() for _ in range(rng.randint(0, 30))]
        choices += [query[:-1] + rng.choice(letters) for _ in range(2)]
        packed = features.pack_words(choices)
        assert packed is not None
        for cutoff in (80, 60):
            assert _kernel.nearest(query, choices, cutoff, packed) == _kernel.nearest(
                query, choices, cutoff
            )
    # Words a byte cannot hold are not packed; a buffer that does not hold the choices fails.
    assert features.pack_words(["ақша"]) is None
    assert features.pack_words(["x" * 256]) is None
    with pytest.raises(ValueError, match="packed"):
        _kernel.nearest("zakon", ["zakon", "zakan"], 80, features.pack_words(["zakan"]))
    with pytest.raises(ValueError, match="packed"):
        _kernel.nearest("zakon", ["zakan"], 80, b"\x09zakan")


def test_word_features_from_the_name_table_are_the_dict_s() -> None:
    rng = random.Random(11)
    letters = "abeiklmnorstzé"

    def word() -> str:
        return "".join(rng.choice(letters) for _ in range(rng.randint(1, 9)))

    vocabulary = [word() for _ in range(300)]
    compiled, plain = FeatureSpace(vocabulary), FeatureSpace(vocabulary, kernel=None)
    # Short and long words (whole-word names that pack and that do not), one-byte letters
    # beyond ASCII, and wider ones (the dict path).
    for query in [word() for _ in range(3000)] + ["ақша", "中文", "a", "žena" * 3]:
        mine, theirs = compiled._lookup(query), plain._lookup(query)
        assert mine == theirs, query


def test_name_tables_refuse_what_they_cannot_hold() -> None:
    table = _kernel.name_table(["abc", "w:zakonodatel"], np.array([1, 2], np.int64).tobytes(), 1)
    with pytest.raises(ValueError, match="width"):
        _kernel.name_table(["abc"], np.array([1], np.int64).tobytes(), 2)
    with pytest.raises(TypeError, match="str"):
        _kernel.name_table([1], np.array([1], np.int64).tobytes(), 1)
    with pytest.raises(ValueError, match="name table"):
        _kernel.word_features("abc", {}, table[:-8], 5, (3,), (1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="name table"):
        _kernel.odds("abc", table, {})  # a table of one value per name, not two
    # A name that packs is looked up in the table only; one that does not, in the dict only.
    ids, _weights, _unseen = _kernel.word_features("abc", {}, table, 5, (3,), (1.0, 1.0, 1.0))
    assert np.frombuffer(ids, np.int64).tolist() == [1]
    ids, _weights, _unseen = _kernel.word_features(
        "zakonodatel", {"w:zakonodatel": 7}, table, 5, (), (1.0, 1.0, 1.0)
    )
    assert np.frombuffer(ids, np.int64).tolist() == [7]


@pytest.fixture(scope="module")
def rankers(library: Library) -> tuple[Ranker, Ranker]:
    entries = [
        (topic.id, fold(text))
        for topic in library.kb
        for text in [*topic.questions, topic.title, *topic.keywords]
    ]
    return Ranker(entries), Ranker(entries, kernel=None)


def typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    return text[:i] + rng.choice("аоеиkz ") + text[i + 1 :]


def test_the_kernel_ranks_as_numpy_does(library: Library, rankers: tuple[Ranker, Ranker]) -> None:
    compiled, plain = rankers
    rng = random.Random(2)
    examples = [q for topic in library.kb for q in topic.questions]
    questions = [fold(typo(rng.choice(examples), rng)) for _ in range(300)]
    questions += ["", "qqqq", "zakon", "a " * 300, "中文 moshennik", fold("как сварить борщ")]
    for limit in (1, 3, 8):
        assert compiled.rank_many(questions, limit=limit) == plain.rank_many(questions, limit=limit)


def test_equal_scores_go_in_topic_order() -> None:
    # "b" is in every topic once: every topic scores the same, so the order is the topics'.
    entries = [(topic, f"{topic} b") for topic in ["t3", "t1", "t2", "t5", "t4", "t6"]]
    for ranker in (Ranker(entries), Ranker(entries, kernel=None)):
        ranked = ranker.rank_many(["b"], limit=6)[0]
        assert [c.topic for c in ranked] == ["t1", "t2", "t3", "t4", "t5", "t6"]
        assert len({c.score for c in ranked}) == 1
        assert [c.topic for c in ranker.rank_many(["b"], limit=2)[0]] == ["t1", "t2"]


def test_the_kernel_refuses_arrays_of_the_wrong_type(rankers: tuple[Ranker, Ranker]) -> None:
    compiled, _ = rankers
    sizes = np.asarray([1], dtype=np.int64)
    good = (np.asarray([0], dtype=np.int64), np.ones(1), np.zeros(1))
    with pytest.raises(TypeError, match="expected a flat array"):
        _kernel.rank(compiled._kernel_index, sizes.astype(np.int32), *good, [[]], 5, 8, 0.2, 3)
    with pytest.raises(ValueError, match="out of range"):
        far = np.asarray([10**9], dtype=np.int64)
        _kernel.rank(compiled._kernel_index, sizes, far, *good[1:], [["x"]], 5, 8, 0.2, 3)
    with pytest.raises(ValueError, match="inconsistent"):
        _kernel.rank(compiled._kernel_index, sizes, *good, [[], []], 5, 8, 0.2, 3)
    index = list(compiled._kernel_index)
    index[4] = index[4][:-1]  # an entry without its topic
    with pytest.raises(ValueError, match="inconsistent"):
        _kernel.rank(tuple(index), sizes, *good, [[]], 5, 8, 0.2, 3)


def test_the_kernel_collects_the_features_python_does(library: Library) -> None:
    words = [w for topic in library.kb for q in topic.questions for w in fold(q).split()]
    compiled, plain = FeatureSpace(words), FeatureSpace(words, kernel=None)
    for space in (compiled, plain):
        space.set_idf(np.ones(len(space)), 1.0)
    texts = ["moshenniki zvoniat", "moshenikki zvonat 12345", "", "qqqq zzzz", "a a a", "中文"]
    sizes, ids, weights, unseen, tokens = _kernel.collect(texts, compiled.word, compiled.cache)
    want = plain.features(texts)
    assert np.frombuffer(sizes, dtype=np.int64).tolist() == want[0]
    assert np.frombuffer(ids, dtype=np.int64).tolist() == np.concatenate(want[1]).tolist()
    assert np.frombuffer(weights).tolist() == np.concatenate(want[2]).tolist()
    assert np.frombuffer(unseen).tolist() == want[3].tolist()
    assert tokens == [sorted(set(text.split())) for text in texts]
    # An unknown word's own features, as named_features names them.
    for word in ["moshenikki", "zvonat", "q", "ab", "xyzxyzxyz", "12345"]:
        mine, theirs = compiled.word(word), plain.word(word)
        assert mine.ids == theirs.ids
        assert mine.weights == theirs.weights
        assert (mine.unseen, mine.known, mine.correction) == (
            theirs.unseen, theirs.known, theirs.correction,
        )  # fmt: skip


def test_collect_passes_errors_on() -> None:
    space = FeatureSpace(["zakon"])

    def broken(word: str) -> object:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError, match="no"):
        _kernel.collect(["zakon neizvestno"], broken, {})
    with pytest.raises(TypeError, match="Word"):
        _kernel.collect(["zakon"], lambda word: 42, {})
    assert _kernel.collect([], space.word, space.cache)[4] == []
