"""Text normalisation shared by the matcher and language detection.

Citizens type Russian and Kazakh in Cyrillic, in Kazakh Cyrillic with Russian look-alike
letters (қ→к), in the official 2021 Kazakh Latin alphabet, in informal Latin and in Russian
transliteration. `fold` maps all of these onto one lossy Latin skeleton, so that
"алаяқтық", "алаяктык", "alaiaqtyq" and "alayaktyk" become the same string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

KAZAKH_LETTERS = frozenset("әғқңөұүһі")
KAZAKH_LATIN_LETTERS = frozenset("äğñöşūüıç")
_KAZAKH_ONLY = KAZAKH_LETTERS | KAZAKH_LATIN_LETTERS

# Cyrillic, including the Kazakh letters, onto the skeleton. я/ю become ia/iu because the
# Kazakh Latin alphabet writes them so, and informal "ya"/"yu" are folded the same way below.
_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
    "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "c", "ч": "ch", "ш": "sh",
    "щ": "sh", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
_LATIN = {
    "ä": "a", "ğ": "g", "ı": "i", "ñ": "n", "ö": "o", "ş": "sh", "ū": "u", "ü": "u",
    "ç": "ch", "q": "k", "w": "v", "x": "h", "j": "zh",
}  # fmt: skip
# Informal Latin spellings of one sound, folded after the letter map (order matters).
_DIGRAPHS = (("zzh", "zh"), ("kh", "h"), ("ts", "c"), ("ya", "ia"), ("yu", "iu"), ("yo", "e"))

_TABLE = str.maketrans({**_CYRILLIC, **_LATIN})
_WORD = re.compile(r"[0-9a-z]+")
_REPEATS = re.compile(r"([a-z])\1+")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Lower-case, unify ё/е and dashes, and collapse white space; keep the script."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Fold any script and spelling of ru/kk onto the Latin skeleton, one space between words."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_TABLE)
    if not text.isascii():
        # Strip what is left of accents (é in foreign words); emoji and punctuation go below.
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for src, dst in _DIGRAPHS:
        text = text.replace(src, dst)
    # Doubled letters are typed inconsistently ("касса"/"каса", "журр"): collapse them.
    return " ".join(_WORD.findall(_REPEATS.sub(r"\1", text)))


def words(text: str) -> list[str]:
    """Return the folded words of a text."""
    return fold(text).split()


def has_letters(text: str) -> bool:
    """Tell whether a text has any letter (digits, emoji and punctuation alone are no words)."""
    return any(ch.isalpha() for ch in text)


def kazakh_script_evidence(text: str) -> bool:
    """Tell whether the text uses letters only Kazakh has, in Cyrillic or in Latin."""
    return not _KAZAKH_ONLY.isdisjoint(unicodedata.normalize("NFC", text).casefold())


def char_ngrams(word: str, sizes: Iterable[int] = (3, 4, 5)) -> list[str]:
    """Return the character n-grams of one word padded with spaces at both ends."""
    padded = f" {word} "
    grams = []
    for n in sizes:
        if len(padded) < n:
            continue
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams
