"""The fraud check, "Is this a scam?": the detector, its decision and the reply (fraud.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.conversation import fraud
from bot.conversation.assistant import Assistant
from bot.conversation.callbacks import ShowTopic, decode
from bot.knowledge.fraudsigns import FraudSigns
from bot.knowledge.library import Library

DATA = Path(__file__).parents[2] / "benchmarks" / "data"


@pytest.fixture(scope="module")
def signs(library: Library) -> FraudSigns:
    assert library.snapshot.fraud is not None
    return library.snapshot.fraud


def ids(text: str, signs: FraudSigns) -> list[str]:
    return fraud.check(text, "ru", signs).ids


def topics(reply) -> list[str]:
    return [a.topic_id for row in reply.buttons for b in row
            if isinstance(a := decode(b.data), ShowTopic)]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Служба безопасности банка: продиктуйте код из SMS",
        "SMS-пен келген кодты айтыңыз",
        "sms-pen kelgen kodty aitynyz",  # Kazakh in Latin letters
        "smspen kelgen kodty aitiniz",  # and without Kazakh letters, misspelt
        "укажите номер карты и три цифры на обороте",
    ],
)
def test_a_request_for_a_code_is_a_strong_sign_alone(text: str, signs: FraudSigns) -> None:
    findings = fraud.check(text, "ru", signs)
    assert "code-request" in findings.ids
    assert findings.fraud


def test_a_banks_own_warning_is_not_a_request(signs: FraudSigns) -> None:
    text = "Kaspi Bank: никому не сообщайте коды из SMS. Банк никогда не просит код по телефону."
    assert "code-request" not in ids(text, signs)
    kk = "SMS-кодтарды ешкімге айтпаңыз. Банк ешқашан код сұрамайды."
    assert "code-request" not in fraud.check(kk, "kk", signs).ids


def test_look_alike_domain_names_the_real_site(signs: FraudSigns, library: Library) -> None:
    findings = fraud.check("Подтвердите: https://kaspi-bank.kz.verify-login.com/x", "ru", signs)
    [found] = [f for f in findings.found if f.sign.id == "link-lookalike"]
    assert [(link.host, link.domain) for link in found.links] == [
        ("kaspi-bank.kz.verify-login.com", "verify-login.com")
    ]
    assert findings.fraud
    html = fraud.reply(findings, signs, library.kb).html
    assert "<code>verify-login.com</code>" in html


def test_known_sites_shorteners_and_plain_http(signs: FraudSigns) -> None:
    assert ids("Заказ: kaspi.kz/shop/orders, справка на egov.kz, kgd.gov.kz", signs) == []
    assert "link-lookalike" in ids("kaspii.kz/login", signs)  # a typo of the brand
    assert "link-lookalike" in ids("olx.kz-dostavka.site/pay", signs)
    assert "link-shortener" in ids("bit.ly/abc", signs)
    assert "link-insecure" in ids("http://example.org", signs)
    assert "link-insecure" not in ids("https://example.org", signs)


def test_two_weak_signs_or_one_strong(signs: FraudSigns) -> None:
    one = fraud.check("Срочно приходите на собрание", "ru", signs)
    assert one.ids == ["urgency"] and not one.fraud
    two = fraud.check("Срочно! Ваша карта заблокирована", "ru", signs)
    assert len(two.ids) == 2 and two.fraud


def test_reply_lists_signs_in_the_users_language_with_topic_buttons(
    assistant: Assistant,
) -> None:
    text = "Служба безопасности Kaspi. Назовите код из SMS, иначе карта будет заблокирована"
    ru = fraud.answer(assistant, text, "ru")
    kk = fraud.answer(assistant, text, "kk")
    assert ru is not None and kk is not None
    assert "Найдено признаков мошенничества: 3" in ru.text
    assert "просят код из SMS" in ru.text and "Что делать" in ru.text
    assert "Табылған алаяқтық белгілері: 3" in kk.text and "SMS-кодты" in kk.text
    assert {"fraud-codes-and-cards", "fraud-victim-steps"} <= set(topics(ru))
    assert topics(ru) == topics(kk)
    assert text not in ru.html  # signs, not the message


def test_nothing_found_is_not_called_safe(assistant: Assistant) -> None:
    reply = fraud.answer(assistant, "Мама, я доехала, позвоню вечером", "ru")
    assert reply is not None
    assert "не нашёл" in reply.text and "не значит, что оно безопасно" in reply.text
    assert topics(reply) == ["fraud-protect-yourself"]


def test_reply_escapes_and_fits_one_message(assistant: Assistant) -> None:
    hosts = " ".join(f"http://kaspi{i}.<b>x.top" for i in range(300))
    reply = fraud.answer(assistant, f"<script> срочно {hosts}", "ru")
    assert reply is not None
    assert "<script>" not in reply.html and "<b>x" not in reply.html
    assert len(reply.parts) == 1 and len(reply.html) < 4096


@pytest.mark.parametrize(
    ("text", "pasted"),
    [
        ("как защититься от мошенников", False),
        ("мне звонили из банка и просили продиктовать код из смс, что делать?", False),
        ("бұл алаяқтар ма? «Картаңыз бұғатталды, мына сілтемеге өтіңіз»", True),
        ("это мошенники? kaspi-bonus.top/get", False),  # too short to be a pasted message
        ("это мошенники? Пишут: вам положена компенсация kaspi-bonus.top/get", True),
        (
            "Ваша карта заблокирована. Для её разблокировки перейдите по ссылке https://x.top/a",
            True,
        ),
        (
            "Здравствуйте, звонили с номера +7 705 123 45 67, сказали что из банка, а что делать?",
            True,
        ),
    ],
)
def test_pasted_message_or_question(text: str, pasted: bool, signs: FraudSigns) -> None:
    assert fraud.looks_pasted(text, signs) is pasted
    assert fraud.looks_pasted(text, None) is False  # no fraud-signs.yaml: the check is off


def test_tune_half_of_the_message_sets(signs: FraudSigns) -> None:
    """The halves the signs were tuned on (benchmarks/fraud_check.py prints both halves)."""
    rates = {}
    for name in ("scams", "legit"):
        lines = (DATA / f"fraud-{name}.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        tune = [r for r in rows if r["split"] == "tune"]
        rates[name] = sum(fraud.check(r["text"], r["lang"], signs).fraud for r in tune) / len(tune)
    assert rates["scams"] >= 0.95 and rates["legit"] <= 0.05
