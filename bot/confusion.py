"""Warnings from the matcher's point of view: example questions it sends elsewhere, and pairs
of topics whose examples are so close that users will get the wrong one."""

from __future__ import annotations

from bot.content import KnowledgeBase, Problem, Topic
from bot.matcher import Matcher

# A question of topic A whose best other topic B scores within this of A is one rewording
# away from the wrong answer (the matcher itself asks "did you mean" under its margin).
CONFUSABLE_MARGIN = 0.10


def matcher_problems(kb: KnowledgeBase, matcher: Matcher) -> list[Problem]:
    """Run every example question through the matcher: misroutes and confusable pairs."""
    problems: list[Problem] = []
    close: dict[tuple[str, str], list[tuple[float, float, float, Topic, int, str]]] = {}
    for topic in sorted(kb, key=lambda t: (t.id, t.lang)):
        for i, question in enumerate(topic.questions):
            line = topic.lines.get(f"questions[{i}]", 1)
            match = matcher.match(question, lang=topic.lang)
            scores = {c.topic: c.score for c in match.candidates}
            own = scores.pop(topic.id, 0.0)
            shown = ", ".join(f"{t} {s:.2f}" for t, s in scores.items()) or "none"
            if match.decision == "answer" and match.topic != topic.id:
                message = f"is answered by '{match.topic}' ({scores[match.topic]:.2f}, "
                message += f"this topic {own:.2f})"
            elif match.decision == "clarify":
                message = f"gets 'did you mean' (this topic {own:.2f}; also {shown})"
            elif match.decision == "unknown":
                message = f"is refused (this topic {own:.2f}; best others: {shown})"
            elif match.decision == "empty":
                message = "has no letters: the bot asks for words instead"
            else:
                message = ""
            if message:
                message = f"example question '{question}' {message}"
                problems.append(Problem(topic.path, line, message, "warning"))
            if scores:
                rival, score = max(scores.items(), key=lambda item: item[1])
                if own - score < CONFUSABLE_MARGIN:
                    pair = (min(topic.id, rival), max(topic.id, rival))
                    close.setdefault(pair, []).append(
                        (own - score, own, score, topic, line, question)
                    )
    for (a, b), cases in sorted(close.items()):
        _, own, score, topic, line, question = min(cases, key=lambda case: case[0])
        other = b if topic.id == a else a
        message = (
            f"topics '{a}' and '{b}' are easy to confuse: {len(cases)} example question(s) "
            f"score within {CONFUSABLE_MARGIN:.2f} for both, e.g. '{question}' of "
            f"'{topic.id}' scores {own:.2f} for it and {score:.2f} for '{other}'"
        )
        problems.append(Problem(topic.path, line, message, "warning"))
    return problems
