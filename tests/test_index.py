"""Tests for bot.index: the sparse TF-IDF index and its dot products."""

from __future__ import annotations

import numpy as np

from bot.index import SparseIndex


def test_dot_many_is_the_dense_product_of_each_query() -> None:
    rng = np.random.default_rng(7)
    dense = rng.random((6, 9)) * (rng.random((6, 9)) < 0.4)  # 6 rows over 9 features
    rows, feats = np.nonzero(dense)
    index = SparseIndex(rows, feats, dense[rows, feats], n_rows=6, n_features=9)
    queries = np.zeros((3, 9))
    queries[0, [1, 4]] = [0.5, 2.0]
    queries[2, [0, 4, 8]] = [1.0, 1.0, 3.0]  # query 1 has no features at all
    questions, q_feats = np.nonzero(queries)
    scores = index.dot_many(questions, q_feats, queries[questions, q_feats], 3)
    assert scores.shape == (3, 6)
    expected = queries @ dense.astype(np.float32).astype(np.float64).T
    assert np.allclose(scores, expected)
    assert not scores[1].any()
