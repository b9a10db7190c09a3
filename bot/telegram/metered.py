"""A Bot API transport that counts its requests: python-telegram-bot's documented extension
point (a ``BaseRequest``) around the real transport, for /metrics and /healthz.

Every request the bot makes goes through one: the Application's own requests and long polls
(``ApplicationBuilder().request`` and ``.get_updates_request``) and the delivery worker's
(``bot.telegram.handlers.broadcasts``). It sends nothing itself: it hands each request to the
transport it wraps and looks at the HTTP status of the answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from telegram.request import BaseRequest

from bot.metrics import Metrics
from bot.telegram.transport import WrappedRequest


class MeteredRequest(WrappedRequest):
    """Delegate every request to `inner`; count it by method and HTTP status in `metrics`."""

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        super().__init__(inner)
        self.metrics = metrics

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        # Bot API methods are POSTed to .../bot<token>/<method>; GET is a file download.
        name = urlsplit(url).path.rsplit("/", 1)[-1] if method == "POST" else "file"
        try:
            # The request data and timeouts go to the real transport untouched.
            status, body = await self.inner.do_request(url, method, *args, **kwargs)
        except Exception:  # no answer: a network error or a timeout (a cancelled poll is not)
            self.metrics.telegram_request(name, None)
            raise
        self.metrics.telegram_request(name, status)
        return status, body


def metered(metrics: Metrics, inner: BaseRequest) -> MeteredRequest:
    """Count the requests of `inner` in `metrics`."""
    return MeteredRequest(inner, metrics)
