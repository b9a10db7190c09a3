"""Consistency of the UI translations: catalogs, source and compiled files agree.

Real files only: the committed locales/messages.pot, the ru and kk .po/.mo catalogs and the
source under bot/. The workflow these tests guard is in the README ("Translations (UI
strings)"): extract, update, translate, compile.
"""

from __future__ import annotations

import ast
import gettext
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import (
    DEFAULT_LANG,
    LANGS,
    CatalogNotCompiled,
    _,
    current_locale,
    resolve_locale,
    use_locale,
)

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
BOT = ROOT / "bot"
# The extract step of the README, word for word (only the output file differs).
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "__", "-k", "lazy_gettext", "--sort-output"]
GETTEXT_FUNCS = {"_", "__", "gettext", "lazy_gettext", "ngettext"}
PLURAL_FORMS = {
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    "kk": "nplurals=2; plural=(n != 1);",
}


def load_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.po"


def mo_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.mo"


def entries(catalog: Catalog) -> list[Message]:
    """The catalog's messages without its header entry."""
    return [m for m in catalog if m.id]


def key(message: Message) -> str | tuple[str, ...]:
    """A message's identity: its id (a tuple for plurals) and context, as babel keys it."""
    return message.id if message.context is None else (message.context, message.id)  # type: ignore[return-value]


def forms(message: Message) -> list[str]:
    """The translation as a list: one item, or every plural form."""
    string = message.string
    return list(string) if isinstance(string, (tuple, list)) else [string]


def placeholders(text: str) -> set[str]:
    """The `{...}` fields of a str.format string, as written (`{{`/`}}` are not fields)."""
    found = set()
    for _literal, name, spec, conversion in Formatter().parse(text):
        if name is not None:
            found.add(
                "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                + "}"
            )  # fmt: skip
    return found


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return load_catalog(POT)


# --- the catalogs ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_msgid_is_translated(pot: Catalog, lang: str) -> None:
    catalog = load_catalog(po_path(lang), locale=lang)
    failing = []
    for template in entries(pot):
        message = catalog.get(template.id, template.context)
        if message is None:
            failing.append(f"missing: {template.id!r}")
        elif message.fuzzy:
            failing.append(f"fuzzy: {template.id!r}")
        elif not all(forms(message)) or (
            message.pluralizable and len(forms(message)) != catalog.num_plurals
        ):
            failing.append(f"untranslated: {template.id!r}")
    assert failing == [], f"{po_path(lang).relative_to(ROOT)}:\n" + "\n".join(failing)


@pytest.mark.parametrize("lang", LANGS)
def test_po_has_the_ids_of_the_pot(pot: Catalog, lang: str) -> None:
    """No stale ids: `pybabel update` was run after the last extract."""
    catalog = load_catalog(po_path(lang), locale=lang)
    assert {key(m) for m in entries(catalog)} == {key(m) for m in entries(pot)}


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_headers(lang: str) -> None:
    catalog = load_catalog(po_path(lang), locale=lang)
    headers = dict(catalog.mime_headers)
    assert (headers["Language"], headers["Plural-Forms"]) == (lang, PLURAL_FORMS[lang])
    assert headers["Content-Type"] == "text/plain; charset=utf-8"


def test_pot_is_up_to_date(pot: Catalog, tmp_path: Path) -> None:
    """Every `_()` string in the source is in the committed .pot, and nothing else is."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    extracted = {key(m) for m in entries(load_catalog(fresh))}
    committed = {key(m) for m in entries(pot)}
    assert (sorted(extracted - committed, key=str), sorted(committed - extracted, key=str)) == (
        [],
        [],
    ), "locales/messages.pot is stale (new ids, removed ids): run the README's extract step"


@pytest.mark.parametrize("lang", LANGS)
def test_mo_matches_po(lang: str) -> None:
    """The compiled catalog says what the .po says: `pybabel compile` was run."""
    catalog = load_catalog(po_path(lang), locale=lang)
    with mo_path(lang).open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    plural = gettext.c2py(catalog.plural_expr)
    # For each plural form, a number that selects it.
    numbers = {plural(n): n for n in reversed(range(200))}
    expected, actual = {}, {}
    for message in entries(catalog):
        # Compiling leaves out fuzzy and empty entries (another test reports those).
        skipped = message.fuzzy or not all(forms(message))
        if message.pluralizable:
            singular, plural_id = message.id[0], message.id[1]
            for index, text in enumerate(forms(message)):
                n = numbers[index]
                expected[(singular, index)] = (
                    (singular if n == 1 else plural_id) if skipped else text
                )  # fmt: skip
                actual[(singular, index)] = compiled.ngettext(singular, plural_id, n)
        else:
            expected[message.id] = message.id if skipped else message.string
            actual[message.id] = compiled.gettext(message.id)
    mismatched = sorted(str(k) for k in expected if actual[k] != expected[k])
    assert actual == expected, (
        f"{mo_path(lang).relative_to(ROOT)} differs from its .po for {mismatched}: "
        "run `pybabel compile -d locales -D messages`"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_are_kept(lang: str) -> None:
    catalog = load_catalog(po_path(lang), locale=lang)
    failing = {}
    for message in entries(catalog):
        ids = message.id if isinstance(message.id, (tuple, list)) else [message.id]
        wanted = set().union(*(placeholders(i) for i in ids))
        for text in forms(message):
            try:
                found = placeholders(text)
            except ValueError as exc:  # an unbalanced brace: .format() would raise
                failing[message.id] = f"malformed: {exc}"
                continue
            if text and found != wanted:
                failing[message.id] = f"{sorted(found)} instead of {sorted(wanted)}"
    assert failing == {}


# --- the source ------------------------------------------------------------------------------


def gettext_calls() -> Iterator[tuple[Path, ast.Call]]:
    """Every call of a translation function in bot/, f-strings' insides included."""
    for path in sorted(BOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in GETTEXT_FUNCS:
                    yield path, node


def is_formatted(node: ast.expr) -> bool:
    """An f-string, `"…" % x` or `"…".format(…)`: text that babel cannot extract."""
    return (
        isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod))
        or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
        )
    )


def test_no_formatted_string_is_translated() -> None:
    """Translate the literal first, then format: `_("… {n}").format(n=n)`."""
    failing = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path, call in gettext_calls()
        if any(is_formatted(arg) for arg in call.args)
    ]
    assert failing == []


def test_the_checker_sees_formatted_arguments() -> None:
    source = 'f(_(f"a {x}"), __("a %s" % x), ngettext("a {}".format(x), "b", n), _("ok {x}"))'
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    flagged = [
        c.func.id
        for c in calls
        if isinstance(c.func, ast.Name) and any(is_formatted(a) for a in c.args)
    ]
    assert sorted(flagged) == ["_", "__", "ngettext"]


def test_every_literal_msgid_in_the_source_is_in_the_pot(pot: Catalog) -> None:
    """Calls that extraction misses (e.g. `_()` inside an f-string) stay untranslated."""
    committed = {key(m) for m in entries(pot)}
    missing = []
    for path, call in gettext_calls():
        literal = [a.value for a in call.args if isinstance(a, ast.Constant)]
        if path != BOT / "i18n.py" and literal and isinstance(literal[0], str):
            msgid = tuple(literal[:2]) if len(literal) > 1 else literal[0]
            if msgid not in committed:
                missing.append(f"{path.relative_to(ROOT)}:{call.lineno} {msgid!r}")
    assert missing == []


# --- bot.i18n --------------------------------------------------------------------------------


@pytest.fixture
def fresh_translations() -> Iterator[None]:
    """Forget the cached catalogs before and after, so no test sees another's."""
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


@pytest.fixture
def uncompiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_translations: None) -> Path:
    """A locales directory whose ru catalog has a .po but no .mo, used by bot.i18n."""
    directory = tmp_path / "ru" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    shutil.copy(po_path("ru"), directory / "messages.po")
    monkeypatch.setattr(i18n, "locales_dir", lambda: tmp_path)
    return directory


def test_uncompiled_catalog_fails_fast(uncompiled: Path) -> None:
    with pytest.raises(CatalogNotCompiled, match="not compiled"):
        i18n.translations("ru")


def test_compiled_catalog_loads(uncompiled: Path) -> None:
    catalog = load_catalog(uncompiled / "messages.po", locale="ru")
    with (uncompiled / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    with use_locale("ru"):
        assert _("☰ Menu") == "☰ Меню"


@pytest.mark.parametrize(
    ("stored", "hint", "expected"),
    [
        ("kk", "ru", "kk"),  # the user's own choice wins over Telegram's hint
        ("ru", "kk-KZ", "ru"),
        (None, "kk-KZ", "kk"),
        (None, "KK", "kk"),
        (None, "ru-RU", "ru"),
        (None, "en-US", "ru"),
        ("en", "kk", "kk"),  # an unknown stored value is no choice
        (None, None, "ru"),
        (None, "", "ru"),
    ],
)
def test_resolve_locale(stored: str | None, hint: str | None, expected: str) -> None:
    assert resolve_locale(stored, hint) == expected


def test_use_locale_switches_translations(fresh_translations: None) -> None:
    seen = []
    with use_locale("ru"):
        seen.append(_("☰ Menu"))
        with use_locale("kk"):
            seen.append(_("☰ Menu"))
            seen.append(current_locale())
        seen.append(_("☰ Menu"))
    with use_locale("xx"):  # an unknown language falls back to the default
        seen.append(current_locale())
    seen.append(current_locale())
    assert seen == ["☰ Меню", "☰ Мәзір", "kk", "☰ Меню", DEFAULT_LANG, DEFAULT_LANG]


@pytest.mark.parametrize(
    ("lang", "msgid", "expected"),
    [
        ("ru", "You are sending messages too fast. Please wait a few seconds and try again.",
         "слишком"),
        ("kk", "I can only read text. Please type your question, or open the menu.", "мәтін"),
        ("ru", "Never send anyone card numbers, CVV, codes from SMS or your IIN — not even to "
         "this bot. We have not saved what you typed.", "CVV"),
        ("ru", "article {number}", "статья"),
        ("kk", "article {number}", "бап"),
        ("kk", "📜 New Criminal Code articles", "Қылмыстық кодекс"),
        ("ru", "📜 New Criminal Code articles", "Уголовного кодекса"),
    ],
)  # fmt: skip
def test_translations_other_tests_rely_on(lang: str, msgid: str, expected: str) -> None:
    with use_locale(lang):
        text = _(msgid)
    assert (expected in text, text != msgid) == (True, True), text
