"""Command line: run the bot (default), `practice`, `push`, `broadcast`, `bank check`, `backup`, `stats`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot import i18n, texts
from bot.config import ConfigError, Settings, load_settings
from bot.domain.bank import BankError, Level
from bot.domain.interview import Mode
from bot.instance import AlreadyRunning, InstanceLock
from bot.logs import install_excepthooks, redacted_traceback, setup_logging
from bot.storage.db import Database, DatabaseUnavailable
from bot.telegram.startup import TokenRejected

logger = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Flask interview practice bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set); the default")
    practice = sub.add_parser("practice", help="practise in the terminal, no token needed")
    practice.add_argument("--level", choices=[lv.value for lv in Level])
    practice.add_argument("--mode", choices=[Mode.QUIZ.value, Mode.INTERVIEW.value], default=Mode.QUIZ.value)
    push = sub.add_parser("push", help="one round of the daily question push, then exit (cron, catch-up)")
    push.add_argument(
        "--all", action="store_true", dest="everyone", help="every subscriber not served today, whatever their time"
    )
    news = sub.add_parser("broadcast", help="send an HTML announcement to every user once (resumable), then exit")
    news.add_argument("file", type=Path, help="the announcement, in Telegram's HTML")
    news.add_argument("--dry-run", action="store_true", help="check it, print the recipients and a preview; send none")
    bank = sub.add_parser("bank", help="question bank tools")
    bank_sub = bank.add_subparsers(dest="bank_command", required=True)
    bank_sub.add_parser("check", help="validate the bank and print counts")
    bank_sub.add_parser("calibrate", help="questions whose answers disagree with their level")
    reports = sub.add_parser("reports", help="print the open reports of questions (or export them)")
    reports.add_argument("--csv", action="store_true", help="one report per row, as CSV on stdout")
    backup = sub.add_parser("backup", help="write a consistent copy of the database (safe while the bot runs)")
    backup.add_argument("path", type=Path, help="the file to write")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    sub.add_parser("stats", help="print the operator's figures: users, activity, pushes, blocked users")
    grade = sub.add_parser("grade", help="grade an answer read from stdin; print the grade as JSON")
    grade.add_argument("question_id", help="an open question's id (or a follow-up's, <id>/<n>)")
    return parser


def _run_bot(settings: Settings) -> int:
    from bot.telegram.app import ALLOWED_UPDATES, build_application
    from bot.telegram.startup import StopRequested, until_up
    from bot.telegram.webhook import ListenError

    lock = InstanceLock(settings.database_path)
    lock.acquire()
    try:
        # The database is checked before any network wait: a damaged file should stop start-up at once.
        asyncio.run(_check_database(settings))
        if settings.webhook_url is not None:
            return _run_webhook(settings)
        app = build_application(settings)
        # run_polling reuses this loop (get_event_loop), so the bot's HTTP client is made on it once.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            loop.run_until_complete(until_up(app.bot.initialize, "getMe", stop))
        except BaseException as exc:
            loop.run_until_complete(app.bot.shutdown())
            loop.close()
            if isinstance(exc, StopRequested):
                logger.info("stopped before the Bot API answered")
                return 0
            raise
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        try:
            # PTB's polling start-up deletes any webhook, so a restart without WEBHOOK_URL goes back to polling.
            app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False, close_loop=True)
        except ListenError as exc:  # HEALTH_PORT taken
            logger.error("%s", exc)
            return 1
        return 0
    finally:
        lock.release()


async def _check_database(settings: Settings) -> None:
    db = await Database.open(settings.database_path)
    await db.close()


def _run_webhook(settings: Settings) -> int:
    from bot.telegram.app import ALLOWED_UPDATES, build_application
    from bot.telegram.webhook import serve_webhook

    app = build_application(settings, webhook=True)
    return asyncio.run(serve_webhook(app, settings, ALLOWED_UPDATES))


def _backup(settings: Settings, path: Path, force: bool) -> int:
    from bot.cli.backup import run_backup

    return run_backup(settings, path, force)


def _stats(settings: Settings) -> int:
    from bot.cli.stats import run_stats

    return run_stats(settings)


def _practice(settings: Settings, level: str | None, mode: str) -> int:
    from bot.cli.practice import run_practice

    return asyncio.run(run_practice(settings, Level(level) if level else None, Mode(mode)))


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load settings, and run the chosen command."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Invalid configuration: {exc}", file=sys.stderr)
        return 2
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    terminal = args.command in ("practice", "bank", "reports", "backup", "stats", "grade") or (
        args.command is None and settings.telegram_bot_token is None
    )
    # In the terminal the quiz is the output; routine INFO lines would only get in its way.
    level = settings.log_level if not terminal or settings.log_level == "DEBUG" else "WARNING"
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    llm_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    secrets = [s for s in (token, secret, llm_key) if s]
    setup_logging(level, secrets, settings.log_format)
    install_excepthooks(secrets)
    try:
        if args.command == "bank" and args.bank_command == "calibrate":
            from bot.cli.editors import run_calibrate

            return asyncio.run(run_calibrate(settings))
        if args.command == "bank":
            from bot.cli.bank_check import run_bank_check

            return run_bank_check(settings.questions_dir)
        if args.command == "reports":
            from bot.cli.editors import run_reports

            return asyncio.run(run_reports(settings, args.csv))
        if args.command == "push":
            from bot.cli.push import run_push

            return asyncio.run(run_push(settings, args.everyone))
        if args.command == "broadcast":
            from bot.cli.broadcast import run_broadcast

            return asyncio.run(run_broadcast(settings, args.file, args.dry_run))
        if args.command == "backup":
            return _backup(settings, args.path, args.force)
        if args.command == "stats":
            return _stats(settings)
        if args.command == "grade":
            from bot.cli.grade import run_grade

            return asyncio.run(run_grade(settings, args.question_id))
        if args.command == "practice":
            return _practice(settings, args.level, args.mode)
        if settings.telegram_bot_token is None:
            with i18n.use(i18n.from_environment()):
                print(texts.CLI_NO_TOKEN, file=sys.stderr)
            return _practice(settings, None, Mode.QUIZ.value)
        return _run_bot(settings)
    except BankError as exc:
        print(f"The question bank is invalid:\n{exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"DATABASE_PATH: {exc}", file=sys.stderr)
        return 2
    except AlreadyRunning as exc:
        print(
            f"DATABASE_PATH: another bot instance (pid {exc.pid if exc.pid is not None else '?'}) is already "
            f"running on {settings.database_path}; stop it first (lock file {exc.lock_path})",
            file=sys.stderr,
        )
        return 2
    except TokenRejected as exc:
        print(f"Telegram rejected TELEGRAM_BOT_TOKEN ({exc}); check the token from @BotFather", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Unexpected: the traceback helps, but it goes through the same redaction as the logs.
        print(redacted_traceback(exc, secrets), file=sys.stderr, end="")
        return 1


if __name__ == "__main__":
    sys.exit(main())
