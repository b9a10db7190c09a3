"""A sparse TF-IDF index in numpy: rows of weighted features, stored feature-major (CSC)
so that scoring a short query against every row costs one gather and one bincount."""

from __future__ import annotations

import contextlib
import ctypes
import math

import numpy as np


class SparseIndex:
    """Rows of sparse vectors, stored feature-major (CSC) for fast dot products."""

    def __init__(
        self, rows: np.ndarray, feats: np.ndarray, values: np.ndarray, n_rows: int, n_features: int
    ) -> None:
        # Any order within a feature will do: a row has at most one entry per feature, so
        # each row's sum runs over its features in the same order either way.
        order = np.argsort(feats)
        self.n_rows = n_rows
        self.rows = rows.astype(np.int32)[order]
        self.values = values.astype(np.float32)[order]
        del order
        self.indptr = np.zeros(n_features + 1, dtype=np.int64)
        np.cumsum(np.bincount(feats, minlength=n_features), out=self.indptr[1:])

    def dot_many(
        self, questions: np.ndarray, feats: np.ndarray, weights: np.ndarray, n: int
    ) -> np.ndarray:
        """Return an (n, rows) array: every row's dot product with each of n sparse queries.

        The queries are (question, feature id, weight) triples; all their postings are
        gathered and summed at once, without a Python loop.
        """
        starts = self.indptr[feats]
        lengths = self.indptr[feats + 1] - starts
        positions = spans(starts, lengths)
        products = self.values[positions] * np.repeat(weights, lengths)
        cells = np.repeat(questions * self.n_rows, lengths) + self.rows[positions]
        scores = np.bincount(cells, weights=products, minlength=n * self.n_rows)
        return scores.reshape(n, self.n_rows)


def spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Return the positions of consecutive spans (start, length) laid end to end, no loop."""
    positions = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    positions += np.arange(lengths.sum())
    return positions


def sublinear(count: float) -> float:
    """Dampen repeated features: 1 + log(count) from one occurrence on."""
    return 1.0 + math.log(count) if count >= 1 else count


def release_memory() -> None:
    """Hand the build's freed temporaries back to the OS (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt() parameters
KEEP_FREED = 64 * 2**20  # bytes of freed heap kept for reuse instead of returned to the OS


def keep_freed_memory() -> None:
    """Keep freed heap for the next batch's temporaries instead of returning it at once.

    A batch's score arrays take a few megabytes. By default glibc gives them back to the OS
    when they are freed, and the next batch faults every page in again: 27 page faults per
    question, which cost the bot a sixth of its rate (benchmarks/pipeline_bench.py). Up to
    KEEP_FREED bytes now stay in the heap; release_memory() still trims after a build.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20)  # glibc's largest: bigger arrays are mmapped
        libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREED)


def tf_idf(
    rows: np.ndarray, feats: np.ndarray, counts: np.ndarray, idf: np.ndarray, n_rows: int
) -> np.ndarray:
    """Weigh (row, feature, count) triples by sublinear tf × idf and L2-normalise each row."""
    values = np.where(counts >= 1, 1.0 + np.log(np.maximum(counts, 1.0)), counts) * idf[feats]
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
    return values / np.where(norms > 0, norms, 1.0)[rows]


def aggregate(
    rows: np.ndarray, feats: np.ndarray, weights: np.ndarray, n_features: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the weights of repeated (row, feature) pairs."""
    keys, inverse = np.unique(rows.astype(np.int64) * n_features + feats, return_inverse=True)
    return keys // n_features, keys % n_features, np.bincount(inverse, weights=weights)
