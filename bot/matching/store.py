"""Trained models kept on disk, keyed by what they were trained from, the way pip keeps wheels.

The key is a hash of the training examples, the classifier's VERSION and scikit-learn's
version, so a restart with unchanged content loads the model instead of training it again,
and any edit (or upgrade) trains a new one. Only this process's own cache directory is read:
a model file is a pickle, which must never come from anyone else.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import sklearn

from bot.matching.model import VERSION, TopicModel

log = logging.getLogger(__name__)

KEEP_FILES = 4  # models kept on disk: the current one and a few recent versions
KEEP_IN_MEMORY = 2  # the same content built twice in one process (content check, tests)


def fingerprint(examples: Sequence[tuple[str, str]]) -> str:
    """Return the hex key of a model trained on these (label, text) pairs by this code."""
    digest = hashlib.sha256(f"{VERSION}\n{sklearn.__version__}\n".encode())
    for label, text in examples:
        digest.update(f"{label}\t{text}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class ModelStore:
    """Train a model once per set of examples; keep it in `directory` (None: memory only)."""

    _recent: ClassVar[OrderedDict[str, TopicModel]] = OrderedDict()  # shared by every store

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def model(self, examples: Sequence[tuple[str, str]]) -> TopicModel:
        """Return the model for these examples: remembered, stored, or trained now."""
        key = fingerprint(examples)
        found = self._recent.get(key)
        if found is None:
            found = self._load(key)
            if found is None:
                found = TopicModel.train(examples)
                self._save(key, found)
        elif (path := self._path(key)) is not None and not path.is_file():
            self._save(key, found)  # trained by a store that kept it in memory only
        self._recent[key] = found
        self._recent.move_to_end(key)
        while len(self._recent) > KEEP_IN_MEMORY:
            self._recent.popitem(last=False)
        return found

    def _path(self, key: str) -> Path | None:
        return self.directory / f"{key[:40]}.pickle" if self.directory else None

    def _load(self, key: str) -> TopicModel | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            with path.open("rb") as file:
                model = pickle.load(file)
        except Exception as exc:  # a truncated or foreign file: train again, overwrite it
            log.warning("cannot load the stored model %s (%s); training it again", path, exc)
            return None
        return model if isinstance(model, TopicModel) else None

    def _save(self, key: str, model: TopicModel) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write aside and rename: a process killed mid-write leaves no half model behind.
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
                pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(f.name, path)
            old = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
            for stale in old[:-KEEP_FILES]:
                stale.unlink(missing_ok=True)
        except OSError as exc:  # a read-only disk costs the next start a training, no more
            log.warning("cannot store the trained model in %s: %s", path.parent, exc)
