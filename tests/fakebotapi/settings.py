"""The bot itself: ``getMe``, ``logOut``/``close``, its command menus and descriptions."""

from __future__ import annotations

import copy
import re
from typing import Any

from .core import Core, api_method
from .errors import BadRequest
from .params import UploadedFile

_COMMAND_SCOPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
        "chat_administrators", "chat_member",
    }
)  # fmt: skip


class BotSettings(Core):
    """``getMe``, ``logOut``, ``close``, ``set/get/deleteMyCommands``, ``setMyDescription``,
    ``setMyShortDescription``."""

    @api_method("getMe")
    async def _get_me(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": self.inline_placeholder is not None,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @api_method("logOut")
    async def _log_out(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return True

    @api_method("close")
    async def _close(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise BadRequest("can't parse BotCommandScope JSON object")
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise BadRequest("invalid language code specified")
        return str(scope["type"]), language

    @api_method("setMyCommands")
    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise BadRequest("can't parse commands JSON object")
        if len(commands) > 100:
            raise BadRequest("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise BadRequest("can't parse BotCommand JSON object")
            name = command.get("command")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise BadRequest("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    @api_method("getMyCommands")
    async def _get_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    @api_method("deleteMyCommands")
    async def _delete_my_commands(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    @api_method("setMyDescription")
    async def _set_my_description(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return self._set_bot_setting("description", params, 512)

    @api_method("setMyShortDescription")
    async def _set_my_short_description(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return self._set_bot_setting("short_description", params, 120)

    def _set_bot_setting(self, name: str, params: dict[str, Any], max_length: int) -> bool:
        value = str(params.get(name) or "")
        if len(value) > max_length:
            raise BadRequest(f"{name.replace('_', ' ')} is too long")
        self.bot_settings[(name, str(params.get("language_code") or ""))] = value
        return True
