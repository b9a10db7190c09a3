"""The bot's HTTP transport: python-telegram-bot over aiohttp, for every Bot API request.

httpx, python-telegram-bot's default transport, spends several times aiohttp's CPU per request:
its connection pool looks at every open connection on each request, and httpcore tries to
import sniffio (not installed) for every lock it sets up, a failed import that searches the
whole path each time. The bot's replies, its long polls and the delivery worker's
announcements all go through an ``AiohttpRequest``, python-telegram-bot's documented
extension point (a ``BaseRequest``); see benchmarks/reply_bench.py and broadcast_bench.py.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


def _seconds(value: object, default: float) -> float:
    """Read a PTB timeout argument: a number, None (no limit) or DEFAULT_NONE (ours)."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return float(value) if isinstance(value, int | float) else default


class AiohttpRequest(BaseRequest):
    """Send Bot API requests with one aiohttp session (keep-alive connections)."""

    def __init__(self, *, connections: int = 16, timeout: float = 10.0) -> None:
        self.connections = connections
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self.timeout

    async def initialize(self) -> None:
        """Open the session (in the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections)
            # HTTPS_PROXY and the like apply, as with python-telegram-bot's httpx; only when
            # set, since trust_env reads them (and ~/.netrc) in a thread for every request.
            proxied = bool(urllib.request.getproxies())
            self._session = aiohttp.ClientSession(connector=connector, trust_env=proxied)

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; network failures become PTB's NetworkError or TimedOut."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            connect=_seconds(pool_timeout, self.timeout) + _seconds(connect_timeout, self.timeout),
            sock_read=_seconds(read_timeout, self.timeout),
        )
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = request_data.json_parameters
            files = request_data.multipart_data
            if files:
                # File names as written (UTF-8), as httpx sends them: quoted, a Cyrillic
                # name would reach the chat as %D0%B7%D0%B0….
                form = aiohttp.FormData(data, quote_fields=False)
                for name, (filename, content, mime) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as answer:
                return answer.status, await answer.read()
        except TimeoutError as exc:
            raise TimedOut(f"Timed out: {exc!r}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp: {exc!r}") from exc


class WrappedRequest(BaseRequest):
    """A transport that hands every request to another one (`inner`): the base of the
    transports that only look at requests or hold them back, never send them themselves."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        # getUpdates adds its long-poll timeout to this: it must be the real transport's.
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        return await self.inner.do_request(url, method, request_data, *args, **kwargs)
