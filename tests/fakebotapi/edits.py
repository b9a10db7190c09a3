"""Changing what was sent: ``editMessageText``, ``editMessageReplyMarkup``, ``deleteMessage``,
and ``answerCallbackQuery`` for the button presses that usually lead to an edit."""

from __future__ import annotations

import time
from typing import Any

from .core import Core, api_method
from .errors import MAX_CALLBACK_ANSWER_LENGTH, NOT_MODIFIED, QUERY_INVALID, BadRequest
from .markup import _inline_keyboard, validate_reply_markup
from .params import UploadedFile


class Edits(Core):
    """Edits, deletions and callback query answers."""

    @api_method("editMessageText")
    async def _edit_message_text(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        message = self._edit_target(params)
        if message["text"] is None:
            raise BadRequest("there is no text in the message to edit")
        text = self._parse_text(params)
        # Telegram removes the inline keyboard when an edit does not repeat it.
        markup = validate_reply_markup(params.get("reply_markup"))
        if (text["text"], text["entities"], markup) == (
            message["text"],
            message["entities"],
            _inline_keyboard(message["reply_markup"]),
        ):
            raise BadRequest(NOT_MODIFIED)
        message.update(text, reply_markup=markup, params=params)
        return self._mark_edited(message)

    @api_method("editMessageReplyMarkup")
    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        message = self._edit_target(params)
        markup = validate_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise BadRequest("inline keyboard expected")
        if markup == _inline_keyboard(message["reply_markup"]):
            raise BadRequest(NOT_MODIFIED)
        message.update(reply_markup=markup, params=params)
        return self._mark_edited(message)

    def _mark_edited(self, message: dict[str, Any]) -> dict[str, Any]:
        message["edit_date"] = int(time.time())
        message["edits"] += 1
        return self._message_json(message)

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise BadRequest("MESSAGE_ID_INVALID")
        chat_id = self._require_chat(params)
        self._check_blocked(chat_id)
        state = self._chat(chat_id)
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise BadRequest("message identifier is not specified") from None
        message = state.bot_messages.get(message_id)
        if message is None or message["deleted"]:
            if message_id in state.user_messages:
                raise BadRequest("message can't be edited")
            raise BadRequest("message to edit not found")
        return message

    @api_method("deleteMessage")
    async def _delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat_id = self._require_chat(params)
        state = self._chat(chat_id)
        message_id = int(params.get("message_id") or 0)
        bot_message = state.bot_messages.get(message_id)
        if bot_message is not None and not bot_message["deleted"]:
            bot_message["deleted"] = True
        elif message_id in state.user_messages:
            del state.user_messages[message_id]
        else:
            raise BadRequest("message to delete not found")
        return True

    @api_method("answerCallbackQuery")
    async def _answer_callback_query(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        query = self._open_queries.pop(query_id, None)
        if query is None:
            raise BadRequest(QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            self._open_queries[query_id] = query
            raise BadRequest("MESSAGE_TOO_LONG")
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": bool(params.get("show_alert", False)),
                "url": params.get("url"),
                "cache_time": params.get("cache_time"),
                **query,
            }
        )
        return True
