"""Scripted failures, so tests can exercise the bot's retry and timeout paths on demand."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass

# DingTalk reports QPS throttling as HTTP 403 with this code, not as 429.
QPS_LIMIT_CODE = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
_DEFAULT_CODES = {
    400: "InvalidParameter",
    401: "InvalidAuthentication",
    403: QPS_LIMIT_CODE,
    503: "ServiceUnavailable",
}


@dataclass(frozen=True)
class Fault:
    """What to do to one request: wait `delay` seconds, then fail with `status` if it is set."""

    delay: float = 0.0
    status: int | None = None
    code: str = ""
    reason: str = ""


@dataclass
class _FailRule:
    prefix: str
    status: int
    code: str
    remaining: int


@dataclass
class _RandomRule:
    prefix: str
    rate: float
    statuses: tuple[int, ...]
    rng: random.Random


@dataclass
class _HangRule:
    prefix: str
    seconds: float


class FaultPlan:
    """Failure rules matched by path prefix; the first `fail_next` rule that matches wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fail_rules: list[_FailRule] = []
        self._random_rules: list[_RandomRule] = []
        self._hang_rules: list[_HangRule] = []
        self._webhook_errcodes: list[tuple[int, str]] = []
        self._failing_spaces: dict[str, int] = {}

    def clear(self) -> None:
        with self._lock:
            self._failing_spaces.clear()
            self._fail_rules.clear()
            self._random_rules.clear()
            self._hang_rules.clear()
            self._webhook_errcodes.clear()

    def fail_next(self, prefix: str, status: int, count: int, code: str | None) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        rule = _FailRule(prefix, status, code or _default_code(status), count)
        with self._lock:
            self._fail_rules.append(rule)

    def fail_randomly(self, prefix: str, rate: float, statuses: Sequence[int], seed: int) -> None:
        """Replaces any earlier random rule for the same prefix, so rate=0 switches it off."""
        if not 0.0 <= rate <= 1.0 or not statuses:
            raise ValueError("rate must be within [0, 1] and statuses must not be empty")
        rule = _RandomRule(prefix, rate, tuple(statuses), random.Random(seed))
        with self._lock:
            self._random_rules = [r for r in self._random_rules if r.prefix != prefix]
            self._random_rules.append(rule)

    def hang_next(self, prefix: str, seconds: float) -> None:
        with self._lock:
            self._hang_rules.append(_HangRule(prefix, seconds))

    def webhook_errcode_next(self, errcode: int, errmsg: str) -> None:
        with self._lock:
            self._webhook_errcodes.append((errcode, errmsg))

    def take(self, path: str) -> Fault:
        """Consumes the rules that apply to one request to `path`."""
        with self._lock:
            delay = 0.0
            hang = next((r for r in self._hang_rules if path.startswith(r.prefix)), None)
            if hang is not None:
                self._hang_rules.remove(hang)
                delay = hang.seconds
            fail = next((r for r in self._fail_rules if path.startswith(r.prefix)), None)
            if fail is not None:
                fail.remaining -= 1
                if fail.remaining <= 0:
                    self._fail_rules.remove(fail)
                return Fault(delay, fail.status, fail.code, "injected by fail_next")
            for rule in self._random_rules:
                if path.startswith(rule.prefix) and rule.rng.random() < rule.rate:
                    status = rule.rng.choice(rule.statuses)
                    return Fault(delay, status, _default_code(status), "injected by fail_randomly")
            return Fault(delay)

    def fail_space_next(self, space_id: str, count: int) -> None:
        """The next ``count`` card deliveries into ``space_id`` (a staffId's IM_ROBOT chat or a
        group's openConversationId) fail in ``deliverResults``; the call itself succeeds."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failing_spaces[space_id] = self._failing_spaces.get(space_id, 0) + count

    def take_space_failure(self, space_id: str) -> bool:
        with self._lock:
            remaining = self._failing_spaces.get(space_id, 0)
            if remaining <= 0:
                return False
            self._failing_spaces[space_id] = remaining - 1
            return True

    def take_webhook_errcode(self) -> tuple[int, str] | None:
        with self._lock:
            return self._webhook_errcodes.pop(0) if self._webhook_errcodes else None


def _default_code(status: int) -> str:
    return _DEFAULT_CODES.get(status, "InternalError")
