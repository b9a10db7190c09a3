"""The health endpoint: ``GET /healthz`` (is the bot ready, as JSON) and ``GET /metrics``
(``bot.metrics`` in Prometheus' text format), over aiohttp in the bot's own event loop.

It listens on ``ZANBOT_HEALTH_LISTEN``:``ZANBOT_HEALTH_PORT``. With long polling a port of 0
turns it off; with a webhook it is always on, on port 8080 when none is set (8081 when the
webhook itself listens on 8080): python-telegram-bot's webhook server is its own (tornado),
so the endpoint has a port of its own rather than a path there.

``/healthz`` answers 200 when the database answers a trivial query, content is loaded and its
matcher is ready, and 503 otherwise; either way the body says which part is not, the content
version and when it was loaded, and when a Bot API request last succeeded (not a condition:
a Telegram outage is not the bot's, and restarting it would not help).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from telegram.ext import Application

from bot.config import Config
from bot.knowledge.library import Library
from bot.metrics import Metrics
from bot.storage.interface import Storage

log = logging.getLogger(__name__)
WEBHOOK_HEALTH_PORT = 8080  # the endpoint's port with a webhook when ZANBOT_HEALTH_PORT is 0
PING_TIMEOUT = 2.0  # seconds the database has to answer the health query

Check = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def health_port(config: Config, *, webhook: bool) -> int:
    """Return the port to serve on (0: none): the setting, or the webhook mode's default."""
    if config.health_port or not webhook:
        return config.health_port
    if config.webhook_port == WEBHOOK_HEALTH_PORT:
        return WEBHOOK_HEALTH_PORT + 1
    return WEBHOOK_HEALTH_PORT


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


async def readiness(
    storage: Storage, library: Library | None, metrics: Metrics
) -> tuple[bool, dict[str, Any]]:
    """Check the database, the content and the matcher; return (ready, the JSON body)."""
    try:
        async with asyncio.timeout(PING_TIMEOUT):
            await storage.ping()
        database = True
    except Exception as exc:  # not open yet, closed, unreadable, or too slow to answer
        log.debug("health: the database does not answer: %r", exc)
        database = False
    snapshot = library.snapshot if library is not None else None
    topics = len(snapshot.kb.ids()) if snapshot is not None else 0
    matcher = snapshot is not None and bool(snapshot.matcher.topics)
    last_ok = metrics.last_telegram_success
    ready = database and topics > 0 and matcher
    body = {
        "status": "ok" if ready else "unavailable",
        "database": database,
        "content": {
            "loaded": topics > 0,
            "topics": topics,
            "version": snapshot.version if snapshot else None,
            "loaded_at": _iso(snapshot.loaded_at) if snapshot else None,
        },
        "matcher_ready": matcher,
        "telegram_last_success": _iso(datetime.fromtimestamp(last_ok, UTC)) if last_ok else None,
    }
    return ready, body


class HealthServer:
    """Serve /healthz from `check` and /metrics from `metrics` on one address."""

    def __init__(self, check: Check, metrics: Metrics) -> None:
        self.check = check
        self.metrics = metrics
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (port 0: any free one; see `port`); OSError when it cannot."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._runner is None:
            raise RuntimeError("the health server is not running")
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        ready, body = await self.check()
        headers = {"Cache-Control": "no-store"}
        return web.json_response(body, status=200 if ready else 503, headers=headers)

    async def _metrics(self, request: web.Request) -> web.Response:
        text, content_type = self.metrics.exposition(request.headers.get("Accept"))
        return web.Response(body=text, headers={"Content-Type": content_type})


async def start_health(app: Application) -> HealthServer | None:
    """Start the endpoint if configured (or in webhook mode); keep it in bot_data["health"].

    A port that was set but cannot be listened on stops the start; the webhook mode's default
    port only gets a warning, so that an upgrade does not stop a bot that ran before.
    """
    config: Config = app.bot_data["config"]
    port = health_port(config, webhook=bool(app.bot_data.get("webhook")))
    if not port:
        return None
    metrics: Metrics = app.bot_data["metrics"]
    storage: Storage = app.bot_data["storage"]
    library: Library | None = app.bot_data.get("library")
    server = HealthServer(lambda: readiness(storage, library, metrics), metrics)
    try:
        await server.start(config.health_listen, port)
    except OSError as exc:
        where = f"{config.health_listen}:{port}"
        if config.health_port:
            raise OSError(f"ZANBOT_HEALTH_PORT: cannot listen on {where}: {exc}") from exc
        log.warning("no health endpoint: cannot listen on %s (%s); set ZANBOT_HEALTH_PORT to "
                    "a free port", where, exc)  # fmt: skip
        return None
    app.bot_data["health"] = server
    log.info("health endpoint on http://%s:%d/healthz and /metrics", config.health_listen, port)
    return server


async def stop_health(app: Application) -> None:
    """Stop the endpoint, if it runs."""
    server: HealthServer | None = app.bot_data.pop("health", None)
    if server is not None:
        await server.stop()
