"""UI strings through gettext catalogs in locales/<lang>/LC_MESSAGES/messages.mo.

The locale is resolved once per update (stored choice → Telegram's hint → ru) and kept in a
ContextVar, so `_()` anywhere in the core translates into the user's language. Message ids
are English; never pass an f-string to `_()`: translate first, then `.format()`.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import LazyProxy

LANGS = ("ru", "kk")  # the languages the bot speaks, in the order it offers them
DEFAULT_LANG = "ru"
DOMAIN = "messages"
_locale: ContextVar[str] = ContextVar("zanbot_locale", default=DEFAULT_LANG)


class CatalogNotCompiled(RuntimeError):
    """A .po catalog exists without its compiled .mo: run the compile step."""


def locales_dir() -> Path:
    """Return the bundled catalogs: bot/locales when installed, ./locales in a checkout."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "locales"
    return installed if (installed / "ru").is_dir() else package_dir.parent / "locales"


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """Load one language's compiled catalog; fail fast when it was not compiled."""
    directory = locales_dir() / lang / "LC_MESSAGES"
    if (directory / f"{DOMAIN}.po").exists() and not (directory / f"{DOMAIN}.mo").exists():
        raise CatalogNotCompiled(
            f"found locale '{lang}' but it is not compiled: "
            "run `pybabel compile -d locales -D messages`"
        )
    return _gettext.translation(DOMAIN, locales_dir(), languages=[lang], fallback=True)


def current_locale() -> str:
    return _locale.get()


def resolve_locale(stored: str | None, hint: str | None, *, default: str = DEFAULT_LANG) -> str:
    """Pick the user's language: their explicit choice, else Telegram's hint, else `default`."""
    if stored in LANGS:
        return stored
    # language_code is only a hint (kk is often missing, and "ru" may be a Kazakh speaker).
    short = (hint or "").split("-")[0].lower()
    return short if short in LANGS else default


# Citizens get ru or kk; staff output (reports) may also be "en", the message ids themselves.
STAFF_LANGS = (*LANGS, "en")


@contextmanager
def use_locale(lang: str) -> Iterator[None]:
    """Translate into `lang` inside the block."""
    token = _locale.set(lang if lang in STAFF_LANGS else DEFAULT_LANG)
    try:
        yield
    finally:
        _locale.reset(token)


def set_locale(lang: str) -> None:
    """Translate into `lang` for the rest of the current context (one update)."""
    _locale.set(lang if lang in LANGS else DEFAULT_LANG)


def gettext(message: str) -> str:
    return translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """Translate when the string is used, not when it is defined (module-level labels)."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext
__ = lazy_gettext
