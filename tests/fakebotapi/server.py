"""The HTTP side of :class:`FakeBotAPI`: starting and stopping, routing each request to its
Bot API method, error answers, and the faults a test injects (blocked chats, error answers,
dropped connections)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self
from urllib.parse import unquote

from aiohttp import web

from .core import _API_METHODS, _CURRENT_REQUEST, Core, _ClientGone
from .errors import TelegramAPIError, TooManyRequests
from .params import _read_params
from .state import FakeUser, _chat_id_of, _Injection


class Server(Core):
    """The aiohttp application and the dispatch of ``/bot<token>/<method>`` requests."""

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        if self._url is None:
            raise RuntimeError("FakeBotAPI is not running; use `async with FakeBotAPI() as api`")
        return self._url

    async def start(self) -> None:
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._round_trip])
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file_request)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        # handler_cancellation: a long poll whose client went away is cancelled at once.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing = True
        self._changed.fire()  # pending getUpdates answer [] right away
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- configuration hooks --------------------------------------------------------------

    def block(self, chat_id: int | FakeUser) -> int | None:
        """The user blocks the bot (or the bot is kicked from a group): sends answer 403.

        Given a user, Telegram's ``my_chat_member`` update is queued too; returns its id.
        """
        self.blocked.add(_chat_id_of(chat_id))
        return self._member_changed(chat_id, "member", "kicked")

    def unblock(self, chat_id: int | FakeUser) -> int | None:
        """The user unblocks the bot; given a user, a ``my_chat_member`` update is queued."""
        self.blocked.discard(_chat_id_of(chat_id))
        return self._member_changed(chat_id, "kicked", "member")

    def _member_changed(self, user: int | FakeUser, old: str, new: str) -> int | None:
        if not isinstance(user, FakeUser):
            return None
        bot = self._bot_user()

        def member(status: str) -> dict[str, object]:
            banned = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": bot, **banned}

        change = {
            "chat": dict(self._chat(user.id).chat), "from": user.to_dict(),
            "date": int(time.time()), "old_chat_member": member(old),
            "new_chat_member": member(new),
        }  # fmt: skip
        return self._enqueue("my_chat_member", change)

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error instead of handling them.

        Defaults: 429 ``Too Many Requests: retry after N`` when ``retry_after`` is given,
        otherwise 502 with an nginx-like HTML body (what Telegram answers when it is down).
        Injected answers are recorded in ``api.errors`` (and 429s in ``too_many_requests``).
        """
        if status is None:
            status = 429 if retry_after is not None else 502
        self._injections[method.lower()].append(_Injection(status, description, retry_after, times))

    def drop_connection_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls of ``method``.

        The client sees a network error; ``api.errors`` records it with ``error_code`` 0.
        """
        self._injections[method.lower()].append(_Injection(None, None, None, times))

    # ---- internals: HTTP ------------------------------------------------------------------

    @web.middleware
    async def _round_trip(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        # The request has been handled (a message is stored, an update confirmed) before the
        # client sees the answer, as with a real network between them.
        response = await handler(request)
        if self.round_trip > 0:
            await asyncio.sleep(self.round_trip)
        return response

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_file_request(self, request: web.Request) -> web.StreamResponse:
        path = unquote(request.match_info["path"])
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.content, content_type=stored.mime_type or "application/octet-stream"
                )
        return await self._handle_not_found(request)

    async def _handle_bot_request(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        canonical, attribute = _API_METHODS.get(raw_method.lower(), (raw_method, None))
        params: dict[str, Any] = {}
        _CURRENT_REQUEST.set(request)
        try:
            params, files, decode_error = await _read_params(request)
            self.requests.append((canonical, {**params, **files}))
            if decode_error is not None:
                raise decode_error
            if self.token is not None and token != self.token:
                raise TelegramAPIError(401, "Unauthorized")
            if self.bot_id is None and (prefix := token.split(":", 1)[0]).isdigit():
                self.bot_id = int(prefix)
            if (injected := self._take_injection(canonical)) is not None:
                if injected.status is None:
                    return await self._drop_connection(request, canonical, params)
                return self._injected_response(injected, canonical, params)
            if attribute is None:
                raise TelegramAPIError(404, "Not Found")
            handler: Callable[..., Awaitable[Any]] = getattr(self, attribute)
            result = await handler(params, files)
        except TelegramAPIError as exc:
            return self._error_response(exc, canonical, params)
        except _ClientGone:
            return web.Response(status=499)
        except Exception as exc:  # a bug in the fake itself: make it loud
            self.server_exceptions.append(exc)
            error = TelegramAPIError(500, f"Internal Server Error: FakeBotAPI crashed: {exc!r}")
            return self._error_response(error, canonical, params)
        finally:
            self._changed.fire()
        return web.json_response({"ok": True, "result": result})

    def _error_response(
        self, error: TelegramAPIError, method: str, params: dict[str, Any]
    ) -> web.Response:
        self._record_error(method, params, error.error_code, error.description)
        return web.json_response(error.to_json(), status=error.error_code)

    def _record_error(
        self, method: str, params: dict[str, Any], error_code: int, description: str
    ) -> None:
        if error_code == 429:
            self.too_many_requests += 1
        self.errors.append(
            {
                "method": method,
                "error_code": error_code,
                "description": description,
                "params": params,
            }
        )

    def _take_injection(self, method: str) -> _Injection | None:
        queue = self._injections.get(method.lower())
        if not queue:
            return None
        injection = queue[0]
        injection.remaining -= 1
        if injection.remaining <= 0:
            queue.popleft()
        return injection

    def _injected_response(
        self, injection: _Injection, method: str, params: dict[str, Any]
    ) -> web.Response:
        status = injection.status or 502
        if injection.retry_after is not None:
            error = TooManyRequests(injection.retry_after)
            if injection.description:
                error.description = injection.description
            error.error_code = status
            return self._error_response(error, method, params)
        if status >= 500 and injection.description is None:
            text = f"{status} Bad Gateway" if status == 502 else f"{status} Server Error"
            self._record_error(method, params, status, text)
            return web.Response(
                status=status,
                text=f"<html><head><title>{text}</title></head><body>{text}</body></html>",
                content_type="text/html",
            )
        description = injection.description or {
            400: "Bad Request: injected error",
            401: "Unauthorized",
            403: "Forbidden: injected error",
            404: "Not Found",
            409: "Conflict: injected error",
        }.get(status, f"Error {status}")
        return self._error_response(TelegramAPIError(status, description), method, params)

    async def _drop_connection(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> web.StreamResponse:
        self._record_error(
            method, params, 0, "connection dropped by FakeBotAPI.drop_connection_next"
        )
        if request.transport is not None:
            request.transport.abort()
        # Nothing can be sent any more; aiohttp discards this response.
        return web.Response(status=499)
