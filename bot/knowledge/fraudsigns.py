"""The signs of fraud staff edit in `content/fraud-signs.yaml`, loaded and checked.

The file lives beside `content/ru` and `content/kk` (every `.md` there is a topic). Each sign
has an id, its label in Russian and Kazakh (shown to users), the topic it points to, and the
phrases that reveal it, per language. A phrase is written as people type it; it is folded
(`bot.matching.text.fold`) like the message, so Cyrillic, Latin and spellings without Kazakh
letters all match, and each of its words matches as the beginning of a word, with up to
`GAP` other words between them. A phrase starting with `re:` is a regular expression over the
folded text instead. Signs about links have `links:` (`lookalike`, `shortener`, `insecure`,
`cheap`) instead of phrases: the detector (bot/conversation/fraud.py) finds those in the URLs.
No file: the fraud check is off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.i18n import LANGS
from bot.knowledge.topics import KnowledgeBase, Problem
from bot.matching.text import fold

FILE_NAME = "fraud-signs.yaml"
GAP = 3  # other words allowed between the words of a phrase
LINK_KINDS = ("lookalike", "shortener", "insecure", "cheap")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DOUBLED = re.compile(r"([a-z])\1")


@dataclass(frozen=True)
class Sign:
    id: str
    labels: dict[str, str]
    topic: str
    strong: bool
    patterns: tuple[re.Pattern[str], ...] = ()
    links: str | None = None  # one of LINK_KINDS for a sign found in the links


@dataclass(frozen=True)
class FraudSigns:
    signs: tuple[Sign, ...]
    known_domains: frozenset[str]
    brands: tuple[str, ...]
    shorteners: frozenset[str]
    cheap_tlds: frozenset[str]
    second_level: frozenset[str]
    ignore: tuple[re.Pattern[str], ...]
    ask: tuple[re.Pattern[str], ...]
    advice: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Compile one phrase (or a `re:` expression) to a pattern over folded text."""
    if phrase.startswith("re:"):
        return re.compile(phrase[3:].strip())
    words = fold(phrase).split()
    if not words:
        raise re.error("the phrase has no letters or digits")
    gap = rf"(?: \w+){{0,{GAP}}} "
    return re.compile(r"\b" + gap.join(rf"{re.escape(w)}\w*" for w in words))


class _Lines:
    """Line numbers of the YAML nodes, by path of keys and indexes."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.lines: dict[tuple[object, ...], int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[object, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._walk(value, (*path, key.value))
                self.lines[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def __call__(self, *path: object) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def _strings(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def load_fraud_signs(
    root: Path, kb: KnowledgeBase | None = None
) -> tuple[FraudSigns | None, list[Problem]]:
    """Read `root/fraud-signs.yaml`; return the signs (None when there is no file or it has
    errors) and its problems, each with file and line. Topic ids are checked against `kb`."""
    path = root / FILE_NAME
    if not path.is_file():
        return None, []
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, 1, f"cannot read: {exc}")]
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return None, [Problem(path, line, f"invalid YAML: {exc.problem}")]
    at = _Lines(node)
    problems: list[Problem] = []

    def problem(message: str, *where: object) -> None:
        problems.append(Problem(path, at(*where), message))

    if not isinstance(data, dict):
        return None, [Problem(path, 1, "expected a mapping with `signs:`")]

    def compile_list(value: object, *where: object) -> list[re.Pattern[str]]:
        phrases = _strings(value)
        if phrases is None:
            problem("expected a phrase or a list of phrases", *where)
            return []
        patterns = []
        for i, phrase in enumerate(phrases):
            try:
                patterns.append(phrase_pattern(phrase))
            except re.error as exc:
                problem(f"bad pattern {phrase!r}: {exc}", *where, i)
                continue
            if phrase.startswith("re:") and _DOUBLED.search(re.sub(r"\\.", "", phrase)):
                problem(f"pattern {phrase!r} can never match: folded text has no doubled "
                        "letters (write 'sobsh', not 'soobsh')", *where, i)  # fmt: skip
        return patterns

    def per_language(key: str, *, required: bool) -> list[re.Pattern[str]]:
        value = data.get(key)
        if value is None:
            if required:
                problem(f"`{key}` is missing")
            return []
        if not isinstance(value, dict):
            problem(f"`{key}` must have `ru:` and `kk:`", key)
            return []
        patterns = []
        for lang in LANGS:
            if lang not in value:
                problem(f"`{key}` has no `{lang}:`", key)
            else:
                patterns += compile_list(value[lang], key, lang)
        return patterns

    def domains(key: str) -> frozenset[str]:
        values = _strings(data.get(key, []))
        if values is None:
            problem(f"`{key}` must be a list of domain names", key)
            return frozenset()
        return frozenset(v.strip().lower().lstrip(".") for v in values)

    advice: dict[str, str] = {}
    raw_advice = data.get("advice")
    for lang in LANGS:
        text_ = raw_advice.get(lang) if isinstance(raw_advice, dict) else None
        if not isinstance(text_, str) or not text_.strip():
            problem(f"`advice` has no `{lang}:` text", "advice")
        else:
            advice[lang] = text_.strip()

    signs: list[Sign] = []
    raw_signs = data.get("signs")
    if not isinstance(raw_signs, list) or not raw_signs:
        problem("`signs` must be a list of signs", "signs")
        raw_signs = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_signs):
        where = ("signs", i)
        if not isinstance(raw, dict):
            problem("a sign must be a mapping with id, label, topic and words", *where)
            continue
        sign_id = raw.get("id")
        if not isinstance(sign_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", sign_id):
            problem("`id` must be lower-case letters, digits and dashes", *where, "id")
            sign_id = f"#{i}"
        elif sign_id in seen:
            problem(f"sign id {sign_id!r} is used twice", *where, "id")
        seen.add(sign_id)
        labels = raw.get("label")
        labels = labels if isinstance(labels, dict) else {}
        for lang in LANGS:
            if not isinstance(labels.get(lang), str) or not labels[lang].strip():
                problem(f"sign {sign_id}: `label` has no `{lang}:` text", *where, "label")
        topic = raw.get("topic")
        if not isinstance(topic, str):
            problem(f"sign {sign_id}: `topic` is missing", *where)
            topic = ""
        elif kb is not None:
            missing = [lang for lang in LANGS if kb.get(topic, lang) is None]
            if missing:
                langs = "" if len(missing) == len(LANGS) else f" in {', '.join(missing)}"
                problem(f"sign {sign_id}: unknown topic {topic!r}{langs}", *where, "topic")
        links = raw.get("links")
        patterns: list[re.Pattern[str]] = []
        if links is not None:
            if links not in LINK_KINDS:
                problem(f"sign {sign_id}: `links` must be one of {', '.join(LINK_KINDS)}",
                        *where, "links")  # fmt: skip
        else:
            words = raw.get("words")
            if not isinstance(words, dict):
                problem(f"sign {sign_id}: `words` with `ru:` and `kk:` is missing", *where)
            else:
                for lang in LANGS:
                    if lang not in words or not words[lang]:
                        problem(f"sign {sign_id}: `words` has no `{lang}:`", *where, "words")
                    else:
                        patterns += compile_list(words[lang], *where, "words", lang)
        signs.append(
            Sign(sign_id, {k: str(v).strip() for k, v in labels.items()}, topic,
                 bool(raw.get("strong", False)), tuple(patterns), links)
        )  # fmt: skip

    brands = _strings(data.get("brands", []))
    if brands is None:
        problem("`brands` must be a list of words", "brands")
        brands = []
    result = FraudSigns(
        signs=tuple(signs),
        known_domains=domains("known_domains"),
        brands=tuple(fold(b).replace(" ", "") for b in brands if fold(b)),
        shorteners=domains("shorteners"),
        cheap_tlds=domains("cheap_tlds"),
        second_level=domains("second_level"),
        ignore=tuple(per_language("ignore", required=False)),
        ask=tuple(per_language("ask", required=True)),
        advice=advice,
        path=path,
    )
    return (None if problems else result), problems
