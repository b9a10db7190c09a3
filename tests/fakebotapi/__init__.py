"""A fake Telegram Bot API server for end-to-end tests.

The unmodified bot (a python-telegram-bot ``Application``) talks real HTTP to this aiohttp
server on 127.0.0.1, exactly as it would talk to ``api.telegram.org``::

    async with FakeBotAPI() as api:
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{api.url}/bot")
            .base_file_url(f"{api.url}/file/bot")
            .build()
        )
        ...  # start polling
        alice = api.user(42, first_name="Алия", language_code="kk")
        await api.send_command(alice, "/start")
        [reply] = await api.wait_for(alice.id)
        await api.press(alice, reply, "lang:ru")
        edited = await api.wait_for_edit(alice.id, reply["message_id"])
        assert api.errors == []

What the server does
--------------------
* ``/bot<token>/<method>`` accepts GET and POST with JSON, urlencoded and multipart bodies
  (python-telegram-bot sends form data with JSON-encoded non-string values). Method names are
  case-insensitive, as in Telegram. Unknown methods answer 404 ``Not Found``.
* ``getUpdates`` is real long polling over a queue of updates the test builds with the
  ``send_*``/``press``/``edit_text`` helpers. ``offset`` confirms updates, ``limit`` and
  ``timeout`` are honoured, a second concurrent poll terminates the first one with
  409 ``Conflict`` (as Telegram does), and the server answers ``[]`` to pending polls on shutdown.
* Sent messages are stored per chat (``api.messages(chat_id)``); message ids increase per chat
  and are shared with the user's messages, like in a real private chat.
* Requests are validated like Telegram does (see :func:`validate_telegram_html`,
  :func:`validate_reply_markup`), and every non-ok answer is recorded in ``api.errors`` so that
  a test can finish with ``assert api.errors == []``.
* Optional flood control (``global_rate``/``per_chat_rate``, on the server's ``clock``, which a
  test may replace to pass a rate window without waiting for it), blocked chats
  (``api.block``) and fault injection (``api.fail_next``, ``api.drop_connection_next``).
* What happened is kept for the test to assert on, never how long it took: ``api.polls``
  (each ``getUpdates`` and how it ended), ``api.requests``, ``api.errors``. To wait for a
  condition use ``api.wait_for*`` or :func:`wait_until`, never a fixed sleep.

Stored bot messages (``api.messages``, ``api.wait_for``) are plain dicts::

    {"message_id": 3, "chat_id": 42, "date": 1700000000, "method": "sendMessage",
     "text": "Hello",               # what the user sees: tags removed, entities decoded
     "raw_text": "<b>Hello</b>",    # exactly what the bot sent
     "parse_mode": "HTML", "entities": [{"type": "bold", "offset": 0, "length": 5}],
     "reply_markup": {...} | None, "document": None | {"file_name", "mime_type", "content", ...},
     "photo": None | {"file_id", "width", "height", "content", ...},  # sendPhoto: as uploaded
     "caption": None, "caption_entities": [], "edit_date": None, "edits": 0, "deleted": False,
     "params": {...}}               # the request parameters of the last send/edit

Extending: add a coroutine method decorated with ``@api_method("methodName")`` taking the
parsed ``params`` dict and the uploaded ``files`` dict; return the ``result`` value or raise a
:class:`TelegramAPIError`. Put it in the mixin of its concern (see below), or in a new mixin
added to the bases of :class:`FakeBotAPI`.

Modules
-------
:class:`FakeBotAPI` (defined here) combines mixins over ``core.Core``, which holds the state,
the ``api_method`` registry and the helpers several mixins use:

* ``server``: the aiohttp app, dispatch of requests, error answers, injected faults;
* ``users`` and ``inspection``: the test side, what users do and what the bot did;
* ``updates``: ``getUpdates`` and webhooks; ``messages``: the send methods and ``getFile``;
  ``edits``: edits, deletions and callback answers; ``settings``: ``getMe``, commands and
  descriptions; ``inline``: inline mode (``inline_query``, ``answerInlineQuery``,
  ``chosen_inline_result``).

They use ``errors`` (error answers, limits), ``html`` (Telegram's HTML parser), ``text``
(message texts and captions), ``markup`` (``reply_markup``), ``params`` (request decoding) and
``state`` (the records the server keeps).
"""

from __future__ import annotations

from .core import api_method
from .edits import Edits
from .errors import BadRequest, Conflict, Forbidden, TelegramAPIError, TooManyRequests
from .html import ParsedText, parse_telegram_html, utf16_len
from .inline import Inline
from .inspection import Inspection, wait_until
from .markup import validate_reply_markup
from .messages import Messages
from .params import UploadedFile
from .server import Server
from .settings import BotSettings
from .state import FakeUser, StoredFile
from .text import validate_telegram_html
from .updates import Updates
from .users import UserActions

__all__ = [
    "BadRequest",
    "Conflict",
    "FakeBotAPI",
    "FakeUser",
    "Forbidden",
    "ParsedText",
    "StoredFile",
    "TelegramAPIError",
    "TooManyRequests",
    "UploadedFile",
    "api_method",
    "parse_telegram_html",
    "utf16_len",
    "validate_reply_markup",
    "validate_telegram_html",
    "wait_until",
]


class FakeBotAPI(Server, UserActions, Inspection, Updates, Messages, Edits, BotSettings, Inline):
    """Fake Telegram Bot API server. Use as ``async with FakeBotAPI() as api: ...``.

    Args:
        token: if given, requests with another token get 401 ``Unauthorized``.
        bot_id: the bot's user id; by default the numeric prefix of the token.
        global_rate / per_chat_rate: flood control in messages per second (off when ``None``).
        clock: the monotonic clock (seconds) of flood control; ``time.monotonic`` by default.
        rate_limited_methods: which methods count as messages (default: the send methods).
        strict_html: see :func:`parse_telegram_html`.
        round_trip: seconds every answer is held back after the request is handled, as a
            network round trip to Telegram would delay it (benchmarks; 0: none).
    """
