"""What the classifier learns from: the knowledge base as (label, text) pairs.

Each topic teaches its example questions, its title, its keywords and the sentences of its
answer (people ask with the answer's words too); content/<lang>/out-of-scope.md teaches the
class OUT_OF_SCOPE.
"""

from __future__ import annotations

import re

from bot.knowledge.topics import KnowledgeBase, Topic
from bot.matching.model import OUT_OF_SCOPE

# Markdown marks, links' targets and template tags carry no words a citizen would type.
_MARKUP = re.compile(r"\{[{%#].*?[}%#]\}|\]\([^)]*\)|https?://\S+|[*_`>#\[\]]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_WORDS = 3  # shorter pieces of an answer (list markers, "102") teach nothing


def answer_sentences(topic: Topic) -> list[str]:
    """Return the sentences of a topic's answer, without Markdown."""
    plain = _MARKUP.sub(" ", topic.body)
    pieces = (" ".join(piece.split()).strip(" -•") for piece in _SENTENCE_END.split(plain))
    return [piece for piece in pieces if len(piece.split()) >= MIN_WORDS]


def questions(kb: KnowledgeBase) -> list[tuple[str, str, str]]:
    """Return every example question as (label, lang, text): what cross-validation holds out."""
    found = [
        (topic.id, topic.lang, question)
        for topic in sorted(kb, key=lambda t: (t.id, t.lang))
        for question in topic.questions
    ]
    for lang in sorted(kb.out_of_scope):
        found.extend((OUT_OF_SCOPE, lang, q) for q in kb.out_of_scope[lang].questions)
    return found


def descriptions(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """Return what describes each topic besides its questions: title, keywords, answer."""
    return [
        (topic.id, text)
        for topic in sorted(kb, key=lambda t: (t.id, t.lang))
        for text in (topic.title, *topic.keywords, *answer_sentences(topic))
    ]


def training_examples(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """Return the (label, text) pairs the classifier learns from, in a stable order."""
    return [(label, text) for label, _lang, text in questions(kb)] + descriptions(kb)
