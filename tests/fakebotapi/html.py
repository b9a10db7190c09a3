"""Telegram's HTML subset, parsed the way Telegram (TDLib ``parse_html``) parses it.

The result is the text the user sees plus Telegram-shaped entities with UTF-16 offsets;
stripping and length limits are applied on top of it by :mod:`fakebotapi.text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import BadRequest


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class ParsedText:
    """Text as the user sees it, with Telegram-shaped entities (UTF-16 offsets)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


_SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "tg-spoiler", "span", "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_HTML_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "tonsite", "mailto"})


def _is_space(c: int) -> bool:
    # TDLib's is_space(): the NUL sentinel at the end of the text counts as a space.
    return c in (0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x00)


def _decode_html_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """Decode ``&lt; &gt; &amp; &quot; &#NN; &#xNN;`` at ``pos`` (the ``;`` is optional).

    Returns the character and the position after the entity, or ``None`` (TDLib's rules).
    """
    n = len(data)
    end = pos + 1
    if end < n and data[end] == 0x23:  # '#'
        end += 1
        value = 0
        if end < n and data[end] == 0x78:  # 'x'
            end += 1
            start = end
            while end < n and chr(data[end]) in "0123456789abcdefABCDEF":
                end += 1
            if end > start:
                value = int(data[start:end], 16)
        else:
            start = end
            while end < n and 0x30 <= data[end] <= 0x39:
                end += 1
            if end > start:
                value = int(data[start:end])
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        start = end
        while end < n and (0x41 <= data[end] <= 0x5A or 0x61 <= data[end] <= 0x7A):
            end += 1
        decoded = _NAMED_HTML_ENTITIES.get(data[start:end])
        if decoded is None:
            return None
        char = decoded
    if end < n and data[end] == 0x3B:  # ';'
        end += 1
    return char, end


def _check_link(url: str) -> str | None:
    """A usable link target (schemeless hosts get ``http://``), or ``None``."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    if "://" not in url and not url.lower().startswith(("mailto:", "tg:")):
        url = f"http://{url}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _LINK_SCHEMES:
        return None
    if scheme in ("http", "https") and ("." not in parts.netloc and parts.netloc != "localhost"):
        return None
    if scheme == "mailto" and "@" not in parts.path:
        return None
    return url


def _link_entity(url: str, offset: int, length: int) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme.lower() == "tg" and parts.netloc.lower() == "user":
        ids = parse_qs(parts.query).get("id", [""])
        if ids[0].isdigit():
            user = {"id": int(ids[0]), "is_bot": False, "first_name": ""}
            return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


@dataclass
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    byte_offset: int
    utf16_offset: int


def parse_telegram_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram's HTML subset the way Telegram (TDLib ``parse_html``) does.

    Raises :class:`BadRequest` with Telegram's ``can't parse entities: ...`` descriptions;
    byte offsets are UTF-8 byte offsets into ``text``. Does not strip or length-check the
    result (see :func:`validate_telegram_html`).

    ``strict=True`` (the default) is stricter than Telegram in ways that catch real bot bugs
    which Telegram would silently render wrong:

    * a ``&`` that does not start ``&lt; &gt; &amp; &quot; &#NN; &#xNN;`` is an error
      (Telegram keeps it literally, so ``&nbsp;`` shows up as ``&nbsp;`` to the user);
    * ``<a>`` must have a non-empty, valid ``href`` (Telegram silently drops the link).
    """
    data = text.encode("utf-8")
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < n:
        c = data[i]
        if c == 0x26:  # '&'
            decoded = _decode_html_entity(data, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                utf16 += utf16_len(char)
                continue
            if strict:
                word = re.match(rb"&#?[0-9A-Za-z]*;?", data[i:])
                shown = word.group().decode() if word and len(word.group()) > 1 else "&"
                raise BadRequest(
                    f'can\'t parse entities: Unsupported HTML entity "{shown}" at byte offset '
                    f'{i}; escape a literal "&" as "&amp;"'
                )
        if c != 0x3C:  # not '<': copy a whole UTF-8 character
            size = 1 if c < 0x80 else 2 if c < 0xE0 else 3 if c < 0xF0 else 4
            char = data[i : i + size].decode("utf-8")
            out.append(char)
            utf16 += utf16_len(char)
            i += size
            continue

        begin = i
        i += 1
        if at(i) != 0x2F:  # start tag
            while not _is_space(at(i)) and at(i) != 0x3E:
                i += 1
            if at(i) == 0:
                raise BadRequest(f"can't parse entities: Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].lower().decode("utf-8", "replace")
            if tag not in _SUPPORTED_TAGS:
                raise BadRequest(
                    f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {begin}'
                )
            argument = ""
            has_href = False
            expandable = False
            while at(i) != 0x3E:
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == 0x3E:
                    break
                attr_begin = i
                while not _is_space(at(i)) and at(i) not in (0x3D, 0x3E):
                    i += 1
                attr_name = data[attr_begin:i]
                if not attr_name:
                    raise BadRequest(
                        f'can\'t parse entities: Empty attribute name in the tag "{tag}" at byte '
                        f"offset {begin}"
                    )
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) != 0x3D:  # '='
                    if tag == "blockquote" and attr_name == b"expandable":
                        expandable = True
                        continue
                    raise BadRequest(
                        "can't parse entities: Expected equal sign in declaration of an attribute "
                        f'of the tag "{tag}" at byte offset {begin}'
                    )
                i += 1
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == 0:
                    raise BadRequest(
                        f'can\'t parse entities: Unclosed start tag "{tag}" at byte offset {begin}'
                    )
                if at(i) not in (0x22, 0x27):  # unquoted name token
                    token_begin = i
                    while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in (0x2E, 0x2D)):
                        i += 1
                    value = data[token_begin:i].lower().decode()
                    if not _is_space(at(i)) and at(i) != 0x3E:
                        raise BadRequest(
                            "can't parse entities: Unexpected end of name token at byte offset "
                            f"{token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while at(i) != quote and at(i) != 0:
                        if at(i) == 0x26:
                            decoded = _decode_html_entity(data, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_end = i + 1
                        while value_end < n and data[value_end] & 0xC0 == 0x80:
                            value_end += 1
                        chars.append(data[i:value_end].decode("utf-8"))
                        i = value_end
                    if at(i) != quote:
                        raise BadRequest(
                            f"can't parse entities: Unclosed start tag at byte offset {begin}"
                        )
                    i += 1
                    value = "".join(chars)
                if tag == "a" and attr_name == b"href":
                    argument, has_href = value, True
                elif tag == "code" and attr_name == b"class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == b"class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == b"emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise BadRequest(
                    f'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte '
                    f"offset {begin}"
                )
            if strict and tag == "a" and (not has_href or _check_link(argument) is None):
                problem = "a valid" if has_href else "an"
                raise BadRequest(
                    f'can\'t parse entities: Tag "a" must have {problem} "href" attribute at byte '
                    f"offset {begin}"
                )
            stack.append(_OpenTag(tag, argument, expandable, begin, utf16))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise BadRequest(f"can't parse entities: Unexpected end tag at byte offset {begin}")
        while not _is_space(at(i)) and at(i) != 0x3E:
            i += 1
        end_name = data[begin + 2 : i].lower().decode("utf-8", "replace")
        while at(i) != 0 and _is_space(at(i)):
            i += 1
        if at(i) != 0x3E:
            raise BadRequest(f"can't parse entities: Unclosed end tag at byte offset {begin}")
        i += 1
        open_tag = stack.pop()
        if end_name and end_name != open_tag.name:
            raise BadRequest(
                f"can't parse entities: Unmatched end tag at byte offset {begin}, expected "
                f'"</{open_tag.name}>", found "</{end_name}>"'
            )
        if open_tag.name == "tg-emoji" and not (
            open_tag.argument.isdigit() and int(open_tag.argument) > 0
        ):
            raise BadRequest("can't parse entities: Invalid custom emoji identifier specified")
        length = utf16 - open_tag.utf16_offset
        if length <= 0:
            continue
        offset = open_tag.utf16_offset
        name = open_tag.name
        if name in _SIMPLE_TAG_TYPES:
            entities.append({"type": _SIMPLE_TAG_TYPES[name], "offset": offset, "length": length})
        elif name == "a":
            url = open_tag.argument or "".join(out)[-length:]
            link = _check_link(url)
            if link is not None:
                entities.append(_link_entity(link, offset, length))
        elif name == "code":
            entities.append({"type": "code", "offset": offset, "length": length})
            if open_tag.argument:
                entities[-1]["language"] = open_tag.argument
        elif name == "pre":
            entity: dict[str, Any] = {"type": "pre", "offset": offset, "length": length}
            last = entities[-1] if entities else None
            same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
            if last is not None and same_span and last["type"] == "code":
                entities.pop()  # <pre><code class="language-x">: one pre entity
                if "language" in last:
                    entity["language"] = last["language"]
            entities.append(entity)
        elif name == "blockquote":
            kind = "expandable_blockquote" if open_tag.expandable else "blockquote"
            entities.append({"type": kind, "offset": offset, "length": length})
        elif name == "tg-emoji":
            entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": open_tag.argument,
                }
            )
    if stack:
        raise BadRequest(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].name}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)
