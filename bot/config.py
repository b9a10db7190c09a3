"""Configuration: every setting declared once, with its default and help, read from the
environment (and an optional `.env` file in the working directory)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting("TELEGRAM_BOT_TOKEN", "", "Bot token from @BotFather; without it `zanbot` starts the "
            "terminal chat."),
    Setting("TELEGRAM_API_URL", "https://api.telegram.org", "Root URL of the Bot API server; "
            "the bot appends /bot<token>/<method>."),
    Setting("ZANBOT_CONTENT_DIR", "", "Knowledge base directory (content/ru, content/kk); "
            "empty means the bundled content."),
    Setting("ZANBOT_DATABASE", "zanbot.sqlite3", "Path of the SQLite database file."),
    Setting("ZANBOT_MODEL_DIR", "", "Directory where the trained matcher is kept per content "
            "version, so a restart needs no training; empty means ~/.cache/zanbot/models."),
    Setting("ZANBOT_ADMIN_IDS", "", "Comma-separated Telegram user ids of administrators."),
    Setting("ZANBOT_TIMEZONE", "Asia/Almaty", "Time zone for dates shown to users and schedules."),
    Setting("ZANBOT_LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
    Setting("ZANBOT_WEBHOOK_LISTEN", "127.0.0.1", "Address the webhook server listens on."),
    Setting("ZANBOT_WEBHOOK_PORT", "8443", "Port the webhook server listens on."),
    Setting("ZANBOT_WEBHOOK_SECRET", "", "Secret token Telegram sends with webhook requests."),
    Setting("ZANBOT_FLOOD_RATE", "1.0", "Messages per second a user may send on average."),
    Setting("ZANBOT_FLOOD_BURST", "5", "Messages a user may send in a burst before slowing down."),
    Setting("ZANBOT_BROADCAST_RATE", "30", "Broadcast messages per second overall (Telegram: 30; "
            "about 1000 with paid broadcasts)."),
    Setting("ZANBOT_CHAT_RATE", "1", "Broadcast messages per second to one chat."),
    Setting("ZANBOT_RELOAD_INTERVAL", "2", "Seconds between checks of the content directory for "
            "edits (0 turns live reload off)."),
)  # fmt: skip


def default_model_dir(env: Mapping[str, str]) -> Path:
    """Return the user's cache directory for models ($XDG_CACHE_HOME/zanbot or ~/.cache)."""
    base = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zanbot" / "models"


def read_dotenv(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines from a .env file; ignore comments, blanks and malformed lines."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if value[:1] in ("'", '"') and value[1:].find(value[0]) != -1:
            value = value[1 : value.index(value[0], 1)]  # quoted: keep everything inside
        else:
            value = value.split(" #", 1)[0].strip()  # unquoted: drop an inline comment
        values[key.strip().removeprefix("export ").strip()] = value
    return values


@dataclass(frozen=True)
class Config:
    token: str
    api_url: str
    content_dir: Path | None
    database: Path
    model_dir: Path
    admin_ids: frozenset[int]
    timezone: str
    log_level: str
    webhook_listen: str
    webhook_port: int
    webhook_secret: str
    flood_rate: float
    flood_burst: int
    broadcast_rate: float
    chat_rate: float
    reload_interval: float

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, *, dotenv: Path | None = None) -> Config:
        """Build the configuration: environment first, then .env, then the defaults."""
        values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        values.update(read_dotenv(dotenv if dotenv is not None else Path(".env")))
        source = os.environ if env is None else env
        values.update({s.name: source[s.name] for s in SETTINGS if s.name in source})
        admins = {int(x) for x in str(values["ZANBOT_ADMIN_IDS"]).replace(" ", "").split(",") if x}
        return cls(
            token=values["TELEGRAM_BOT_TOKEN"].strip(),
            api_url=values["TELEGRAM_API_URL"].rstrip("/"),
            content_dir=Path(values["ZANBOT_CONTENT_DIR"])
            if values["ZANBOT_CONTENT_DIR"]
            else None,
            database=Path(values["ZANBOT_DATABASE"]),
            model_dir=Path(values["ZANBOT_MODEL_DIR"] or default_model_dir(source)),
            admin_ids=frozenset(admins),
            timezone=values["ZANBOT_TIMEZONE"],
            log_level=values["ZANBOT_LOG_LEVEL"].upper(),
            webhook_listen=values["ZANBOT_WEBHOOK_LISTEN"],
            webhook_port=int(values["ZANBOT_WEBHOOK_PORT"]),
            webhook_secret=values["ZANBOT_WEBHOOK_SECRET"],
            flood_rate=float(values["ZANBOT_FLOOD_RATE"]),
            flood_burst=int(values["ZANBOT_FLOOD_BURST"]),
            broadcast_rate=float(values["ZANBOT_BROADCAST_RATE"]),
            chat_rate=float(values["ZANBOT_CHAT_RATE"]),
            reload_interval=float(values["ZANBOT_RELOAD_INTERVAL"]),
        )


def settings_help() -> str:
    """Describe every setting, for `zanbot --help` and the README."""
    return "\n".join(
        f"  {s.name} (default: {s.default or 'empty'})\n      {s.help}" for s in SETTINGS
    )
