"""Tests for bot.config: defaults, environment, .env file and the settings help."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SETTINGS, Config, read_dotenv, settings_help


@pytest.fixture
def no_dotenv(tmp_path: Path) -> Path:
    return tmp_path / "missing.env"


def test_models_go_to_the_user_cache_unless_configured(no_dotenv: Path) -> None:
    config = Config.load({"XDG_CACHE_HOME": "/var/cache"}, dotenv=no_dotenv)
    assert config.model_dir == Path("/var/cache/zanbot/models")
    config = Config.load({"ZANBOT_MODEL_DIR": "/srv/models"}, dotenv=no_dotenv)
    assert config.model_dir == Path("/srv/models")


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(no_dotenv: Path) -> None:
    config = Config.load({}, dotenv=no_dotenv)
    assert config == Config(
        token="",
        api_url="https://api.telegram.org",
        content_dir=None,
        database=Path("zanbot.sqlite3"),
        model_dir=Path.home() / ".cache" / "zanbot" / "models",
        admin_ids=frozenset(),
        timezone="Asia/Almaty",
        log_level="INFO",
        webhook_listen="127.0.0.1",
        webhook_port=8443,
        webhook_secret="",
        flood_rate=1.0,
        flood_burst=5,
        broadcast_rate=30.0,
        chat_rate=1.0,
        reload_interval=2.0,
    )


def test_environment_overrides(no_dotenv: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "  123:abc  ",
        "TELEGRAM_API_URL": "http://localhost:8081/",
        "ZANBOT_CONTENT_DIR": "/srv/content",
        "ZANBOT_DATABASE": "/var/lib/zanbot/db.sqlite3",
        "ZANBOT_TIMEZONE": "Asia/Aqtobe",
        "ZANBOT_LOG_LEVEL": "debug",
        "ZANBOT_WEBHOOK_LISTEN": "0.0.0.0",
        "ZANBOT_WEBHOOK_PORT": "88",
        "ZANBOT_WEBHOOK_SECRET": "s3cret",
        "ZANBOT_FLOOD_RATE": "0.5",
        "ZANBOT_FLOOD_BURST": "10",
        "ZANBOT_BROADCAST_RATE": "1000",
        "ZANBOT_CHAT_RATE": "0.2",
        "ZANBOT_RELOAD_INTERVAL": "0",
        "UNRELATED": "ignored",
    }
    config = Config.load(env, dotenv=no_dotenv)
    assert config.token == "123:abc"
    assert config.api_url == "http://localhost:8081"
    assert config.content_dir == Path("/srv/content")
    assert config.database == Path("/var/lib/zanbot/db.sqlite3")
    assert config.timezone == "Asia/Aqtobe"
    assert config.log_level == "DEBUG"
    assert (config.webhook_listen, config.webhook_port) == ("0.0.0.0", 88)
    assert config.webhook_secret == "s3cret"
    assert (config.flood_rate, config.flood_burst) == (0.5, 10)
    assert (config.broadcast_rate, config.chat_rate) == (1000.0, 0.2)
    assert config.reload_interval == 0.0


def test_dotenv_is_read(tmp_path: Path) -> None:
    dotenv = write_env(
        tmp_path,
        "# comment\n\nTELEGRAM_BOT_TOKEN=from-file\nexport ZANBOT_DATABASE='/data/z.sqlite3'\n"
        'ZANBOT_LOG_LEVEL = "warning"\nnot a setting line\n',
    )
    config = Config.load({}, dotenv=dotenv)
    assert config.token == "from-file"
    assert config.database == Path("/data/z.sqlite3")
    assert config.log_level == "WARNING"


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = write_env(tmp_path, "TELEGRAM_BOT_TOKEN=from-file\nZANBOT_FLOOD_BURST=7\n")
    config = Config.load({"TELEGRAM_BOT_TOKEN": "from-env"}, dotenv=dotenv)
    assert config.token == "from-env"
    assert config.flood_burst == 7  # not in the environment: the file's value


def test_an_empty_environment_value_still_wins(tmp_path: Path) -> None:
    dotenv = write_env(tmp_path, "ZANBOT_CONTENT_DIR=/from/file\n")
    assert Config.load({"ZANBOT_CONTENT_DIR": ""}, dotenv=dotenv).content_dir is None


def test_load_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch, no_dotenv: Path) -> None:
    monkeypatch.setenv("ZANBOT_WEBHOOK_PORT", "9000")
    assert Config.load(dotenv=no_dotenv).webhook_port == 9000


def test_load_reads_dot_env_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_env(tmp_path, "ZANBOT_WEBHOOK_SECRET=cwd\n")
    monkeypatch.chdir(tmp_path)
    assert Config.load({}).webhook_secret == "cwd"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", frozenset()),
        ("42", frozenset({42})),
        ("1,2,3", frozenset({1, 2, 3})),
        (" 12 , 34 ", frozenset({12, 34})),
        ("5,,6,", frozenset({5, 6})),
        ("7,7", frozenset({7})),
        ("-1001234567890", frozenset({-1001234567890})),
    ],
)
def test_admin_ids(raw: str, expected: frozenset[int], no_dotenv: Path) -> None:
    assert Config.load({"ZANBOT_ADMIN_IDS": raw}, dotenv=no_dotenv).admin_ids == expected


def test_bad_admin_ids_are_refused(no_dotenv: Path) -> None:
    with pytest.raises(ValueError):
        Config.load({"ZANBOT_ADMIN_IDS": "12,abc"}, dotenv=no_dotenv)


def test_bad_numbers_are_refused(no_dotenv: Path) -> None:
    with pytest.raises(ValueError):
        Config.load({"ZANBOT_WEBHOOK_PORT": "eighty"}, dotenv=no_dotenv)


def test_read_dotenv(tmp_path: Path) -> None:
    dotenv = write_env(tmp_path, "A=1\nexport B = two words \nC='q'\nD=\"x=y\"\n#E=5\nF\n")
    assert read_dotenv(dotenv) == {"A": "1", "B": "two words", "C": "q", "D": "x=y"}
    assert read_dotenv(tmp_path / "nope.env") == {}


def test_settings_help_mentions_every_setting() -> None:
    text = settings_help()
    for setting in SETTINGS:
        assert setting.name in text
        assert setting.help in text
        assert f"(default: {setting.default or 'empty'})" in text
    assert len(SETTINGS) == 16
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


def test_every_setting_is_used(no_dotenv: Path) -> None:
    defaults = Config.load({}, dotenv=no_dotenv)
    changed = {
        "TELEGRAM_BOT_TOKEN": "t",
        "TELEGRAM_API_URL": "http://x",
        "ZANBOT_CONTENT_DIR": "c",
        "ZANBOT_DATABASE": "d",
        "ZANBOT_MODEL_DIR": "m",
        "ZANBOT_ADMIN_IDS": "1",
        "ZANBOT_TIMEZONE": "UTC",
        "ZANBOT_LOG_LEVEL": "ERROR",
        "ZANBOT_WEBHOOK_LISTEN": "::",
        "ZANBOT_WEBHOOK_PORT": "1",
        "ZANBOT_WEBHOOK_SECRET": "x",
        "ZANBOT_FLOOD_RATE": "9",
        "ZANBOT_FLOOD_BURST": "9",
        "ZANBOT_BROADCAST_RATE": "9",
        "ZANBOT_CHAT_RATE": "9",
        "ZANBOT_RELOAD_INTERVAL": "9",
    }
    assert set(changed) == {s.name for s in SETTINGS}
    for name, value in changed.items():
        config = Config.load({name: value}, dotenv=no_dotenv)
        assert config != defaults, name
