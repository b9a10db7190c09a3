"""Tests for bot.privacy: what is redacted, what is left alone, and when to warn."""

from __future__ import annotations

import dataclasses

import pytest

from bot.privacy import Redaction, looks_sensitive, may_hold_private_data, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4400 4301 2345 6789", "[card]"),
        ("4400-4301-2345-6789", "[card]"),
        ("4400430123456789", "[card]"),
        ("карта 4400 4301 2345 6789, помогите", "карта [card], помогите"),
        ("карта:4400430123456789.", "карта:[card]."),
        ("amex 3782 822463 10005", "amex [card]"),
        ("19 цифр 4400430123456789012", "19 цифр [card]"),
        ("13 цифр 4222222222222", "13 цифр [card]"),
    ],
)
def test_cards_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == Redaction(expected, frozenset({"card"}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cvv 123", "cvv [code]"),
        ("cvc: 123", "cvc: [code]"),
        ("CVV/CVC 123", "CVV/CVC [code]"),
        ("код 4821", "код [code]"),
        ("Код: 4821", "Код: [code]"),
        ("код из смс 123456", "код из смс [code]"),
        ("код из СМС 123 456", "код из СМС [code]"),
        ("смс код 1234", "смс код [code]"),
        ("SMS-код 1234", "SMS-код [code]"),
        ("sms kod 5555", "sms kod [code]"),
        ("пин 1234", "пин [code]"),
        ("pin-код 0000", "pin-код [code]"),
        ("код подтверждения 987654", "код подтверждения [code]"),
        ("коды 1234", "коды [code]"),
        ("SMS-кодты 123456 бердім", "SMS-кодты [code] бердім"),
        ("құпия сөз 1234", "құпия сөз [code]"),
    ],
)
def test_announced_codes_are_redacted_keeping_the_word(text: str, expected: str) -> None:
    assert redact(text) == Redaction(expected, frozenset({"code"}))


def test_iin_is_twelve_digits_as_one_token() -> None:
    assert redact("мой ИИН 900101300123.") == Redaction("мой ИИН [iin].", frozenset({"iin"}))
    # Eleven or thirteen digits are something else, never an IIN.
    assert "iin" not in redact("90010130012").kinds
    assert redact("9001013001234").kinds == frozenset({"card"})


@pytest.mark.parametrize(
    "phone",
    [
        "+7 701 123 45 67",
        "+7 (701) 123-45-67",
        "8 (7182) 32-16-81",
        "87011234567",
        "+77011234567",
        "8-701-123-45-67",
        "8 701 1234567",
        "701 123 45 67",
    ],
)
def test_phones_are_redacted(phone: str) -> None:
    assert redact(f"звоните {phone} вечером") == Redaction(
        "звоните [phone] вечером", frozenset({"phone"})
    )


@pytest.mark.parametrize("email", ["aigerim@mail.kz", "a.b+tag@sub.example-bank.com"])
def test_emails_are_redacted(email: str) -> None:
    assert redact(f"пишите на {email}!") == Redaction("пишите на [email]!", frozenset({"email"}))


@pytest.mark.parametrize(
    "text",
    [
        "115-1",
        "ст. 232-1 УК",
        "214-2 бап",
        "456-2",
        "2025 год",
        "102",
        "112",
        "8 расследований",
        "550 кг",
        "статья 125-1 УК РК, часть 2",
        "звоните 102 или 112, антифрод-центр 1414",
        "кодекс 2025 года",
        "штраф 100 МРП, 2 500 000 тенге",
        "заседание 28.04.2026 в 10:00",
        "Код подтверждения: 12 34",
        "",
    ],
)
def test_legal_numbers_and_ordinary_text_are_left_alone(text: str) -> None:
    assert redact(text) == Redaction(text, frozenset())
    assert looks_sensitive(text) is False


def test_mixed_message_reports_every_kind() -> None:
    text = (
        "Мне звонили с +7 701 123 45 67, просили карту 4400 4301 2345 6789, cvv 321 "
        "и ИИН 900101300123, письмо пришло на me@mail.kz. Это ст. 190 УК?"
    )
    expected = (
        "Мне звонили с [phone], просили карту [card], cvv [code] "
        "и ИИН [iin], письмо пришло на [email]. Это ст. 190 УК?"
    )
    assert redact(text) == Redaction(expected, frozenset({"phone", "card", "code", "iin", "email"}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4400 4301 2345 6789", True),
        ("пин 1234", True),
        ("ИИН 900101300123", True),
        ("+7 701 123 45 67", False),
        ("me@mail.kz", False),
        ("ст. 232-1 УК", False),
    ],
)
def test_looks_sensitive_warns_only_for_card_code_or_iin(text: str, expected: bool) -> None:
    assert looks_sensitive(text) is expected


def test_redaction_is_frozen() -> None:
    result = redact("код 1234")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "private"),
    [
        ("что такое сталкинг", False),
        ("карта 4400 4301 2345 6789", True),
        ("пишите на a.b@example.kz", True),
        ("ст. 115-1", True),  # digits: not necessarily private, but not kept either
    ],
)
def test_may_hold_private_data(text: str, private: bool) -> None:
    assert may_hold_private_data(text) is private
