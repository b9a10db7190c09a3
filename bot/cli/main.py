"""The `zanbot` command line: chat, match, eval, kb dump, content check, preview, report, run."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from bot.cli.broadcast import add_broadcast_parser
from bot.cli.db import add_db_parser
from bot.cli.link import add_link_parser
from bot.cli.options import database_option
from bot.config import Config, ConfigError, settings_help
from bot.i18n import use_locale
from bot.knowledge.library import Library
from bot.knowledge.topics import ContentError
from bot.matching.evaluation import Prediction, evaluate, read_cases

EPILOG = "configuration (environment variables or .env):\n" + settings_help()


def _library(args: argparse.Namespace, config: Config) -> Library:
    """Load the content named by --content (or the configuration); exit with its problems."""
    root = args.content or config.content_dir
    try:
        return Library(root, models=config.model_dir)
    except ContentError as exc:
        print("\n".join(str(p) for p in exc.problems), file=sys.stderr)
        print(f"content is invalid: {len(exc.problems)} problem(s)", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.chat import run_chat
    from bot.conversation.assistant import Assistant

    assistant = Assistant(_library(args, config), subscriptions=True, operator=config.operator)
    asyncio.run(
        run_chat(
            assistant,
            lang=args.lang,
            stdin=sys.stdin,
            stdout=sys.stdout,
            bot_username=config.bot_username,
        )
    )
    return 0


def _question(raw: bytes) -> str:
    """Return the "text" of one JSON line; raise ValueError saying what is wrong with it."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ValueError('expected a JSON object with a "text" string')
    # JSON may carry lone surrogates ("\\ud800"), which no UTF-8 output can hold: replace them.
    return data["text"].encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _answer_lines(answer: Callable[[str], dict[str, object]]) -> int:
    """Answer each JSON line {"text": ...} of stdin with one JSON line; a bad line gets
    {"error", "line"} (and a note on stderr) and the rest go on."""
    out = sys.stdout
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        if not raw.strip():
            continue
        try:
            row = answer(_question(raw))
        except Exception as exc:  # one bad line must not end a long batch: report, go on
            print(f"stdin:{number}: {exc}", file=sys.stderr)
            print(json.dumps({"error": str(exc), "line": number}), file=out, flush=True)
            continue
        print(json.dumps(row, ensure_ascii=False), file=out, flush=True)
    return 0


def cmd_match(args: argparse.Namespace, config: Config) -> int:
    matcher = _library(args, config).matcher

    def answer(text: str) -> dict[str, object]:
        match = matcher.match(text)
        candidates = [{"topic": c.topic, "score": c.score} for c in match.candidates]
        row = {"text": text, "lang": match.lang, "topic": match.topic, "candidates": candidates}
        if match.article is not None:
            row["article"] = {"code": match.article.code, "number": match.article.number}
        return row

    return _answer_lines(answer)


def cmd_fraud_check(args: argparse.Namespace, config: Config) -> int:
    from bot.conversation.fraud import check

    snapshot = _library(args, config).snapshot
    if snapshot.fraud is None:
        print("zanbot: no fraud-signs.yaml in the content: the fraud check is off", file=sys.stderr)
        return 1
    signs, detector = snapshot.fraud, snapshot.matcher.detector

    def answer(text: str) -> dict[str, object]:
        findings = check(text, detector.detect(text), signs)
        return {"text": text, "lang": findings.lang, "fraud": findings.fraud,
                "signs": findings.ids}  # fmt: skip

    return _answer_lines(answer)


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    matcher = _library(args, config).matcher

    def predict(text: str) -> Prediction:
        match = matcher.match(text)
        best = matcher.rank(text, limit=1)[0] if matcher.topics else None
        topic, score = (best.topic, best.score) if best else (None, 0.0)
        return Prediction(match.topic, match.lang, match.decision, topic, score)

    report = evaluate(read_cases(args.file), predict)
    print(report.format(show_misses=not args.quiet))
    return 0


def cmd_kb_dump(args: argparse.Namespace, config: Config) -> int:
    kb = _library(args, config).kb
    for topic in sorted(kb, key=lambda t: (t.id, t.lang)):
        row = {
            "id": topic.id,
            "lang": topic.lang,
            "title": topic.title,
            "category": topic.category,
            "questions": list(topic.questions),
        }
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_content_check(args: argparse.Namespace, config: Config) -> int:
    from bot.knowledge.checks import check_content
    from bot.matching.store import ModelStore

    root = args.content or config.content_dir
    store = ModelStore(config.model_dir)  # the bot starts at once on content checked here
    return check_content(root, output=args.format, stream=sys.stdout, store=store)


def cmd_preview(args: argparse.Namespace, config: Config) -> int:
    from rapidfuzz import process

    from bot.conversation.assistant import Assistant

    library = _library(args, config)
    if library.kb.get(args.topic, args.lang) is None:
        close = process.extract(args.topic, library.kb.ids(), limit=3, score_cutoff=60)
        hint = f"; did you mean: {', '.join(c[0] for c in close)}?" if close else ""
        print(f"unknown topic '{args.topic}'{hint}", file=sys.stderr)
        return 1
    reply = Assistant(library).topic(args.topic, args.lang)
    parts = reply.parts
    for number, part in enumerate(parts, start=1):
        print(f"--- message {number}/{len(parts)} (HTML, {len(part)} characters) ---\n{part}")
    print(f"--- plain text ---\n{reply.text}\n--- buttons ---")
    for row in reply.buttons:
        print(" | ".join(f"[{button.text}] {button.data}" for button in row))
    return 0


def _day(text: str) -> date:
    """Parse a YYYY-MM-DD argument."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def cmd_report(args: argparse.Namespace, config: Config) -> int:

    from bot.knowledge.report import (
        UsageReport,
        build_report,
        format_report_csv,
        format_report_text,
        period,
    )
    from bot.storage.factory import database_exists, shown, storage_for

    today = datetime.now(UTC).date()  # the database counts UTC days
    try:
        since, until = period(today=today, since=args.since, until=args.until, days=args.days)
    except ValueError as exc:
        print(f"zanbot report: {exc}", file=sys.stderr)
        return 2
    database = args.database or config.database
    if not database_exists(database):  # opening would create an empty one and report nothing
        print(f"database {shown(database)} does not exist (see --database, ZANBOT_DATABASE)",
              file=sys.stderr)  # fmt: skip
        return 1
    library = _library(args, config)

    async def collect() -> UsageReport:
        async with storage_for(database) as storage:
            return await build_report(storage, library, since=since, until=until)

    report = asyncio.run(collect())
    if args.format == "csv":
        sys.stdout.write(format_report_csv(report))
    else:
        with use_locale(args.lang):
            print(format_report_text(report))
    if args.chart is not None:
        from bot.knowledge.chart import draw_chart

        with use_locale(args.lang):
            args.chart.write_bytes(draw_chart(report))
        print(f"chart written to {args.chart}", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    if not config.token:
        print("TELEGRAM_BOT_TOKEN is not set: use `zanbot chat` for the terminal chat.",
              file=sys.stderr)  # fmt: skip
        return 2
    # Until the bot takes over SIGTERM, nothing is in flight: a stop while the model loads
    # or trains (a service restarted at once) ends the process cleanly.
    signal.signal(signal.SIGTERM, _stop_before_start)
    from bot.telegram.app import run_bot

    return run_bot(config, _library(args, config), webhook_url=args.webhook)


def _stop_before_start(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zanbot",
        description="Zanbot: a Russian/Kazakh legal-awareness chatbot. With no command it runs "
        "the Telegram bot when TELEGRAM_BOT_TOKEN is set, otherwise the terminal chat.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command")
    content = argparse.ArgumentParser(add_help=False)
    content.add_argument("--content", type=Path, help="content directory (default: bundled)")

    p = sub.add_parser("chat", parents=[content], help="talk to the bot in the terminal")
    p.add_argument("--lang", choices=("ru", "kk"), help="skip the language question")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("match", parents=[content], help='match JSON lines {"text": ...} from stdin')
    p.set_defaults(func=cmd_match)
    help_ = 'signs of fraud in JSON lines {"text": ...} from stdin'
    p = sub.add_parser("fraud-check", parents=[content], help=help_)
    p.set_defaults(func=cmd_fraud_check)
    p = sub.add_parser("eval", parents=[content], help="measure the matcher on a TSV file")
    p.add_argument("file", type=Path)
    p.add_argument("--quiet", action="store_true", help="do not list the misses")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = p.add_subparsers(dest="kb_command", required=True)
    d = kb_sub.add_parser("dump", parents=[content], help="print topics as JSON lines")
    d.set_defaults(func=cmd_kb_dump)
    p = sub.add_parser("content", help="content tools for staff")
    c_sub = p.add_subparsers(dest="content_command", required=True)
    c = c_sub.add_parser("check", parents=[content], help="validate the content")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=cmd_content_check)
    p = sub.add_parser("preview", parents=[content], help="show a topic as Telegram users see it")
    p.add_argument("topic", metavar="TOPIC_ID")
    p.add_argument("--lang", choices=("ru", "kk"), default="ru")
    p.set_defaults(func=cmd_preview)
    p = sub.add_parser(
        "report", parents=[content, database_option()], help="usage report from the database"
    )
    p.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first day (UTC)")
    p.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day (default: today)")
    p.add_argument("--days", type=int, default=30, help="days up to --until (default: 30)")
    p.add_argument("--format", choices=("text", "csv"), default="text")
    p.add_argument("--lang", choices=("en", "ru", "kk"), default="en",
                   help="language of the text report and the chart")  # fmt: skip
    p.add_argument("--chart", type=Path, metavar="FILE.png",
                   help="also draw the report as a chart: questions per day, share answered, "
                   "top topics")  # fmt: skip
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("run", parents=[content], help="run the Telegram bot")
    p.add_argument("--webhook", metavar="URL", help="run a webhook server for this public URL")
    p.set_defaults(func=cmd_run)
    add_link_parser(sub, parents=[content])
    add_broadcast_parser(sub)
    add_db_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`zanbot eval … | head`): stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = Config.load()
    except ConfigError as exc:
        print(f"zanbot: {exc}", file=sys.stderr)
        return 2
    if args.command is None:
        args.content, args.webhook, args.lang = None, None, None
        return cmd_run(args, config) if config.token else cmd_chat(args, config)
    return int(args.func(args, config))
