"""Inline mode: a user types ``@bot query`` in any chat (``inline_query``), the bot answers
with ``answerInlineQuery``, and the user sends one of the results (``chosen_inline_result``).

As in Telegram, nothing happens until inline mode is switched on, which a test does the way an
operator does with @BotFather: ``api.set_inline(placeholder)`` (``/setinline``), and
``feedback=True`` (``/setinlinefeedback``) for the bot to learn which result was sent.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .core import Core, api_method
from .errors import QUERY_INVALID, BadRequest
from .markup import validate_reply_markup
from .params import UploadedFile
from .state import FakeUser
from .text import parse_formatted_text

MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_NEXT_OFFSET_BYTES = 64
MAX_INLINE_QUERY_LENGTH = 256
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHAT_TYPES = frozenset({"sender", "private", "group", "supergroup", "channel"})


class Inline(Core):
    """``answerInlineQuery``, and the test side: ``set_inline``, ``send_inline_query``,
    ``choose_inline_result``, ``wait_for_inline_answer``.

    Every accepted answer is kept in ``api.inline_answers`` as ``{"inline_query_id",
    "update_id", "user_id", "query", "results", "cache_time", "is_personal", "next_offset",
    "button"}``; each result of an article carries, beside the fields the bot sent, ``"text"``
    and ``"entities"``: its message as the chat would show it.
    """

    def set_inline(self, placeholder: str | None = "Search…", *, feedback: bool = False) -> None:
        """Switch inline mode on with its input placeholder (None: off), and the feedback that
        sends ``chosen_inline_result`` updates (BotFather's /setinline, /setinlinefeedback)."""
        self.inline_placeholder = placeholder
        self.inline_feedback = feedback

    async def send_inline_query(
        self, user: FakeUser, query: str, *, chat_type: str = "private", offset: str = ""
    ) -> int:
        """The user types ``@bot query`` in a chat of ``chat_type``. Returns the update_id."""
        if self.inline_placeholder is None:
            raise AssertionError("inline mode is off: call api.set_inline() (BotFather /setinline)")
        if chat_type not in _CHAT_TYPES:
            raise ValueError(f"chat_type must be one of {sorted(_CHAT_TYPES)}")
        if len(query) > MAX_INLINE_QUERY_LENGTH:
            raise ValueError(f"Telegram cuts inline queries at {MAX_INLINE_QUERY_LENGTH} chars")
        self._register_inline_user(user)
        query_id = str(next(self._query_ids))
        payload = {"id": query_id, "from": user.to_dict(), "query": query, "offset": offset,
                   "chat_type": chat_type}  # fmt: skip
        update_id = self._enqueue("inline_query", payload)
        self._inline_queries[query_id] = {"update_id": update_id, "user_id": user.id,
                                          "query": query}  # fmt: skip
        return update_id

    async def choose_inline_result(
        self, user: FakeUser, answer: dict[str, Any], result_id: str
    ) -> int:
        """The user sends the result ``result_id`` of an answer (from ``wait_for_inline_answer``)
        to the chat. With inline feedback on, the bot gets ``chosen_inline_result``; returns its
        update_id, or 0 when feedback is off (the bot learns nothing)."""
        if answer["user_id"] != user.id:
            raise AssertionError(f"user {user.id} did not get this answer")
        result = next((r for r in answer["results"] if r["id"] == result_id), None)
        if result is None:
            offered = [r["id"] for r in answer["results"]]
            raise AssertionError(f"no result {result_id!r} in the answer; it has {offered!r}")
        if not self.inline_feedback:
            return 0
        chosen: dict[str, Any] = {"result_id": result_id, "from": user.to_dict(),
                                  "query": answer["query"]}  # fmt: skip
        if result.get("reply_markup"):
            # Telegram identifies the sent message only when it has buttons to edit.
            chosen["inline_message_id"] = f"FAKE-INLINE-{answer['inline_query_id']}-{result_id}"
        return self._enqueue("chosen_inline_result", chosen)

    async def wait_for_inline_answer(self, update_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the inline query queued as ``update_id`` is answered; return the answer."""

        def answer() -> dict[str, Any] | None:
            return next((a for a in self.inline_answers if a["update_id"] == update_id), None)

        if not await self._wait_until(lambda: answer() is not None, timeout):
            raise AssertionError(
                f"timed out after {timeout}s waiting for answerInlineQuery of update "
                f"{update_id}; errors: {self.errors}"
            )
        return copy.deepcopy(answer())  # type: ignore[arg-type]

    # ---- the Bot API method ---------------------------------------------------------------

    @api_method("answerInlineQuery")
    async def _answer_inline_query(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._inline_queries:
            raise BadRequest(QUERY_INVALID)
        results = params.get("results")
        if not isinstance(results, list):
            raise BadRequest("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise BadRequest("RESULTS_TOO_MUCH")
        checked = _check_results(results, strict_html=self.strict_html)
        cache_time = params.get("cache_time", 300)
        if not isinstance(cache_time, int) or isinstance(cache_time, bool) or cache_time < 0:
            raise BadRequest("cache_time must be a non-negative Integer")
        next_offset = str(params.get("next_offset") or "")
        if len(next_offset.encode()) > MAX_NEXT_OFFSET_BYTES:
            raise BadRequest("NEXT_OFFSET_INVALID")
        button = _check_button(params.get("button"))
        query = self._inline_queries.pop(query_id)  # a query is answered once
        self.inline_answers.append(
            {"inline_query_id": query_id, **query, "results": checked, "cache_time": cache_time,
             "is_personal": bool(params.get("is_personal", False)), "next_offset": next_offset,
             "button": button}
        )  # fmt: skip
        return True

    def _register_inline_user(self, user: FakeUser) -> None:
        # An inline query comes from anyone, also users who never opened the bot's chat: no
        # private chat becomes known (the bot cannot write to them first).
        self.users.setdefault(user.id, user)


def _check_results(results: list[Any], *, strict_html: bool) -> list[dict[str, Any]]:
    """Validate results like Telegram; return them with each message's visible text."""
    seen: set[str] = set()
    checked = []
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("type"), str):
            raise BadRequest('can\'t parse InlineQueryResult: field "type" must be a String')
        result_id = result.get("id")
        if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
            raise BadRequest("RESULT_ID_INVALID")
        if result_id in seen:
            raise BadRequest("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        if result["type"] == "article" and not str(result.get("title") or "").strip():
            raise BadRequest("RESULT_TITLE_EMPTY")
        validate_reply_markup(result.get("reply_markup"))
        if (markup := result.get("reply_markup")) is not None and "inline_keyboard" not in markup:
            raise BadRequest("REPLY_MARKUP_INVALID")  # only inline keyboards go with results
        shown = dict(result)
        content = result.get("input_message_content")
        if result["type"] == "article" and not isinstance(content, dict):
            raise BadRequest("can't parse InputMessageContent: an Object expected")
        if isinstance(content, dict) and "message_text" in content:
            parsed = parse_formatted_text(
                content["message_text"], content.get("parse_mode"),
                entities=content.get("entities"), strict_html=strict_html,
            )  # fmt: skip
            shown.update(text=parsed.text, entities=parsed.entities)
        checked.append(shown)
    return checked


def _check_button(button: Any) -> dict[str, Any] | None:
    """Validate the button shown above the results (InlineQueryResultsButton)."""
    if button is None:
        return None
    if not isinstance(button, dict) or not str(button.get("text") or "").strip():
        raise BadRequest("BUTTON_TEXT_INVALID")
    kinds = [k for k in ("web_app", "start_parameter") if k in button]
    if len(kinds) != 1:
        raise BadRequest("BUTTON_TYPE_INVALID")
    if kinds == ["start_parameter"] and not _START_PARAMETER.fullmatch(
        str(button["start_parameter"])
    ):
        raise BadRequest("START_PARAM_INVALID")
    return button
