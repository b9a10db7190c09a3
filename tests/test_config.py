"""Tests for bot.config: defaults, environment, .env file, refused values and the help."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import SETTINGS, Config, ConfigError, Settings, settings_help


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
        bot_username="",
        content_dir=None,
        database="zanbot.sqlite3",
        model_dir=Path.home() / ".cache" / "zanbot" / "models",
        admin_ids=frozenset(),
        timezone="Asia/Almaty",
        log_level="INFO",
        log_format="text",
        webhook_listen="127.0.0.1",
        webhook_port=8443,
        webhook_secret="",
        health_listen="127.0.0.1",
        health_port=0,
        flood_rate=1.0,
        flood_burst=5,
        broadcast_rate=30.0,
        chat_rate=1.0,
        concurrent_updates=256,
        reload_interval=2.0,
        operator_ru="",
        operator_kk="",
    )
    assert config.operator == {"ru": "", "kk": ""}


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
        "ZANBOT_CONCURRENT_UPDATES": "16",
        "ZANBOT_RELOAD_INTERVAL": "0",
        "UNRELATED": "ignored",
    }
    config = Config.load(env, dotenv=no_dotenv)
    assert config.token == "123:abc"
    assert config.api_url == "http://localhost:8081"
    assert config.content_dir == Path("/srv/content")
    assert config.database == "/var/lib/zanbot/db.sqlite3"
    assert config.timezone == "Asia/Aqtobe"
    assert config.log_level == "DEBUG"
    assert (config.webhook_listen, config.webhook_port) == ("0.0.0.0", 88)
    assert config.webhook_secret == "s3cret"
    assert (config.flood_rate, config.flood_burst) == (0.5, 10)
    assert (config.broadcast_rate, config.chat_rate) == (1000.0, 0.2)
    assert config.concurrent_updates == 16
    assert config.reload_interval == 0.0


def test_operator_names_are_read_per_language(no_dotenv: Path) -> None:
    env = {
        "ZANBOT_OPERATOR_RU": "  прокуратура Павлодарской\n  области ",
        "ZANBOT_OPERATOR_KK": "Павлодар облысының прокуратурасы",
    }
    config = Config.load(env, dotenv=no_dotenv)
    assert config.operator == {
        "ru": "прокуратура Павлодарской области",  # one line, as it goes into a sentence
        "kk": "Павлодар облысының прокуратурасы",
    }
    # One language only: the other names no owner rather than borrowing a name.
    config = Config.load(
        {"ZANBOT_OPERATOR_KK": "Павлодар облысының прокуратурасы"}, dotenv=no_dotenv
    )
    assert config.operator == {"ru": "", "kk": "Павлодар облысының прокуратурасы"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "# comment\n\nTELEGRAM_BOT_TOKEN=from-file\nexport ZANBOT_DATABASE='/data/z.sqlite3'\n"
            'ZANBOT_LOG_LEVEL = "warning"\nnot a setting line\n',
            {"token": "from-file", "database": "/data/z.sqlite3", "log_level": "WARNING"},
            id="read",
        ),
        pytest.param(
            "ZANBOT_WEBHOOK_SECRET=1\n"
            "export ZANBOT_WEBHOOK_LISTEN = two words \n"
            "ZANBOT_TIMEZONE='UTC'\n"
            'ZANBOT_DATABASE="x=y"\n'
            "#ZANBOT_FLOOD_BURST=9\n"  # commented out: the default, 5, stays
            "ZANBOT_CONTENT_DIR\n",  # a name without a value sets nothing
            {
                "webhook_secret": "1",
                "webhook_listen": "two words",
                "timezone": "UTC",
                "database": "x=y",
                "flood_burst": 5,
                "content_dir": None,
            },
            id="syntax",
        ),
        pytest.param(
            "ZANBOT_WEBHOOK_SECRET=abc # the staging secret\n"
            'ZANBOT_WEBHOOK_LISTEN="quoted # kept"\n'
            "ZANBOT_DATABASE='single # kept' # dropped\n"
            "TELEGRAM_BOT_TOKEN=a#b\n",
            {
                "webhook_secret": "abc",
                "webhook_listen": "quoted # kept",
                "database": "single # kept",
                "token": "a#b",
            },
            id="inline comments",
        ),
    ],
)
def test_dotenv_is_read(tmp_path: Path, text: str, expected: dict[str, object]) -> None:
    config = Config.load({}, dotenv=write_env(tmp_path, text))
    assert {name: getattr(config, name) for name in expected} == expected


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


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("ZANBOT_ADMIN_IDS", "12,abc", "'abc' is not a user id"),
        ("ZANBOT_ADMIN_IDS", "1.5", "'1.5' is not a user id"),
        ("ZANBOT_WEBHOOK_PORT", "eighty", "valid integer"),
        ("ZANBOT_WEBHOOK_PORT", "abc", "valid integer"),
        ("ZANBOT_WEBHOOK_PORT", "", "valid integer"),
        ("ZANBOT_WEBHOOK_PORT", "0", "greater than or equal to 1"),
        ("ZANBOT_WEBHOOK_PORT", "65536", "less than or equal to 65535"),
        ("ZANBOT_HEALTH_PORT", "-1", "greater than or equal to 0"),
        ("ZANBOT_HEALTH_PORT", "65536", "less than or equal to 65535"),
        ("ZANBOT_HEALTH_PORT", "metrics", "valid integer"),
        ("ZANBOT_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("ZANBOT_TIMEZONE", "", "unknown time zone"),
        ("ZANBOT_TIMEZONE", "../etc/passwd", "unknown time zone"),
        ("ZANBOT_LOG_LEVEL", "LOUD", "unknown log level"),
        ("ZANBOT_LOG_LEVEL", "", "unknown log level"),
        ("ZANBOT_LOG_FORMAT", "xml", "unknown log format; expected text or json"),
        ("ZANBOT_LOG_FORMAT", "", "unknown log format"),
        ("ZANBOT_FLOOD_RATE", "0", "greater than 0"),
        ("ZANBOT_FLOOD_RATE", "-1", "greater than 0"),
        ("ZANBOT_FLOOD_RATE", "fast", "valid number"),
        ("ZANBOT_FLOOD_BURST", "0", "greater than or equal to 1"),
        ("ZANBOT_BROADCAST_RATE", "0", "greater than 0"),
        ("ZANBOT_CHAT_RATE", "-0.5", "greater than 0"),
        ("ZANBOT_CHAT_RATE", "nan", "greater than 0"),
        ("ZANBOT_CONCURRENT_UPDATES", "0", "greater than or equal to 1"),
        ("ZANBOT_DATABASE", " ", "empty: give a SQLite file or a postgresql:// URL"),
        ("ZANBOT_DATABASE", "mysql://db/zanbot", "only SQLite files and postgresql:// URLs"),
        ("ZANBOT_RELOAD_INTERVAL", "-1", "greater than or equal to 0"),
        ("TELEGRAM_BOT_USERNAME", "t.me/zanbot", "not a Telegram username"),
        ("TELEGRAM_BOT_USERNAME", "bot", "not a Telegram username"),
        ("TELEGRAM_BOT_USERNAME", "1zanbot", "not a Telegram username"),
    ],
)
def test_unusable_values_are_refused_by_name(
    name: str, value: str, reason: str, no_dotenv: Path
) -> None:
    with pytest.raises(ConfigError) as refused:
        Config.load({name: value}, dotenv=no_dotenv)
    message = str(refused.value)
    assert f"{name}={value!r}: " in message
    assert reason in message
    assert "\n" not in message
    assert isinstance(refused.value, ValueError)


def test_values_in_the_dotenv_are_checked_too(tmp_path: Path) -> None:
    dotenv = write_env(tmp_path, "ZANBOT_TIMEZONE=Mars/Olympus\n")
    with pytest.raises(ConfigError, match="ZANBOT_TIMEZONE='Mars/Olympus'"):
        Config.load({}, dotenv=dotenv)
    assert Config.load({"ZANBOT_TIMEZONE": "UTC"}, dotenv=dotenv).timezone == "UTC"


def test_every_unusable_value_is_named_at_once(no_dotenv: Path) -> None:
    env = {"ZANBOT_WEBHOOK_PORT": "abc", "ZANBOT_LOG_LEVEL": "LOUD"}
    with pytest.raises(ConfigError) as refused:
        Config.load(env, dotenv=no_dotenv)
    assert "ZANBOT_WEBHOOK_PORT='abc'" in str(refused.value)
    assert "ZANBOT_LOG_LEVEL='LOUD'" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("ZANBOT_LOG_LEVEL", "critical", "log_level", "CRITICAL"),
        ("ZANBOT_LOG_LEVEL", " Warning ", "log_level", "WARNING"),
        ("ZANBOT_LOG_FORMAT", " JSON ", "log_format", "json"),
        ("ZANBOT_WEBHOOK_PORT", "65535", "webhook_port", 65535),
        ("ZANBOT_HEALTH_PORT", "0", "health_port", 0),
        ("ZANBOT_HEALTH_PORT", "65535", "health_port", 65535),
        ("ZANBOT_FLOOD_RATE", "0.01", "flood_rate", 0.01),
        ("ZANBOT_FLOOD_BURST", "1", "flood_burst", 1),
        ("ZANBOT_TIMEZONE", "UTC", "timezone", "UTC"),
        ("TELEGRAM_BOT_USERNAME", " @Zan_Bot ", "bot_username", "Zan_Bot"),
        ("TELEGRAM_BOT_USERNAME", "a" * 32, "bot_username", "a" * 32),
        (
            "ZANBOT_DATABASE",
            "postgresql://bot:pw@db:5432/zanbot",
            "database",
            "postgresql://bot:pw@db:5432/zanbot",
        ),
        (
            "ZANBOT_DATABASE",
            " /var/lib/zanbot/zanbot.sqlite3 ",
            "database",
            "/var/lib/zanbot/zanbot.sqlite3",
        ),
    ],
)
def test_values_at_the_limits_are_accepted(
    name: str, value: str, attribute: str, expected: object, no_dotenv: Path
) -> None:
    assert getattr(Config.load({name: value}, dotenv=no_dotenv), attribute) == expected


def test_the_command_line_reports_a_bad_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("ZANBOT_WEBHOOK_PORT", "abc")
    assert main(["kb", "dump"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("zanbot: invalid configuration: ZANBOT_WEBHOOK_PORT='abc': ")


def test_config_is_frozen_and_replaceable(no_dotenv: Path) -> None:
    config = Config.load({}, dotenv=no_dotenv)
    with pytest.raises(AttributeError):
        config.token = "t"  # type: ignore[misc]
    assert replace(config, token="t", webhook_port=1).webhook_port == 1


def test_config_has_exactly_the_declared_settings() -> None:
    assert [f.name for f in fields(Config)] == list(Settings.model_fields)


def test_a_missing_dotenv_is_no_error(tmp_path: Path) -> None:
    assert Config.load({}, dotenv=tmp_path / "nope.env") == Config.load({}, dotenv=tmp_path)


def test_settings_help_mentions_every_setting() -> None:
    text = settings_help()
    for setting in SETTINGS:
        assert setting.name in text
        assert setting.help in text
        assert f"(default: {setting.default or 'empty'})" in text
    assert len(SETTINGS) == 23
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


def test_settings_help_shows_defaults_as_written() -> None:
    text = settings_help()
    assert "  ZANBOT_WEBHOOK_PORT (default: 8443)\n      Port the webhook server" in text
    assert "ZANBOT_BROADCAST_RATE (default: 30)" in text
    assert "ZANBOT_ADMIN_IDS (default: empty)" in text
    assert (
        "ZANBOT_LOG_LEVEL (default: INFO)\n      Logging level: DEBUG, INFO, WARNING, ERROR" in text
    )


def test_every_setting_is_used(no_dotenv: Path) -> None:
    defaults = Config.load({}, dotenv=no_dotenv)
    changed = {
        "TELEGRAM_BOT_TOKEN": "t",
        "TELEGRAM_API_URL": "http://x",
        "TELEGRAM_BOT_USERNAME": "zanbot",
        "ZANBOT_CONTENT_DIR": "c",
        "ZANBOT_DATABASE": "d",
        "ZANBOT_MODEL_DIR": "m",
        "ZANBOT_ADMIN_IDS": "1",
        "ZANBOT_TIMEZONE": "UTC",
        "ZANBOT_LOG_LEVEL": "ERROR",
        "ZANBOT_LOG_FORMAT": "json",
        "ZANBOT_WEBHOOK_LISTEN": "::",
        "ZANBOT_WEBHOOK_PORT": "1",
        "ZANBOT_WEBHOOK_SECRET": "x",
        "ZANBOT_HEALTH_LISTEN": "0.0.0.0",
        "ZANBOT_HEALTH_PORT": "9100",
        "ZANBOT_FLOOD_RATE": "9",
        "ZANBOT_FLOOD_BURST": "9",
        "ZANBOT_BROADCAST_RATE": "9",
        "ZANBOT_CHAT_RATE": "9",
        "ZANBOT_CONCURRENT_UPDATES": "9",
        "ZANBOT_RELOAD_INTERVAL": "9",
        "ZANBOT_OPERATOR_RU": "о",
        "ZANBOT_OPERATOR_KK": "о",
    }
    assert set(changed) == {s.name for s in SETTINGS}
    for name, value in changed.items():
        config = Config.load({name: value}, dotenv=no_dotenv)
        assert config != defaults, name
