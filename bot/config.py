"""Configuration: every setting declared once, with its default and help, read from the
environment (and an optional `.env` file in the working directory) and checked at load."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    """A setting has a value the bot cannot use; the message names the variable and value."""


class Settings(BaseSettings):
    """The settings as read and validated; each field's alias is its variable's name.

    Only `Config.load` should build it: it passes the environment in as keyword arguments
    (a test's mapping, or os.environ), which win over the `.env` file given as `_env_file`.
    """

    # Names are matched exactly, as before; other variables and .env lines are ignored.
    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", env_file_encoding="utf-8"
    )

    token: str = Field(
        "",
        alias="TELEGRAM_BOT_TOKEN",
        description="Bot token from @BotFather; without it `zanbot` starts the terminal chat.",
    )
    api_url: str = Field(
        "https://api.telegram.org",
        alias="TELEGRAM_API_URL",
        description="Root URL of the Bot API server; the bot appends /bot<token>/<method>.",
    )
    bot_username: str = Field(
        "",
        alias="TELEGRAM_BOT_USERNAME",
        description="The bot's @username, for the deep links and QR codes of `zanbot link` and "
        "the link a share shows in `zanbot chat`; empty: asked from Telegram (getMe) with "
        "TELEGRAM_BOT_TOKEN (`zanbot chat` shows no link).",
    )
    content_dir: Path | None = Field(
        None,
        alias="ZANBOT_CONTENT_DIR",
        description="Knowledge base directory (content/ru, content/kk); empty means the "
        "bundled content.",
    )
    database: str = Field(
        "zanbot.sqlite3",
        alias="ZANBOT_DATABASE",
        description="The database: a SQLite file, or a PostgreSQL URL "
        "(postgresql://user:password@host:port/name) to share it between several bots.",
    )
    model_dir: Path | None = Field(
        None,
        alias="ZANBOT_MODEL_DIR",
        description="Directory where the trained matcher is kept per content version, so a "
        "restart needs no training; empty means ~/.cache/zanbot/models.",
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(),
        alias="ZANBOT_ADMIN_IDS",
        description="Comma-separated Telegram user ids of administrators.",
    )
    timezone: str = Field(
        "Asia/Almaty",
        alias="ZANBOT_TIMEZONE",
        description="Time zone for dates shown to users and schedules.",
    )
    log_level: str = Field(
        "INFO",
        alias="ZANBOT_LOG_LEVEL",
        description="Logging level: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
    )
    log_format: str = Field(
        "text",
        alias="ZANBOT_LOG_FORMAT",
        description="Log line format: text (one readable line per record) or json (one JSON "
        "object per line: time, level, logger, message, update_id, for a log collector).",
    )
    webhook_listen: str = Field(
        "127.0.0.1",
        alias="ZANBOT_WEBHOOK_LISTEN",
        description="Address the webhook server listens on.",
    )
    webhook_port: int = Field(
        8443,
        ge=1,
        le=65535,
        alias="ZANBOT_WEBHOOK_PORT",
        description="Port the webhook server listens on.",
    )
    webhook_secret: str = Field(
        "",
        alias="ZANBOT_WEBHOOK_SECRET",
        description="Secret token Telegram sends with webhook requests.",
    )
    health_listen: str = Field(
        "127.0.0.1",
        alias="ZANBOT_HEALTH_LISTEN",
        description="Address the health endpoint (/healthz, /metrics) listens on.",
    )
    health_port: int = Field(
        0,
        ge=0,
        le=65535,
        alias="ZANBOT_HEALTH_PORT",
        description="Port of the health endpoint (/healthz, /metrics); 0: off with long "
        "polling, 8080 with a webhook.",
    )
    flood_rate: float = Field(
        1.0,
        gt=0,
        alias="ZANBOT_FLOOD_RATE",
        description="Messages per second a user may send on average.",
    )
    flood_burst: int = Field(
        5,
        ge=1,
        alias="ZANBOT_FLOOD_BURST",
        description="Messages a user may send in a burst before slowing down.",
    )
    broadcast_rate: float = Field(
        30,
        gt=0,
        alias="ZANBOT_BROADCAST_RATE",
        description="Broadcast messages per second overall (Telegram: 30; about 1000 with "
        "paid broadcasts).",
    )
    chat_rate: float = Field(
        1, gt=0, alias="ZANBOT_CHAT_RATE", description="Broadcast messages per second to one chat."
    )
    concurrent_updates: int = Field(
        256,
        ge=1,
        alias="ZANBOT_CONCURRENT_UPDATES",
        description="Updates the bot handles at the same time (each chat's still one after "
        "another); at most one getUpdates batch (100) more waits in the bot, and the rest "
        "wait at Telegram, in order, until there is room.",
    )
    reload_interval: float = Field(
        2,
        ge=0,
        alias="ZANBOT_RELOAD_INTERVAL",
        description="Seconds between checks of the content directory for edits (0 turns "
        "live reload off).",
    )
    operator_ru: str = Field(
        "",
        alias="ZANBOT_OPERATOR_RU",
        description="Who runs the bot, in Russian, in the nominative (e.g. прокуратура "
        "Павлодарской области): /start and /about name it to users who read Russian. Empty: "
        "no owner is named in Russian (the Kazakh name is not shown instead).",
    )
    operator_kk: str = Field(
        "",
        alias="ZANBOT_OPERATOR_KK",
        description="Who runs the bot, in Kazakh, in the nominative (e.g. Павлодар облысының "
        "прокуратурасы): /start and /about name it to users who read Kazakh. Empty: no owner "
        "is named in Kazakh (the Russian name is not shown instead).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No env_settings: it always reads os.environ, and Config.load must be able to hand
        # in another mapping, so the environment arrives as init arguments instead.
        return init_settings, dotenv_settings

    @field_validator("token")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str) -> str:
        name = value.strip().removeprefix("@")
        # Telegram's rule for usernames: 5-32 characters, a letter first.
        if name and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{4,31}", name):
            raise ValueError("not a Telegram username (5-32 letters, digits or _)")
        return name

    @field_validator("operator_ru", "operator_kk")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # A name goes inside a sentence: no stray line breaks or runs of spaces.
        return " ".join(value.split())

    @field_validator("database")
    @classmethod
    def _file_or_postgresql(cls, value: str) -> str:
        # The same test as bot.storage.factory's, without importing the database drivers.
        value = value.strip()
        if not value:
            raise ValueError("empty: give a SQLite file or a postgresql:// URL")
        if "://" in value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("only SQLite files and postgresql:// URLs are supported")
        return value

    @field_validator("api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("content_dir", "model_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        ids: set[int] = set()
        for item in value.split(","):
            if item.strip():
                try:
                    ids.add(int(item))
                except ValueError:
                    raise ValueError(f"{item.strip()!r} is not a user id (an integer)") from None
        return frozenset(ids)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "unknown time zone; expected an IANA name such as Asia/Almaty"
            ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: object) -> object:
        level = value.strip().upper() if isinstance(value, str) else value
        if level not in LOG_LEVELS:
            raise ValueError(f"unknown log level; expected one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("log_format", mode="before")
    @classmethod
    def _known_format(cls, value: object) -> object:
        name = value.strip().lower() if isinstance(value, str) else value
        if name not in LOG_FORMATS:
            raise ValueError(f"unknown log format; expected {' or '.join(LOG_FORMATS)}")
        return name


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # as it would be written in the environment; empty when there is none
    help: str


def _written(default: object) -> str:
    """Return a default as it would be written in the environment."""
    if default is None or (isinstance(default, frozenset) and not default):
        return ""
    return str(default)


SETTINGS = tuple(
    Setting(str(field.alias), _written(field.default), str(field.description))
    for field in Settings.model_fields.values()
)


def default_model_dir(env: Mapping[str, str]) -> Path:
    """Return the user's cache directory for models ($XDG_CACHE_HOME/zanbot or ~/.cache)."""
    base = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zanbot" / "models"


def _describe(error: ValidationError) -> str:
    """Say in one line which variables have which unusable values, and why."""
    problems = []
    for problem in error.errors(include_url=False):
        # A ValueError raised by a validator above is already worded for the user.
        ctx = problem.get("ctx") or {}
        reason = str(ctx["error"]) if problem["type"] == "value_error" else problem["msg"]
        problems.append(f"{problem['loc'][0]}={problem['input']!r}: {reason}")
    return "invalid configuration: " + "; ".join(problems)


@dataclass(frozen=True)
class Config:
    token: str
    api_url: str
    bot_username: str
    content_dir: Path | None
    database: str  # a SQLite file or a postgresql:// URL (bot.storage.factory)
    model_dir: Path
    admin_ids: frozenset[int]
    timezone: str
    log_level: str
    log_format: str
    webhook_listen: str
    webhook_port: int
    webhook_secret: str
    health_listen: str
    health_port: int
    flood_rate: float
    flood_burst: int
    broadcast_rate: float
    chat_rate: float
    concurrent_updates: int
    reload_interval: float
    operator_ru: str
    operator_kk: str

    @property
    def operator(self) -> dict[str, str]:
        """Who runs the bot, per language; a language without a name names no owner."""
        return {"ru": self.operator_ru, "kk": self.operator_kk}

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, *, dotenv: Path | None = None) -> Config:
        """Build the configuration: environment first, then .env, then the defaults.

        `env` replaces os.environ and `dotenv` the `.env` of the working directory; a value
        the bot cannot use raises ConfigError.
        """
        source = os.environ if env is None else env
        given = {s.name: source[s.name] for s in SETTINGS if s.name in source}
        try:
            settings = Settings(_env_file=dotenv if dotenv is not None else Path(".env"), **given)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None
        values: dict[str, Any] = settings.model_dump()
        values["model_dir"] = values["model_dir"] or default_model_dir(source)
        return cls(**values)


def settings_help() -> str:
    """Describe every setting, for `zanbot --help` and the README."""
    return "\n".join(
        f"  {s.name} (default: {s.default or 'empty'})\n      {s.help}" for s in SETTINGS
    )
