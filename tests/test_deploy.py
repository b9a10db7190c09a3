"""The deployment files: the systemd unit, the Dockerfile and its health check, compose.yaml,
and the install script they and CI share (CI runs the script itself: .ci/run)."""

from __future__ import annotations

import configparser
import http.server
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SETTING_NAMES = {s.name for s in SETTINGS}


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read(DEPLOY / "zanbot.service", encoding="utf-8")
    return parser


def seconds(value: str) -> float:
    """Read a systemd time span of the simple kinds: 60, 60s, 2min, 1min 30s."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60}
    total = 0.0
    for number, suffix in re.findall(r"(\d+)\s*([a-z]*)", value):
        total += int(number) * units[suffix]
    return total


def test_the_unit_restarts_on_failure_and_reads_the_env_file() -> None:
    service = unit()["Service"]
    assert service["Type"] == "simple"
    assert service["Restart"] == "on-failure"
    assert seconds(service["RestartSec"]) > 0
    assert service["EnvironmentFile"] == "/etc/zanbot/zanbot.env"
    command = shlex.split(service["ExecStart"])
    assert Path(command[0]).name == "zanbot" and command[1:] == ["run"]
    assert Path(command[0]).is_absolute()
    assert service["User"] not in ("", "root")
    assert service["WorkingDirectory"]


def test_the_unit_gives_the_bot_time_to_stop() -> None:
    service = unit()["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert seconds(service["TimeoutStopSec"]) >= 20


def test_the_unit_is_hardened_and_can_write_its_data() -> None:
    parsed = unit()
    service = parsed["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    writable = service["ReadWritePaths"].split()
    # Environment= is given once per variable; configparser (strict=False) keeps the last.
    text = (DEPLOY / "zanbot.service").read_text(encoding="utf-8")
    env = dict(re.findall(r"^Environment=(\w+)=(.*)$", text, re.M))
    for name in ("ZANBOT_DATABASE", "ZANBOT_MODEL_DIR"):
        assert any(Path(env[name]).is_relative_to(path) for path in writable), name
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


def test_the_env_example_names_only_real_settings() -> None:
    text = (DEPLOY / "zanbot.env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    assert "TELEGRAM_BOT_TOKEN" in names and "ZANBOT_LOG_FORMAT" in names
    assert names <= SETTING_NAMES


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions with continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_the_image_installs_with_the_script_and_runs_unprivileged() -> None:
    steps = instructions(dockerfile())
    bases = [rest for keyword, rest in steps if keyword == "FROM"]
    assert bases and all(base.startswith("${PYTHON_IMAGE}") for base in bases)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile()
    runs = [rest for keyword, rest in steps if keyword == "RUN"]
    assert any("deploy/install.sh" in run for run in runs)
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert json.loads(dict(steps)["CMD"]) == ["zanbot", "run"]
    env = " ".join(rest for keyword, rest in steps if keyword == "ENV")
    assert "ZANBOT_DATABASE=/data/" in env and "ZANBOT_MODEL_DIR=/data/" in env
    assert json.loads(dict(steps)["VOLUME"]) == ["/data"]


def health_command() -> list[str]:
    """The HEALTHCHECK's command, as Docker would run it (exec form)."""
    steps = dict(instructions(dockerfile()))
    check = steps["HEALTHCHECK"]
    assert "--start-period=" in check
    return json.loads(check[check.index("CMD ") + 4 :])


@pytest.fixture
def health_server() -> Iterator[tuple[int, list[str]]]:
    """A stand-in for the bot's health endpoint: 200 on /healthz, 404 elsewhere."""
    paths: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_health_check(port: int) -> int:
    command = health_command()
    assert command[0] == "python"
    env = {**os.environ, "ZANBOT_HEALTH_PORT": str(port)}
    done = subprocess.run(
        [sys.executable, *command[1:]], env=env, capture_output=True, timeout=30, check=False
    )
    return done.returncode


def test_the_health_check_asks_the_health_endpoint(
    health_server: tuple[int, list[str]],
) -> None:
    port, paths = health_server
    assert run_health_check(port) == 0
    assert paths == ["/healthz"]


def test_the_health_check_fails_when_nothing_answers() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run_health_check(port) != 0


def test_compose_runs_the_image_with_a_volume_and_a_restart_policy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["zanbot"]
    assert service["build"] == "."
    assert service["env_file"]
    assert service["restart"] in ("unless-stopped", "always", "on-failure")
    assert seconds(service["stop_grace_period"]) >= 20
    mounts = {volume.split(":")[1] for volume in service["volumes"]}
    assert "/data" in mounts
    assert set(service.get("environment", {})) <= SETTING_NAMES


def test_the_docker_context_leaves_out_secrets_and_databases() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".env", "*.env", "*.sqlite3", ".venv", ".git"):
        assert pattern in ignored


def test_the_install_script_is_posix_sh() -> None:
    script = DEPLOY / "install.sh"
    assert os.access(script, os.X_OK)
    assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(script)], check=True, timeout=30)


def test_ci_runs_the_install_script_in_a_fresh_venv() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^deploy/install\.sh \S+", script, re.M)


def test_the_worker_template_runs_a_webhook_with_its_own_ports_behind_nginx() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    text = (DEPLOY / "zanbot-worker@.service").read_text(encoding="utf-8")
    parser.read_string(text)
    service = parser["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[1:3] == ["run", "--webhook"] and command[3].startswith("https://")
    files = re.findall(r"^EnvironmentFile=(.*)$", text, re.M)
    assert files == ["/etc/zanbot/zanbot.env", "/etc/zanbot/worker-%i.env"]  # ports last
    assert "ZANBOT_DATABASE" not in text.split("[Unit]")[1]  # PostgreSQL, from zanbot.env
    assert service["KillSignal"] == "SIGTERM" and service["NoNewPrivileges"] == "yes"
    # The ports the instances are told to use are the ones nginx forwards to.
    ports = re.findall(r"ZANBOT_WEBHOOK_PORT=(\d+)", text)
    nginx = (DEPLOY / "nginx-zanbot.conf").read_text(encoding="utf-8")
    assert re.findall(r"^\s*server 127\.0\.0\.1:(\d+)", nginx, re.M) == ports == ["8441", "8442"]
    path = "/" + command[3].split("/", 3)[3]
    assert f"location = {path} {{" in nginx
