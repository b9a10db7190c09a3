"""Is this a scam? The signs of fraud in a forwarded or pasted message, channel-free.

`check(text, lang, signs)` lists the signs of `content/fraud-signs.yaml` found in a message;
`reply` words them for the user. The message is never stored, logged or followed: links are
only parsed as text.

The decision (`Findings.fraud`, what `zanbot fraud-check` prints): at least one strong sign
(a request for codes or card data, a look-alike domain, a "safe account", a remote-access app,
passing money through one's own card, a trick to steal an account, a too-good investment), or
at least two different signs of any kind. The user is shown the signs, never a verdict.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import escape
from rapidfuzz import fuzz

from bot.conversation.assistant import Assistant, Button, Reply, menu_button
from bot.conversation.callbacks import ShowTopic, encode
from bot.i18n import _, use_locale
from bot.knowledge.fraudsigns import FraudSigns, Sign
from bot.knowledge.topics import KnowledgeBase
from bot.matching.text import fold

STRONG_ALONE = 1  # one strong sign is enough
SIGNS_NEEDED = 2  # or this many different signs
PASTED_CHARS = 80  # a pasted message with a link or a phone number is at least this long
ASKED_CHARS = 40  # "is this a scam?" with a quote, a new line or a link: at least this long
MAX_HOSTS = 5  # domains shown per sign
PROTECT = "fraud-protect-yourself"
VICTIM = "fraud-victim-steps"

_URL = re.compile(
    r"(?<![\w@.-])(?:(?P<scheme>[a-z]+)://)?"
    r"(?P<host>(?:[\w-]+\.)+(?:[a-z]{2,24}|рф|қаз))(?![\w-])",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<!\d)(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")
_QUOTES = "«»\"“”„'\n"


@dataclass(frozen=True)
class Link:
    host: str
    domain: str  # the registrable domain: the site the link really leads to
    scheme: str


@dataclass(frozen=True)
class Found:
    sign: Sign
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Findings:
    lang: str
    found: tuple[Found, ...]
    links: tuple[Link, ...]

    @property
    def ids(self) -> list[str]:
        return [f.sign.id for f in self.found]

    @property
    def fraud(self) -> bool:
        strong = sum(f.sign.strong for f in self.found)
        return strong >= STRONG_ALONE or len(self.found) >= SIGNS_NEEDED


def registrable(host: str, signs: FraudSigns) -> str:
    """The part of a host name its owner registered: `kaspi-bank.kz.verify-login.com` →
    `verify-login.com`; `kgd.gov.kz` → `kgd.gov.kz` (gov.kz is a second-level zone)."""
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in signs.second_level:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def find_links(text: str, signs: FraudSigns) -> tuple[Link, ...]:
    """The links and bare domain names in a text, in order, each once."""
    text = unicodedata.normalize("NFC", text).casefold()
    links: dict[str, Link] = {}
    for m in _URL.finditer(text):
        host = m["host"].strip(".-")
        scheme = (m["scheme"] or "").lower()
        links.setdefault(f"{scheme}:{host}", Link(host, registrable(host, signs), scheme))
    return tuple(links.values())


def _known(link: Link, signs: FraudSigns) -> bool:
    return any(
        link.host == d or link.host.endswith("." + d) or link.domain == registrable(d, signs)
        for d in signs.known_domains
    )


def _lookalike(link: Link, signs: FraudSigns) -> bool:
    """A host that names a known bank, marketplace or government site but is not it."""
    if _known(link, signs):
        return False
    tokens = fold(link.host).split()
    joined = "".join(tokens)
    for brand in signs.brands:
        if brand in tokens or (len(brand) >= 4 and brand in joined):
            return True
        if len(brand) >= 5 and any(len(t) >= 5 and fuzz.ratio(t, brand) >= 85 for t in tokens):
            return True
    return False


def _link_matches(kind: str, link: Link, signs: FraudSigns) -> bool:
    if kind == "lookalike":
        return _lookalike(link, signs)
    if kind == "shortener":
        return link.domain in signs.shorteners or link.host in signs.shorteners
    if kind == "insecure":
        return link.scheme == "http"
    if kind == "cheap":
        return link.host.rsplit(".", 1)[-1] in signs.cheap_tlds and not _known(link, signs)
    return False


def folded(text: str, signs: FraudSigns) -> str:
    """The folded text without the phrases to ignore (a bank's "never tell anyone the code")."""
    result = fold(text)
    for pattern in signs.ignore:
        result = " ".join(pattern.sub(" ", result).split())
    return result


def check(text: str, lang: str, signs: FraudSigns) -> Findings:
    """Find the signs of fraud in a message; `lang` is the language to answer in."""
    plain = folded(text, signs)
    links = find_links(text, signs)
    found = []
    for sign in signs.signs:
        if sign.links:
            hits = tuple(link for link in links if _link_matches(sign.links, link, signs))
            if hits:
                found.append(Found(sign, hits))
        elif any(p.search(plain) for p in sign.patterns):
            found.append(Found(sign))
    return Findings(lang, tuple(found), links)


def looks_pasted(text: str, signs: FraudSigns | None) -> bool:
    """Tell whether a typed message is a pasted message to check rather than a question:
    a long one (≥ PASTED_CHARS) with a link or a phone number, or one that asks "is this a
    scam?" about a quote, a text on its own line or a link. Short questions ("how do I
    protect myself from fraudsters") go to the matcher."""
    if signs is None:
        return False
    text = text.strip()
    if len(text) >= PASTED_CHARS and (_PHONE.search(text) or find_links(text, signs)):
        return True
    if len(text) < ASKED_CHARS or not any(p.search(fold(text)) for p in signs.ask):
        return False
    return any(q in text for q in _QUOTES) or bool(find_links(text, signs))


def _hosts(found: Found) -> str:
    shown = []
    for link in found.links[:MAX_HOSTS]:
        host = f"<code>{escape(link.host)}</code>"
        if link.domain != link.host and found.sign.links == "lookalike":
            host = str(escape(_("{host} (the site is really {domain})"))).format(
                host=host, domain=f"<code>{escape(link.domain)}</code>"
            )
        shown.append(host)
    return ", ".join(shown)


def reply(findings: Findings, signs: FraudSigns, kb: KnowledgeBase) -> Reply:
    """Word the findings in their language: the signs (not a verdict), what to do, and
    buttons to the topics they point to."""
    lang = findings.lang
    with use_locale(lang):
        if findings.found:
            head = _("Signs of fraud found: {count}").format(count=len(findings.found))
            lines = [f"<b>🔎 {escape(head)}</b>"]
            for f in findings.found:
                label = escape(f.sign.labels.get(lang, f.sign.id))
                lines.append(f"• {label}: {_hosts(f)}" if f.links else f"• {label}")
            if not findings.fraud:
                careful = _("One sign alone proves nothing, but be careful.")
                lines.append(f"\n{escape(careful)}")
            topics = [f.sign.topic for f in findings.found] + [VICTIM]
        else:
            nothing = _(
                "I found no signs of fraud I know of in this message. That does not make it "
                "safe: fraudsters keep inventing new tricks."
            )
            lines = [str(escape(nothing))]
            topics = [PROTECT]
        shown = {link.host for f in findings.found for link in f.links}
        others = [link for link in findings.links if link.host not in shown][:MAX_HOSTS]
        if others:
            hosts = ", ".join(f"<code>{escape(link.host)}</code>" for link in others)
            lines.append("\n" + str(escape(_("Links in the message: {hosts}"))).format(hosts=hosts))
        todo = _("What to do:")
        lines.append(f"\n<b>{escape(todo)}</b> {escape(signs.advice[lang])}")
        kept = _("I did not open the links and I do not keep the message.")
        lines.append(f"\n<i>{escape(kept)}</i>")
        rows: list[tuple[Button, ...]] = []
        for topic_id in dict.fromkeys(topics):
            topic = kb.get(topic_id, lang)
            if topic is not None:
                rows.append((Button(topic.title, encode(ShowTopic(topic.id))),))
        rows.append((menu_button(),))
    return Reply("\n".join(lines), lang, tuple(rows), kind="fraud")


def answer(assistant: Assistant, text: str, lang: str) -> Reply | None:
    """Check a forwarded or pasted message with the assistant's current content and word
    the findings in `lang`; None when the content has no fraud signs (the check is off)."""
    snapshot = assistant.library.snapshot
    if snapshot.fraud is None:
        return None
    return reply(check(text, lang, snapshot.fraud), snapshot.fraud, snapshot.kb)
