"""The compiled kernel (bot/_kernel.c), or None where it could not be built at install.

setup.py builds it when a C compiler is there; without it the ranking, the word features,
the language odds of words, typo correction and folding run in numpy, rapidfuzz and Python
instead, with the same results (tests/test_ranking.py, tests/test_language.py,
tests/test_text.py).
"""

from __future__ import annotations

from types import ModuleType

try:
    from bot import _kernel as compiled
except ImportError:  # no C compiler at install
    compiled: ModuleType | None = None  # type: ignore[no-redef]

__all__ = ["compiled"]
