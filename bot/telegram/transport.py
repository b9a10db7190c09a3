"""The HTTP transport of the broadcast sender: python-telegram-bot over aiohttp.

httpx, python-telegram-bot's default transport, spends about a millisecond of CPU per
request (connection pool bookkeeping, a failed optional import per request), which caps a
broadcast near 500 messages per second on a small server; aiohttp needs a fraction of that,
so paid broadcasts (1000/s) run at their limit (see benchmarks/broadcast_bench.py). Only the
delivery worker uses it, through PTB's documented extension point (a ``BaseRequest``); the
rest of the bot keeps PTB's default. Without aiohttp installed, PTB's default is used.
"""

from __future__ import annotations

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

try:
    import aiohttp
except ImportError:  # pragma: no cover - aiohttp is optional
    aiohttp = None  # type: ignore[assignment]


def _seconds(value: object, default: float) -> float:
    """Read a PTB timeout argument: a number, None (no limit) or DEFAULT_NONE (ours)."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return float(value) if isinstance(value, int | float) else default


class AiohttpRequest(BaseRequest):
    """Send Bot API requests with one aiohttp session (keep-alive connections)."""

    def __init__(self, *, connections: int = 16, timeout: float = 10.0) -> None:
        if aiohttp is None:
            raise RuntimeError("aiohttp is not installed")
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
            self._session = aiohttp.ClientSession(connector=connector)

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
                form = aiohttp.FormData(data)
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


def delivery_request(connections: int) -> BaseRequest:
    """Return the transport for broadcasts: aiohttp when installed, else PTB's default."""
    if aiohttp is not None:
        return AiohttpRequest(connections=connections)
    return HTTPXRequest(connection_pool_size=connections)
