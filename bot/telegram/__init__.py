"""The Telegram adapter: python-telegram-bot handlers over the core."""

import os

# Opt into python-telegram-bot's timedelta durations now: with the old behaviour, reading
# RetryAfter.retry_after raises a deprecation warning in v22 (an error under strict tests).
os.environ.setdefault("PTB_TIMEDELTA", "true")
