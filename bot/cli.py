"""``dingshift run | demo | check-config | selftest | status``."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.logs import configure_logging
from core.settings import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    OrgSettings,
    Settings,
    load_settings,
    unknown_environment_variables,
)

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dingshift", description="Volunteer shift scheduling in DingTalk group chats."
    )
    parser.add_argument(
        "--log-level", help="DEBUG, INFO, WARNING (default: INFO; WARNING for the demo)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("run", "connect to DingTalk and serve the configured organisation"),
        ("check-config", "validate the configuration and say what is wrong, if anything"),
        ("selftest", "check the DingTalk setup step by step: token, stream, robot, card, tap"),
        (
            "status",
            "show how the running bot is: stream, tasks, outbox backlog, the month's API usage",
        ),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--config", type=Path, default=DEFAULT_CONFIG_PATH, help="TOML file (config.toml)"
        )
    selftest = commands.choices["selftest"]
    selftest.add_argument(
        "--group",
        help="openConversationId of the group for the test card (default: the first group"
        " that @-mentions the robot while the self-test waits)",
    )
    selftest.add_argument(
        "--wait", type=float, default=120.0, help="seconds to wait for a tap (default: 120)"
    )
    demo = commands.add_parser(
        "demo", help="run the bot against the local DingTalk sandbox and print the chat"
    )
    demo.add_argument(
        "--keep-running", action="store_true", help="leave the sandbox and bot up afterwards"
    )
    demo.add_argument(
        "--start",
        type=_aware_moment,
        help="the demo clock's first moment, ISO 8601 (2026-12-31T10:00; default: now,"
        " Asia/Hong_Kong when no offset is given)",
    )
    return parser


def _aware_moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=OrgSettings().zone)


def checked_settings(path: Path) -> Settings:
    """The settings, after warning about environment variables that would be ignored."""
    for warning in unknown_environment_variables(os.environ):
        print(warning, file=sys.stderr)  # noqa: T201 - shown to the person setting the bot up
    return load_settings(path)


async def show_status(settings: Settings) -> int:
    """Print the health view; 0 when the bot runs, is connected and every task is running."""
    from bot.health import healthy, render_status, status_report
    from core.clock import SystemClock
    from storage.database import create_engine, missing_sqlite_file, session_factory

    missing = missing_sqlite_file(settings.database.url)
    if missing is not None:
        print(  # noqa: T201 - the one line a person needs to see
            f"no database at {missing}: the bot has never run with this config, or it runs in"
            " another working directory (a relative database.url is read from there)",
            file=sys.stderr,
        )
        return 2
    engine = create_engine(settings.database.url)
    try:
        report = await status_report(settings, session_factory(engine), SystemClock())
    except SQLAlchemyError as error:
        # A database the bot has not created or upgraded yet, or one that cannot be reached.
        print(f"cannot read the database: {error}", file=sys.stderr)  # noqa: T201
        return 2
    finally:
        await engine.dispose()
    for line in render_status(report):
        print(line)  # noqa: T201 - the status is for a person at a terminal
    return 0 if healthy(report) else 1


async def serve(settings: Settings) -> None:
    from bot.app import BotApp

    app = BotApp(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "check-config":
        quiet = args.command in ("demo", "selftest", "status")
        configure_logging(args.log_level or ("WARNING" if quiet else "INFO"))
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(keep_running=args.keep_running, start=args.start))
    try:
        settings = checked_settings(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)  # noqa: T201 - the one line a person needs to see
        return 2
    if args.command == "status":
        return asyncio.run(show_status(settings))
    if not settings.dingtalk.card_template_id:
        print(  # noqa: T201 - shown to the person setting the bot up
            "warning: dingtalk.card_template_id is empty: confirm cards cannot be sent"
            " (docs/setup-dingtalk.md §7)",
            file=sys.stderr,
        )
    if args.command == "check-config":
        print(  # noqa: T201
            f"config OK: app {settings.dingtalk.client_id}, robot {settings.dingtalk.robot_code},"
            f" database {make_url(settings.database.url).render_as_string(hide_password=True)},"
            f" time zone {settings.org.timezone}, {len(settings.org.admins)} admin(s)"
        )
        return 0
    if args.command == "selftest":
        from bot.selftest import run_selftest

        report = functools.partial(print, flush=True)  # the operator reads it as it runs
        return asyncio.run(
            run_selftest(settings, group=args.group, wait_seconds=args.wait, out=report)
        )
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
