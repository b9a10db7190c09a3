"""Telegram's HTML subset: the tags it allows, and a validator that says what it would reject."""

from __future__ import annotations

from html.parser import HTMLParser

TELEGRAM_TAGS = frozenset(
    ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
     "blockquote", "tg-spoiler", "span")
)  # fmt: skip
_ENTITIES = frozenset(("lt", "gt", "amp", "quot"))


class _TelegramHTML(HTMLParser):
    """Collect what Telegram's HTML parser would reject: unknown tags, bad nesting, raw <>&."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.errors.append(f"tag <{tag}> is not allowed in Telegram HTML")
        elif tag == "a" and not dict(attrs).get("href"):
            self.errors.append("link <a> without href")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing tag <{tag}/> is not allowed in Telegram HTML")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
            return
        opened = f"<{self.stack[-1]}>" if self.stack else "nothing"
        self.errors.append(f"</{tag}> closes {opened}: tags are not nested properly")
        if tag in self.stack:  # drop just this tag, so one mistake is reported once
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag)]

    def handle_entityref(self, name: str) -> None:
        if name not in _ENTITIES:
            self.errors.append(f"entity &{name}; is not supported by Telegram")

    def handle_data(self, data: str) -> None:
        if any(ch in data for ch in "<>&"):
            self.errors.append("unescaped <, > or & in the text")


def validate_html(text: str) -> list[str]:
    """Return why Telegram would reject this HTML (empty when it is fine)."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    errors = parser.errors + [f"<{tag}> is not closed" for tag in parser.stack]
    return list(dict.fromkeys(errors))
