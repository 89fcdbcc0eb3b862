"""The bot as a process of its own, on simulated time read from a file: for the crash test.

    python -m tests.simulated_bot --db URL --clock-file PATH --sandbox URL [--admin STAFF_ID]

It is :class:`bot.app.BotApp` as ``dingshift run`` starts it, with two differences that let a
test drive it: its clock is :class:`FileClock` (the instant written in ``--clock-file``, read on
every ``now()``, so another process moves time), and instead of waiting for the scheduler's
real-time tick it runs the due work and wakes the outbox sender every 0.05 s (``--tick``),
noting each pass in :func:`pass_file`. The sandbox lives in
the driving process, so it survives this one being killed; ``DINGTALK_OPENAPI_ENDPOINT`` is set
to it before the SDK is imported. SIGTERM stops the bot the ordinary way (``BotApp.stop``);
SIGKILL is what the crash test sends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "dingshift-demo"
CLIENT_SECRET = "demo-secret"
TICK_SECONDS = 0.05


def pass_file(clock_file: Path) -> Path:
    """Where the bot writes ``<pid> <passes> <instant>`` after each due-work pass: which process,
    how many passes it has run, and the simulated instant the last one started at."""
    return clock_file.with_name(clock_file.name + ".passes")


def _write_atomically(path: Path, text: str) -> None:
    staging = path.with_name(path.name + ".new")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)


def read_passes(clock_file: Path) -> tuple[int, int, datetime] | None:
    """What :func:`pass_file` holds (pid, passes, instant), or None before the first pass."""
    try:
        pid, count, instant = pass_file(clock_file).read_text(encoding="utf-8").split()
    except (FileNotFoundError, ValueError):
        return None
    return int(pid), int(count), datetime.fromisoformat(instant)


class FileClock:
    """A clock whose current instant is whatever was last written to ``path`` (ISO 8601).

    Implements :class:`core.clock.Clock`. :meth:`set` replaces the file atomically, so a reader in
    another process sees the old instant or the new one, never half a line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        instant = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        if instant.tzinfo is None:
            raise ValueError(f"{self.path} holds a naive time: {instant}")
        return instant.astimezone(UTC)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FileClock needs a timezone-aware instant")
        _write_atomically(self.path, instant.astimezone(UTC).isoformat())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.simulated_bot")
    parser.add_argument("--db", required=True, help="database URL (already migrated and seeded)")
    parser.add_argument("--clock-file", required=True, type=Path, help="simulated time, ISO 8601")
    parser.add_argument("--sandbox", required=True, help="the sandbox's base URL")
    parser.add_argument("--client-id", default=CLIENT_ID)
    parser.add_argument("--client-secret", default=CLIENT_SECRET)
    parser.add_argument("--card-template-id", default="", help="as registered in the sandbox")
    parser.add_argument("--admin", action="append", default=[], help="org.admins (repeatable)")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--tick", type=float, default=TICK_SECONDS, help="seconds between passes")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    from bot.app import BotApp
    from core.settings import load_settings

    settings = load_settings(
        None,
        dingtalk={
            "client_id": args.client_id,
            "client_secret": args.client_secret,
            "card_template_id": args.card_template_id,
            "api_base": args.sandbox,
        },
        database={"url": args.db},
        org={"admins": args.admin},
        # The scheduler's own tick is not needed: the loop below runs the due work.
        schedule={"tick_seconds": 3600},
        limits={"outbound_per_second": 200, "shutdown_flush_seconds": 1.0},
        demo_mode=True,
    )
    app = BotApp(settings, clock=FileClock(args.clock_file))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.start()
    passes = 0
    try:
        while not stop.is_set():
            started_at = app.clock.now()
            await app.run_due_work()
            passes += 1
            # Tells the driver that a whole pass has run at ``started_at`` (see FileClock).
            marker = f"{os.getpid()} {passes} {started_at.isoformat()}"
            _write_atomically(pass_file(args.clock_file), marker)
            # The sender sleeps until the next retry in real seconds computed from the clock it
            # read; simulated time jumps, so it is woken each tick to look again.
            app.outbox.wake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.tick)
    finally:
        await app.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Before anything imports the SDK, which binds the variable at import time.
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = args.sandbox
    from bot.logs import configure_logging

    configure_logging(args.log_level)
    asyncio.run(_serve(args))
    return 0


class SimulatedBotProcess:
    """Starts, kills and restarts ``python -m tests.simulated_bot``; one process at a time.

    Each incarnation's stderr (the bot's JSON log) goes to its own file under ``log_dir``.
    """

    def __init__(
        self,
        *,
        database_url: str,
        clock_file: Path,
        sandbox_url: str,
        log_dir: Path,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        card_template_id: str = "",
        admins: tuple[str, ...] = (),
        log_level: str = "WARNING",
        tick: float = TICK_SECONDS,
    ) -> None:
        self._argv = [
            sys.executable,
            "-m",
            "tests.simulated_bot",
            "--db",
            database_url,
            "--clock-file",
            str(clock_file),
            "--sandbox",
            sandbox_url,
            "--client-id",
            client_id,
            "--client-secret",
            client_secret,
            "--card-template-id",
            card_template_id,
            "--log-level",
            log_level,
            "--tick",
            str(tick),
            *(part for admin in admins for part in ("--admin", admin)),
        ]
        self._env = {
            **os.environ,
            "DINGTALK_OPENAPI_ENDPOINT": sandbox_url,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        self._log_dir = log_dir
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_files: list[Path] = []

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            raise RuntimeError("the simulated bot is already running")
        self._reap()
        self.starts += 1
        log_file = self._log_dir / f"bot-{self.starts:03d}.log"
        self.log_files.append(log_file)
        with log_file.open("wb") as stderr:
            self._process = subprocess.Popen(
                self._argv, cwd=ROOT, env=self._env, stdout=subprocess.DEVNULL, stderr=stderr
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, nothing is flushed; then reaps the process."""
        process = self._process
        if process is None or process.poll() is not None:
            raise RuntimeError("the simulated bot is not running")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self._process = None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait (the bot's own shutdown); SIGKILL if it does not end in time."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self._process = None
        return process.returncode

    def _reap(self) -> None:
        if self._process is not None:
            self._process.wait(timeout=10)
            self._process = None

    def crashed(self) -> int | None:
        """The exit code if the process ended by itself (not killed by us), else None."""
        process = self._process
        if process is None:
            return None
        return process.poll()

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_files or not self.log_files[-1].exists():
            return ""
        text = self.log_files[-1].read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


if __name__ == "__main__":
    sys.exit(main())
