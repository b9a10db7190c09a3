"""How updates reach the bot: ``getUpdates`` long polling, and the webhook settings that
conflict with it."""

from __future__ import annotations

import asyncio
import copy
from typing import Any
from urllib.parse import urlsplit

from .core import _CURRENT_REQUEST, Core, _ClientGone, api_method
from .errors import BadRequest, Conflict
from .params import UploadedFile
from .state import _Poller

_DEFAULT_ALLOWED_UPDATES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


class Updates(Core):
    """``getUpdates``, ``setWebhook``, ``deleteWebhook``, ``getWebhookInfo``.

    Every ``getUpdates`` call is recorded in ``api.polls`` as ``{"timeout": seconds,
    "outcome": ..., "update_ids": [...]}``; the outcome is ``"waiting"`` while the server holds
    the poll, then ``"updates"``, ``"timeout"`` (``timeout`` passed on the server's clock with
    nothing to deliver), ``"closing"`` (the server stopped), ``"conflict"`` (another poll
    terminated it), ``"client gone"`` or ``"cancelled"``. ``api.waiting_polls`` counts the polls
    held open right now.
    """

    @api_method("getUpdates")
    async def _get_updates(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if self.webhook_url:
            raise Conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params and params["allowed_updates"] is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None

        # Confirm updates (offset > 0) or keep only the last -offset ones (offset < 0).
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

        # A new poll terminates a pending one, as in Telegram. A poll whose client has already
        # gone (PTB cancels its poll on shutdown) is just dropped.
        request = _CURRENT_REQUEST.get()
        for other in self._pollers:
            other.terminated = True
        self._changed.fire()
        poller = _Poller(request)
        self._pollers.append(poller)
        poll: dict[str, Any] = {"timeout": timeout, "outcome": "waiting", "update_ids": []}
        self.polls.append(poll)
        try:
            woken = await self._wait_until(
                lambda: bool(self._select_updates(limit)) or self._closing or poller.terminated,
                timeout,
            )
        except asyncio.CancelledError:
            poll["outcome"] = "cancelled"  # the client went away (aiohttp cancels the handler)
            raise
        finally:
            self._pollers.remove(poller)
        if poller.terminated and not self._closing:
            if poller.client_gone():
                poll["outcome"] = "client gone"
                raise _ClientGone  # nobody to answer; not an error worth recording
            poll["outcome"] = "conflict"
            raise Conflict(
                "terminated by other getUpdates request; make sure that only one bot instance "
                "is running"
            )
        updates = copy.deepcopy(self._select_updates(limit))
        poll["update_ids"] = [update["update_id"] for update in updates]
        if updates:
            poll["outcome"] = "updates"
        else:
            poll["outcome"] = "timeout" if not woken else "closing"
        return updates

    def _select_updates(self, limit: int) -> list[dict[str, Any]]:
        selected = []
        for update in self._pending:
            kind = next(key for key in update if key != "update_id")
            if self._allowed_updates is None:
                allowed = kind not in _DEFAULT_ALLOWED_UPDATES_EXCLUDED
            else:
                allowed = kind in self._allowed_updates
            if allowed:
                selected.append(update)
                if len(selected) >= limit:
                    break
        return selected

    @api_method("setWebhook")
    async def _set_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        # Updates are not delivered to webhooks (yet); this only mimics the getUpdates conflict.
        url = str(params.get("url", ""))
        if url and urlsplit(url).scheme != "https":
            raise BadRequest("bad webhook: HTTPS url must be provided for webhook")
        self.webhook_url = url
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    @api_method("deleteWebhook")
    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    @api_method("getWebhookInfo")
    async def _get_webhook_info(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
