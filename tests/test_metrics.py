"""The counters (bot/metrics.py) and the counting transport (bot/telegram/metered.py)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from telegram.error import NetworkError, TelegramError
from telegram.request import BaseRequest, RequestData

from bot.metrics import Metrics, telegram_result
from bot.telegram.metered import MeteredRequest, metered

URL = "http://127.0.0.1:1/bot123:abc"


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text, content_type = metrics.exposition()
    assert content_type.startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def test_decisions_map_to_outcomes_and_empty_is_no_question() -> None:
    metrics = Metrics()
    for decision in ("answer", "clarify", "unknown", "article", "empty"):
        metrics.question(decision, "kk")
    counted = samples(metrics)

    def count(outcome: str, lang: str = "kk") -> float:
        labels = frozenset({("outcome", outcome), ("lang", lang)})
        return counted[("zanbot_questions_total", labels)]

    assert (count("answered"), count("clarified"), count("unknown")) == (1, 1, 2)
    assert count("answered", "ru") == 0  # every series exists from the start
    total = sum(v for (name, _), v in counted.items() if name == "zanbot_questions_total")
    assert total == 4


@pytest.mark.parametrize(
    ("status", "result"),
    [(200, "ok"), (429, "429"), (403, "403"), (400, "error"), (502, "error"), (None, "error")],
)
def test_telegram_results(status: int | None, result: str) -> None:
    assert telegram_result(status) == result


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.broadcast("sent", 3)
    key = ("zanbot_broadcast_messages_total", frozenset({("outcome", "sent")}))
    assert samples(first)[key] == 3
    assert samples(second)[key] == 0
    assert REGISTRY.get_sample_value("zanbot_broadcast_messages_total", {"outcome": "sent"}) is None


def test_a_successful_request_sets_the_last_success_time() -> None:
    metrics = Metrics(clock=lambda: 1_700_000_000.0)
    assert metrics.last_telegram_success is None
    metrics.telegram_request("getMe", 500)
    assert metrics.last_telegram_success is None
    metrics.telegram_request("getMe", 200)
    assert metrics.last_telegram_success == 1_700_000_000.0
    key = ("zanbot_telegram_last_success_timestamp_seconds", frozenset())
    assert samples(metrics)[key] == 1_700_000_000.0


class Scripted(BaseRequest):
    """A transport that answers from a script: a status, or an exception to raise."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str]] = []
        self.started = self.stopped = False

    @property
    def read_timeout(self) -> float | None:
        return 7.5

    async def initialize(self) -> None:
        self.started = True

    async def shutdown(self) -> None:
        self.stopped = True

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        self.calls.append((method, url))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if answer == 200:
            return 200, b'{"ok": true, "result": true}'
        return answer, b'{"ok": false, "error_code": %d, "description": "no"}' % answer


async def test_the_wrapper_counts_by_method_and_status_and_delegates() -> None:
    metrics = Metrics()
    inner = Scripted(200, 429, 403, 400, NetworkError("down"))
    request = MeteredRequest(inner, metrics)
    assert request.read_timeout == 7.5
    async with request:
        assert inner.started
        for method in ("sendMessage", "sendMessage", "sendMessage", "getMe", "getUpdates"):
            with contextlib.suppress(TelegramError):  # PTB raises its errors for non-ok answers
                await request.post(f"{URL}/{method}", request_data=RequestData([]))
    assert inner.stopped
    assert [call[0] for call in inner.calls] == ["POST"] * 5
    counted = {
        (dict(labels)["method"], dict(labels)["result"]): value
        for (name, labels), value in samples(metrics).items()
        if name == "zanbot_telegram_requests_total"
    }
    assert counted == {
        ("sendMessage", "ok"): 1, ("sendMessage", "429"): 1, ("sendMessage", "403"): 1,
        ("getMe", "error"): 1, ("getUpdates", "error"): 1,
    }  # fmt: skip


async def test_file_downloads_are_counted_as_file() -> None:
    metrics = Metrics()
    request = metered(metrics, Scripted(200))
    await request.retrieve("http://127.0.0.1:1/file/bot123:abc/documents/file_1.pdf")
    key = ("zanbot_telegram_requests_total", frozenset({("method", "file"), ("result", "ok")}))
    assert samples(metrics)[key] == 1
