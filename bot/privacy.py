"""Redact sensitive data (cards, codes, IIN, phones, e-mail) from text users type.

The bot keeps some user text (unanswered questions) to improve its content, and people in a
panic paste card numbers and SMS codes. Redaction runs before anything is stored or logged.
Patterns are regular expressions compiled once at import; the order of the passes matters
(longest and most specific first), see ``_PASSES``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["KINDS", "WARN_KINDS", "Redaction", "looks_sensitive", "redact"]

KINDS = frozenset({"card", "code", "iin", "phone", "email"})
# Phones and e-mails are everyday contact details; cards, codes and IINs are what a fraudster
# asks for, so only these make the bot warn the user.
WARN_KINDS = frozenset({"card", "code", "iin"})


@dataclass(frozen=True, slots=True)
class Redaction:
    """Redacted text and the kinds of sensitive data that were found in it."""

    text: str
    kinds: frozenset[str]


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

# Cards: 13-19 digits written contiguously, in groups of four with one consistent separator
# (16-19 digits), or Amex-style 4-6-5. Free spacing is not accepted, so that a list of years
# or article numbers separated by spaces does not turn into a "card".
_CARD = re.compile(
    r"(?<!\d)(?:"
    r"\d{4}(?P<sep>[ \-])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)?\d{1,3})?"
    r"|\d{4}[ \-]\d{6}[ \-]\d{5}"
    r"|\d{13,19}"
    r")(?!\d)"
)

# Codes count only when announced by a word: a bare "1234" is as likely a year or an amount.
# The trigger may be followed by a few connecting words ("код из смс", "растау коды").
_CODE_TRIGGER = (
    r"cvv2?|cvc2?|otp|pin(?:[\s\-]?(?:code|kod|код))?|пин(?:[\s\-]?код)?|"
    r"code|kod|kody|код|кода|коды|кодты|кодом|пароль|пароля|құпия\s+сөз(?:і|ді)?|"
    r"смс|sms"
)
_CODE_FILLER = (
    r"из|от|мой|моя|подтверждения|банка|карты|доступа|растау|тексеру|"
    r"смс|sms|код|коды|кодты|cvv2?|cvc2?|from|is|code|kod"
)
_CODE = re.compile(
    rf"(?P<lead>(?<!\w)(?:{_CODE_TRIGGER})(?:[\s\-:/]+(?:{_CODE_FILLER}))*(?!\w)"
    r"[\s:=#№\-–—]*)"
    r"(?P<digits>\d{3}[ \-]\d{3}|\d{3,8})(?!\d|-\d)",
    re.IGNORECASE,
)

# Cheap first looks: cards, codes, IINs and phones all have a digit, e-mails an @.
_DIGIT = re.compile(r"\d")
_DIGIT_OR_AT = re.compile(r"[\d@]")

# IIN (ИИН/ЖСН): exactly twelve digits as one token.
_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")

# Kazakhstan phones: +7 or 8, then a 3- or 4-digit code (maybe in brackets) and the rest in
# groups; also mobile numbers without the prefix (7XX XXX XX XX).
_SEP = r"[ \-]?"
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+\s?7|8)" + _SEP + r"(?:"
    r"\(?\d{3}\)?" + _SEP + r"\d{3}" + _SEP + r"\d{2}" + _SEP + r"\d{2}"
    r"|\(?\d{4}\)?" + _SEP + r"\d{2}" + _SEP + r"\d{2}" + _SEP + r"\d{2}"
    r")"
    r"|7\d{2}" + _SEP + r"\d{3}" + _SEP + r"\d{2}" + _SEP + r"\d{2}"
    r")(?![\d\-]\d|\d)"
)


def _replace_code(match: re.Match[str]) -> str:
    # Keep the announcing word so the sentence still reads ("код из смс [code]").
    return match.group("lead") + "[code]"


_Replacement = str | Callable[[re.Match[str]], str]
# Order: e-mail first (its digits would otherwise look like phones), then cards before IIN and
# phones (a card contains shorter runs), codes before IIN so "код 123456" is a code.
_PASSES: tuple[tuple[str, re.Pattern[str], _Replacement], ...] = (
    ("email", _EMAIL, "[email]"),
    ("card", _CARD, "[card]"),
    ("code", _CODE, _replace_code),
    ("iin", _IIN, "[iin]"),
    ("phone", _PHONE, "[phone]"),
)


def redact(text: str) -> Redaction:
    """Replace sensitive data in ``text`` with placeholders such as ``[card]``."""
    if not may_hold_private_data(text):  # most texts: five patterns would find nothing
        return Redaction(text=text, kinds=frozenset())
    kinds: set[str] = set()
    for kind, pattern, replacement in _PASSES:
        text, count = pattern.subn(replacement, text)
        if count:
            kinds.add(kind)
    return Redaction(text=text, kinds=frozenset(kinds))


def may_hold_private_data(text: str) -> bool:
    """Tell whether ``text`` could hold a card, a code, an IIN, a phone or an e-mail.

    A cheap first test: what fails it holds none of those and needs no redaction.
    """
    return _DIGIT_OR_AT.search(text) is not None


def looks_sensitive(text: str) -> bool:
    """Tell whether ``text`` holds a card, a code or an IIN the user should not share."""
    # All three are digits: most questions have none and need no further look.
    return _DIGIT.search(text) is not None and bool(redact(text).kinds & WARN_KINDS)
