"""The content the bot serves right now: a knowledge base and its matcher, swapped as one.

A reload that fails validation keeps the last good version, so a broken edit never takes
the bot down.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.knowledge.fraudsigns import FraudSigns, load_fraud_signs
from bot.knowledge.loader import default_content_dir, load_knowledge_base
from bot.knowledge.topics import ContentError, KnowledgeBase, Problem
from bot.matching.matcher import Matcher
from bot.matching.store import ModelStore


@dataclass(frozen=True)
class Snapshot:
    kb: KnowledgeBase
    matcher: Matcher
    fingerprint: tuple[tuple[str, int, int], ...]
    version: str = ""  # content_version() of the files it was loaded from
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    fraud: FraudSigns | None = None  # content/fraud-signs.yaml; None: the fraud check is off


def fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Return (name, size, mtime) of every content file, to notice edits cheaply."""
    files = sorted(p for p in [*root.glob("*/*.md"), *root.glob("*.yaml")] if p.is_file())
    return tuple((str(p.relative_to(root)), (s := p.stat()).st_size, s.st_mtime_ns) for p in files)


def content_version(root: Path) -> str:
    """Return a short hash of the content files' names and bytes: the same content gives the
    same version on every machine (unlike the fingerprint, which has modification times)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in [*root.glob("*/*.md"), *root.glob("*.yaml")] if p.is_file()):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


class Library:
    """Hold the current snapshot; `reload()` replaces it only when the new content is valid."""

    def __init__(self, root: Path | str | None = None, *, models: Path | None = None) -> None:
        """Load the content in `root` (the bundled one by default); trained models are kept
        in `models` (None: in memory only, trained again in every new process)."""
        self.root = Path(root) if root is not None else default_content_dir()
        self.store = ModelStore(models)
        self._lock = threading.Lock()
        self._snapshot = self._build()  # raises ContentError: refuse to start on bad content
        self._rejected: tuple[tuple[str, int, int], ...] | None = None

    def _build(self) -> Snapshot:
        stamp = fingerprint(self.root) if self.root.is_dir() else ()
        version = content_version(self.root) if self.root.is_dir() else ""
        kb = load_knowledge_base(self.root)
        fraud, problems = load_fraud_signs(self.root, kb)
        if problems:
            raise ContentError(problems)
        matcher = Matcher.from_knowledge_base(kb, store=self.store)
        return Snapshot(kb, matcher, stamp, version, fraud=fraud)

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def kb(self) -> KnowledgeBase:
        return self._snapshot.kb

    @property
    def matcher(self) -> Matcher:
        return self._snapshot.matcher

    def changed(self) -> bool:
        """Tell whether the files changed since the last load (good or rejected)."""
        if not self.root.is_dir():
            return False
        stamp = fingerprint(self.root)
        return stamp not in (self._snapshot.fingerprint, self._rejected)

    def reload(self) -> list[Problem]:
        """Load the content again; return its problems (empty when the new version is live)."""
        with self._lock:
            stamp = fingerprint(self.root) if self.root.is_dir() else ()
            try:
                snapshot = self._build()
            except ContentError as exc:
                self._rejected = stamp  # report a broken edit once, not at every check
                return exc.problems
            self._snapshot = snapshot
            self._rejected = None
        return []
