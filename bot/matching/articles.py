"""Article numbers in questions: "ст. 232-1 УК", "214-2 бап", "статья 188", "190-бабы".

A number the knowledge base covers goes straight to its topic. Any other article the user
clearly cites gets an honest "no explanation yet" with the official code's link when the code
has such an article, and a plain "I don't know" when it cannot exist ("ст. 0", "999-9 бап").
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.matching.text import clean

CRIMINAL, ADMINISTRATIVE = "criminal", "administrative"
# The highest article number of each code, with some room for articles added later: the
# Criminal Code of 2014 ends at art. 467, the Code of Administrative Offences at about 1030.
LAST_ARTICLE = {CRIMINAL: 480, ADMINISTRATIVE: 1050}
MAX_SUFFIX = 9  # inserted articles are numbered "115-1", "214-2"...: a small second part
CODE_URLS = {
    CRIMINAL: "https://adilet.zan.kz/{path}/docs/K1400000226",
    ADMINISTRATIVE: "https://adilet.zan.kz/{path}/docs/K1400000235",
}
ADILET_LANG = {"ru": "rus", "kk": "kaz"}

_DIGIT = re.compile(r"\d")
# "115-1", "ст.232-1", "214 - 2 бап", "456.2". Neither part may touch another number
# ("28.04.2026", "2025-01-15" are dates), and articles never start with 0.
_NUMBERED = re.compile(
    r"(?<!\d)(?<!\d[.\-–—])([1-9]\d{1,2})\s*[-–—.]\s*(\d{1,2})(?!\d)(?![.,\-]\d)"
)
# A cited number may also be spaced ("ст 214 2", "115 1 бабы"), as people type on phones,
# but may not run on into a decimal, a date, a time or a longer number ("3.5", "10:00").
_NUMBER = r"(\d{1,4})(?:\s*[-–—.]\s*(\d{1,2})|\s+([1-9]))?(?!\d|[.,:]\d|\s*[-–—]\s*\d)"
# Words that make a number an article: статья (any case), ст., бап (any case), the codes.
_ARTICLE_WORD = (
    r"стать[яиеюй]\w*|статей|ст|бап\w*|баб[ыіи]\w*"
    r"|stat[iy]?[ae]|stat'?[iy]a|st|bap\w*|bab[yi]\w*"
)
_CODE_WORD = r"ук|коап|кк|қк|акбтк|әқбтк|ақбтк"
_BEFORE = rf"(?:{_ARTICLE_WORD}|article|art|уголовн\w+ кодекс\w*|{_CODE_WORD})"
_AFTER = rf"(?:{_ARTICLE_WORD}|{_CODE_WORD})"
_CITED = re.compile(
    rf"(?<![\w\d])(?:{_BEFORE})\.?\s*(?:рк\s*)?(?:№\s*)?{_NUMBER}"
    rf"|(?<![\d.,:\-])(?<![\d][.,:\-]){_NUMBER}\s*-?\s*(?:{_AFTER})(?!\w)"
)
_ADMINISTRATIVE = re.compile(r"коап|акбтк|әқбтк|ақбтк|administr|административ|әкімшілік|акимшилик")


class Article(NamedTuple):
    """An article of a code, as "232-1"."""

    code: str  # CRIMINAL or ADMINISTRATIVE
    number: str

    @property
    def exists(self) -> bool:
        """Tell whether the code can have such an article (not "0" or "999-9")."""
        main, _, suffix = self.number.partition("-")
        return 1 <= int(main) <= LAST_ARTICLE[self.code] and int(suffix or 1) in range(1, 10)

    def url(self, lang: str) -> str:
        """Return the official text of the code on adilet.zan.kz, in `lang`."""
        return CODE_URLS[self.code].format(path=ADILET_LANG.get(lang, "rus"))


def _number(main: str, suffix: str | None) -> str:
    return f"{int(main)}-{int(suffix)}" if suffix else str(int(main))


def articles(text: str) -> list[str]:
    """Return the article numbers a text mentions, normalised as "115-1" (or "188")."""
    if not _DIGIT.search(text):  # most questions: the patterns scan slower
        return []
    found = [_number(a, b) for a, b in _NUMBERED.findall(text)]
    for main, suffix in _citations(clean(text)):
        number = _number(main, suffix)
        if number not in found:
            found.append(number)
    return found


def _citations(lowered: str) -> list[tuple[str, str | None]]:
    """Return (number, second part or None) of every cited article in a cleaned text."""
    found = []
    for match in _CITED.finditer(lowered):
        groups = match.groups()
        first = 0 if groups[0] else 3  # the number before the word, or after it
        main, dashed, spaced = groups[first : first + 3]
        found.append((main, dashed or spaced))
    return found


def cited(text: str) -> Article | None:
    """Return the first article the text cites with a word (статья, бап, УК…), or None.

    A bare "10-15" may be an amount; only a cited number is taken for an article.
    """
    if not _DIGIT.search(text):
        return None
    lowered = clean(text)
    found = _citations(lowered)
    if not found:
        return None
    code = ADMINISTRATIVE if _ADMINISTRATIVE.search(lowered) else CRIMINAL
    return Article(code, _number(*found[0]))
