"""Tests for frontmatter: a Markdown document split into its YAML mapping and its body,
with the line of every key, so staff see problems as file:line."""

from __future__ import annotations

import pytest

from bot.knowledge.frontmatter import FrontMatterError, parse_document

DOC = """---
id: alpha
questions:
  - first
  - second
source:
  law: УК РК
  article: 115-1
---


The **answer**.
Second line.
"""


def test_splits_mapping_and_body() -> None:
    doc = parse_document(DOC)
    assert doc.data["id"] == "alpha"
    assert doc.data["questions"] == ["first", "second"]
    assert doc.body == "The **answer**.\nSecond line."


def test_lines_of_keys_items_and_sub_keys() -> None:
    lines = parse_document(DOC).lines
    assert lines["id"] == 2
    assert (lines["questions"], lines["questions[0]"], lines["questions[1]"]) == (3, 4, 5)
    assert (lines["source"], lines["source.law"], lines["source.article"]) == (6, 7, 8)


def test_body_line_skips_blank_lines_after_the_front_matter() -> None:
    assert parse_document(DOC).body_line == 12
    assert parse_document("---\nid: a\n---\nbody\n").body_line == 4


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "must start with '---'"),
        ("id: a\n---\nbody\n", 1, "must start with '---'"),
        ("---\nid: a\nbody\n", 1, "not closed"),
        ("---\n- a\n- b\n---\nbody\n", 2, "must be a YAML mapping"),
        ("---\n---\nbody\n", 2, "must be a YAML mapping"),
        # The line that is wrong, not the one where YAML noticed it.
        ("---\nid: a\ntitle: [unclosed\n---\nbody\n", 3, "invalid YAML"),
        ("---\nid: a\ntitle: [unclosed\ncategory: info\n---\nbody\n", 3, "invalid YAML"),
        ('---\nid: a\ntitle: "unclosed\ncategory: info\n---\nbody\n', 3, "invalid YAML"),
        ("---\nid: a\nsource: {law: УК\ncategory: info\n---\nbody\n", 3, "invalid YAML"),
        ("---\nid: a\ntitle: a: b\ncategory: info\n---\nbody\n", 3, "invalid YAML"),
        ("---\nid: a\nquestions:\n  - a\n - b\n---\nbody\n", 5, "invalid YAML"),
    ],
)
def test_errors_say_where(text: str, line: int, message: str) -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse_document(text)
    assert caught.value.line == line
    assert message in caught.value.message
