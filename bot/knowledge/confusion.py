"""Warnings from the matcher's point of view: example questions it sends elsewhere, and pairs
of topics whose examples are so close that users will get the wrong one."""

from __future__ import annotations

from bot.knowledge.topics import KnowledgeBase, Problem, Topic
from bot.matching.matcher import Match, Matcher

# A question of topic A whose best other topic B scores within this of A is one rewording
# away from the wrong answer (the matcher itself asks "did you mean" under its margin).
CONFUSABLE_MARGIN = 0.10


def _verdict_message(match: Match, own: float, scores: dict[str, float]) -> str:
    """Say what the matcher does with an example question not answered with its own topic."""
    shown = ", ".join(f"{t} {s:.2f}" for t, s in scores.items()) or "none"
    if match.decision == "answer" and match.topic is not None:
        return f"is answered by '{match.topic}' ({scores[match.topic]:.2f}, this topic {own:.2f})"
    if match.decision == "clarify":
        return f"gets 'did you mean' (this topic {own:.2f}; also {shown})"
    if match.decision == "empty":
        return "has no letters: the bot asks for words instead"
    return f"is refused (this topic {own:.2f}; best others: {shown})"  # unknown, article


def matcher_problems(kb: KnowledgeBase, matcher: Matcher) -> list[Problem]:
    """Run every example question through the matcher: misroutes and confusable pairs."""
    problems: list[Problem] = []
    close: dict[tuple[str, str], list[tuple[float, float, float, Topic, int, str]]] = {}
    examples = [
        (topic, i, question)
        for topic in sorted(kb, key=lambda t: (t.id, t.lang))
        for i, question in enumerate(topic.questions)
    ]
    matches = matcher.match_many([(question, topic.lang) for topic, _i, question in examples])
    for (topic, i, question), match in zip(examples, matches, strict=True):
        line = topic.lines.get(f"questions[{i}]", 1)
        scores = {c.topic: c.score for c in match.candidates}
        own = scores.pop(topic.id, 0.0)
        if match.topic != topic.id:
            message = f"example question '{question}' {_verdict_message(match, own, scores)}"
            problems.append(Problem(topic.path, line, message, "warning"))
        if scores:
            rival, score = max(scores.items(), key=lambda item: item[1])
            if own - score < CONFUSABLE_MARGIN:
                pair = (min(topic.id, rival), max(topic.id, rival))
                close.setdefault(pair, []).append((own - score, own, score, topic, line, question))
    problems += _answered_out_of_scope(kb, matcher)
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


def _answered_out_of_scope(kb: KnowledgeBase, matcher: Matcher) -> list[Problem]:
    """Warn of out-of-scope questions that the matcher answers with a topic all the same."""
    problems = []
    for lang, refused in sorted(kb.out_of_scope.items()):
        matches = matcher.match_many([(question, lang) for question in refused.questions])
        for i, (question, match) in enumerate(zip(refused.questions, matches, strict=True)):
            if match.topic is not None:
                line = refused.lines.get(f"questions[{i}]", 1)
                message = (
                    f"out-of-scope question '{question}' is answered by '{match.topic}' "
                    f"({match.candidates[0].score:.2f})"
                )
                problems.append(Problem(refused.path, line, message, "warning"))
    return problems
