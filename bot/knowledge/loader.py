"""Load the whole knowledge base from a content directory and check it as a whole."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import jinja2

from bot.conversation.render import body_template
from bot.i18n import LANGS
from bot.knowledge.topics import (
    OUT_OF_SCOPE,
    ContentError,
    KnowledgeBase,
    OutOfScope,
    Problem,
    Topic,
    parse_out_of_scope,
    parse_topic,
)
from bot.matching.text import fold


def default_content_dir() -> Path:
    """Return the bundled content: bot/content when installed, ./content in a checkout."""
    package_dir = Path(__file__).resolve().parents[1]
    installed = package_dir / "content"
    return installed if (installed / "ru").is_dir() else package_dir.parent / "content"


def _template_problems(topic: Topic) -> list[Problem]:
    try:
        body_template(topic.body)  # compiled as the bot compiles it
    except jinja2.TemplateSyntaxError as exc:
        line = topic.body_line + (exc.lineno or 1) - 1
        return [Problem(topic.path, line, f"template error: {exc.message}")]
    return []


def _cross_problems(
    topics: list[Topic], broken: set[str], out_of_scope: Sequence[OutOfScope] = ()
) -> list[Problem]:
    """Problems between files; `broken` holds the names of files that failed to parse."""
    problems: list[Problem] = []
    by_key: dict[tuple[str, str], Topic] = {}
    for topic in topics:
        key = (topic.lang, topic.id)
        if key in by_key:
            other = by_key[key]
            message = f"duplicate id '{topic.id}' (also in {other.path}:{other.lines.get('id', 1)})"
            problems.append(Problem(topic.path, topic.lines.get("id", 1), message))
        else:
            by_key[key] = topic
    ids_by_lang = {lang: {t.id for t in topics if t.lang == lang} for lang in LANGS}
    all_ids = set().union(*ids_by_lang.values())
    for topic in by_key.values():
        for lang in LANGS:
            # A twin that failed to parse was reported already: do not call it missing.
            if topic.id not in ids_by_lang[lang] and f"{lang}/{topic.path.stem}" not in broken:
                line = topic.lines.get("id", 1)
                message = f"topic '{topic.id}' has no {lang} version (content/{lang}/)"
                problems.append(Problem(topic.path, line, message))
        for i, related in enumerate(topic.related):
            if related not in all_ids:
                line = topic.lines.get(f"related[{i}]", topic.lines.get("related", 1))
                problems.append(Problem(topic.path, line, f"related id '{related}' does not exist"))
    # The same question under two topics makes the matcher's choice arbitrary.
    seen: dict[str, tuple[Topic, int]] = {}
    for topic in by_key.values():
        for i, question in enumerate(topic.questions):
            key = fold(question)
            line = topic.lines.get(f"questions[{i}]", 1)
            if key in seen and seen[key][0].id != topic.id:
                other, other_line = seen[key]
                message = (
                    f"question '{question}' is also listed under '{other.id}' "
                    f"({other.path}:{other_line})"
                )
                problems.append(Problem(topic.path, line, message))
            seen.setdefault(key, (topic, line))
    # A question both answered and refused teaches the classifier nothing but doubt.
    for refused in out_of_scope:
        for i, question in enumerate(refused.questions):
            found = seen.get(fold(question))
            if found is not None:
                other, other_line = found
                line = refused.lines.get(f"questions[{i}]", 1)
                message = (
                    f"question '{question}' is out of scope here but an example of "
                    f"'{other.id}' ({other.path}:{other_line})"
                )
                problems.append(Problem(refused.path, line, message))
    return problems


def load_knowledge_base(root: Path | str | None = None) -> KnowledgeBase:
    """Load and validate `root/<lang>/*.md`; raise ContentError listing every problem."""
    root = Path(root) if root is not None else default_content_dir()
    problems: list[Problem] = []
    topics: list[Topic] = []
    out_of_scope: list[OutOfScope] = []
    broken: set[str] = set()
    if not root.is_dir():
        raise ContentError([Problem(root, 0, "content directory does not exist")])
    for lang in LANGS:
        lang_dir = root / lang
        if not lang_dir.is_dir():
            problems.append(Problem(lang_dir, 0, f"missing directory for language '{lang}'"))
            continue
        for path in sorted(lang_dir.glob("*.md")):
            try:
                if path.stem == OUT_OF_SCOPE:
                    out_of_scope.append(parse_out_of_scope(path, lang))
                    continue
                topic = parse_topic(path, lang)
            except ContentError as exc:
                problems.extend(exc.problems)
                broken.add(f"{lang}/{path.stem}")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(path, 1, f"cannot read file: {exc}"))
                broken.add(f"{lang}/{path.stem}")
            else:
                topics.append(topic)
                problems.extend(_template_problems(topic))
                if topic.id != path.stem:  # staff find a topic by its file name
                    message = f"the id '{topic.id}' differs from the file name '{path.name}'"
                    problems.append(Problem(path, topic.lines.get("id", 1), message))
    problems.extend(_cross_problems(topics, broken, out_of_scope))
    if not topics and not problems:
        problems.append(Problem(root, 0, "no topics found"))
    if problems:
        raise ContentError(problems)
    refused = {o.lang: o for o in out_of_scope}
    return KnowledgeBase({(t.lang, t.id): t for t in topics}, root=root, out_of_scope=refused)


def group_by_id(kb: KnowledgeBase) -> dict[str, dict[str, Topic]]:
    """Return {topic id: {lang: topic}}."""
    grouped: dict[str, dict[str, Topic]] = defaultdict(dict)
    for topic in kb:
        grouped[topic.id][topic.lang] = topic
    return dict(grouped)
