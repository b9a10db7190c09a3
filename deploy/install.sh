#!/bin/sh
# Install Zanbot from this checkout into a virtual environment, then check that it runs.
#
#   deploy/install.sh [--check-content] [VENV]     (VENV default: /opt/zanbot)
#
# The one install procedure: the Dockerfile runs it, CI runs it into a fresh temporary venv,
# and an operator runs it for the systemd unit (deploy/zanbot.service) and for an upgrade.
# VENV is created with $PYTHON (default python3, 3.11 or newer) unless it already is a venv;
# an existing one is upgraded in place. Then: `zanbot` is at VENV/bin/zanbot.
#
# The package is built from a clean copy of the source (no stale build/ files, no .venv, no
# .env or database), with `pip install`, as a regular, non-editable install. The compiled
# catalogs (locales/*/LC_MESSAGES/messages.mo) are committed and ship as they are; one that is
# missing is compiled with pybabel (babel is a dependency of the bot) into the copy only.
#
# Smoke check, from a directory outside the checkout so the installed package is the one
# imported: `zanbot --help`, then the bundled content, templates and both catalogs are
# present in the installed package. --check-content also runs `zanbot content check` (it
# trains the matcher: tens of seconds), with models kept in a temporary directory.
set -eu

check_content=no
if [ "${1:-}" = "--check-content" ]; then
    check_content=yes
    shift
fi
venv=${1:-/opt/zanbot}
python=${PYTHON:-python3}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'install.sh: %s\n' "$*" >&2; }

"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { say "$python is older than Python 3.11"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# A clean copy of the source: what the package is built from and nothing else.
mkdir "$work/src"
tar -C "$source_dir" \
    --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist \
    --exclude='*.egg-info' --exclude=__pycache__ --exclude=.pytest_cache \
    --exclude=.ruff_cache --exclude=./.env --exclude='*.env' \
    --exclude='*.sqlite3' --exclude='*.sqlite3-*' --exclude='*.db' \
    -cf - . | tar -C "$work/src" -xf -

if [ ! -x "$venv/bin/python" ]; then
    say "creating the virtual environment $venv"
    "$python" -m venv "$venv"
fi
pip() { "$venv/bin/python" -m pip "$@"; }

missing=no
for po in "$work"/src/locales/*/LC_MESSAGES/messages.po; do
    [ -f "${po%.po}.mo" ] || missing=yes
done
if [ "$missing" = yes ]; then
    say "compiling the translation catalogs"
    pip install --quiet babel
    "$venv/bin/pybabel" compile -d "$work/src/locales" -D messages
fi

say "installing zanbot into $venv"
pip install --quiet --upgrade "$work/src"

say "smoke check"
cd "$work"
"$venv/bin/zanbot" --help >/dev/null
"$venv/bin/python" - "$venv" <<'PYTHON'
import gettext
import sys
from pathlib import Path

import bot
from bot.i18n import locales_dir, translations
from bot.knowledge.loader import default_content_dir, load_knowledge_base

venv = Path(sys.argv[1]).resolve()
package = Path(bot.__file__).resolve().parent
assert venv in package.parents, f"imported {package}, not the package installed in {venv}"
for lang in ("ru", "kk"):
    catalog = translations(lang)
    assert isinstance(catalog, gettext.GNUTranslations), f"no compiled {lang} catalog"
assert package in locales_dir().parents, f"catalogs come from {locales_dir()}"
assert package in default_content_dir().parents, f"content comes from {default_content_dir()}"
assert list((package / "conversation" / "templates").iterdir()), "no templates"
kb = load_knowledge_base()
langs = {topic.lang for topic in kb}
assert langs == {"ru", "kk"}, f"bundled content has languages {sorted(langs)}"
print(f"zanbot {bot.__version__} in {package}: {len(kb)} topics, catalogs ru and kk")
PYTHON
if [ "$check_content" = yes ]; then
    ZANBOT_MODEL_DIR="$work/models" "$venv/bin/zanbot" content check >/dev/null
fi
say "done: $venv/bin/zanbot"
