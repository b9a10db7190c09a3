"""The README's set-up commands: exactly two, and CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2
    run, test = commands
    assert run.endswith(".venv/bin/zanbot")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", "", script)  # undo line continuations
    assert setup_commands()[1] in joined


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if s.name not in readme]
    assert missing == []
