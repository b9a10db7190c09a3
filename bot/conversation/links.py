"""Links into the bot for posters: a topic's deep link, its QR code, and the help for a topic
id the knowledge base does not have. Shown by `zanbot link` and the admins' /link.

A deep link `https://t.me/<bot>?start=<topic id>` opens the bot and sends it `/start <topic
id>`, which answers with the topic in the user's language. Telegram allows A-Z, a-z, 0-9, _
and - in that parameter, at most 64 of them; topic ids are checked to fit when the content
loads (bot/knowledge/topics.py), so they go into the link as they are.
"""

from __future__ import annotations

import io
import math
import re

import segno
from markupsafe import escape
from rapidfuzz import process

from bot.i18n import _
from bot.knowledge.topics import KnowledgeBase

START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Telegram's rule for /start payloads
QR_PIXELS = 1000  # at least this wide: about 8 cm printed at 300 dpi, readable across a room
QR_BORDER = 4  # modules of white around the code, the quiet zone the standard asks for
QR_KINDS = ("png", "svg")
MAX_SHOWN_ID = 64  # characters of an unknown id repeated back: no topic id is longer


def deep_link(username: str, topic_id: str) -> str:
    """Return the link that opens the bot (@username, without the @) on this topic."""
    if not START_PARAMETER.fullmatch(topic_id):
        raise ValueError(f"topic id {topic_id!r} cannot be a start parameter")
    return f"https://t.me/{username}?start={topic_id}"


def qr_code(link: str, *, kind: str = "png") -> bytes:
    """Draw the link as a QR code for print: a PNG at least QR_PIXELS wide, or an SVG."""
    if kind not in QR_KINDS:
        raise ValueError(f"unknown image kind {kind!r}; expected one of {', '.join(QR_KINDS)}")
    # Error correction level Q restores a quarter of the code: a poster gets dirty and torn.
    code = segno.make(link, error="q", micro=False)
    width = code.symbol_size(scale=1, border=QR_BORDER)[0]
    out = io.BytesIO()
    code.save(out, kind=kind, scale=math.ceil(QR_PIXELS / width), border=QR_BORDER)
    return out.getvalue()


def similar_ids(topic_id: str, kb: KnowledgeBase, *, limit: int = 3) -> list[str]:
    """Return the topic ids that look like a mistyped one, closest first."""
    # Ids are lower case; a typed "UK-115" should still find them.
    found = process.extract(topic_id.lower(), kb.ids(), limit=limit, score_cutoff=60)
    return [match[0] for match in found]


def unknown_topic_html(topic_id: str, kb: KnowledgeBase) -> str:
    """Say, as HTML in the current locale, that there is no such topic and how to find ids."""
    shown = topic_id if len(topic_id) <= MAX_SHOWN_ID else topic_id[: MAX_SHOWN_ID - 1] + "…"
    lines = [_("There is no topic with the id {id}.").format(id=shown)]
    if close := similar_ids(topic_id, kb):
        lines.append(_("Did you mean: {ids}?").format(ids=", ".join(close)))
    lines.append(_("Send /link without an id for the list of topics and their ids."))
    return "\n".join(str(escape(line)) for line in lines)


def topic_list_html(kb: KnowledgeBase, lang: str) -> str:
    """List every topic's id and title, as HTML in the current locale, for /link."""
    head = _("Topic ids for /link (a topic's id is its file name in content/ru and content/kk):")
    lines = [f"<b>{escape(head)}</b>"]
    lines += [f"<code>{escape(t.id)}</code> — {escape(t.title)}" for t in kb.in_lang(lang)]
    example = _("For example: /link {id}").format(id=kb.ids()[0] if kb.ids() else "topic-id")
    lines.append(str(escape(example)))
    return "\n".join(lines)


def link_caption_html(title: str, link: str) -> str:
    """Caption the QR code with the topic's title and the link, as HTML in the current locale."""
    note = _("Print this QR code on a poster: scanning it opens this topic in the bot.")
    return f"<b>{escape(title)}</b>\n{escape(link)}\n\n{escape(note)}"
