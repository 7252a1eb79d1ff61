"""Retry policy as data: a table from what the vendor answered to what we do about it.

Each connector declares one `RetryPolicy`: an ordered tuple of `Rule`s matched against a `Signal`
(HTTP status, vendor error code, exception type). The first matching rule gives the `Action`. The
runner (`run_with_policy`) is the only place that sleeps and counts attempts, so the table itself is
pure and is unit-tested as a table.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
    Unreachable,
    network_reason,
)

T = TypeVar("T")


class Action(StrEnum):
    RETRY = "retry"  # back off with jitter, then try again
    RATE_LIMITED = "rate_limited"  # wait Retry-After (or back off), then try again
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - refresh credentials once, then try again
    FAIL = "fail"  # give up: the error is permanent


@dataclass(frozen=True, slots=True)
class Signal:
    """What a failed call told us, in vendor-neutral terms."""

    status: int | None = None
    code: str | None = None
    exception: str | None = None  # exception class name, for network-level failures
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    """Matches when every given field matches; `None` fields match anything."""

    action: Action
    reason: str
    status: int | tuple[int, ...] | range | None = None
    code: str | None = None
    exception: str | None = None

    def matches(self, signal: Signal) -> bool:
        if self.status is not None:
            allowed = (self.status,) if isinstance(self.status, int) else self.status
            if signal.status not in allowed:
                return False
        if self.code is not None and signal.code != self.code:
            return False
        return self.exception is None or signal.exception == self.exception


@dataclass(frozen=True, slots=True)
class Resolution:
    action: Action
    reason: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    rules: tuple[Rule, ...]
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    def resolve(self, signal: Signal) -> Resolution:
        for rule in self.rules:
            if rule.matches(signal):
                return Resolution(rule.action, rule.reason, retry_after_seconds(signal.headers))
        return Resolution(Action.FAIL, "no rule matched")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full-jitter exponential backoff for the `attempt`-th retry (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


# Rules every vendor shares; each connector puts its own vendor-specific rules first.
COMMON_RULES: tuple[Rule, ...] = (
    Rule(Action.RATE_LIMITED, "rate limited (429)", status=429),
    Rule(Action.REFRESH_TOKEN, "unauthorised: refresh the token", status=401),
    Rule(Action.RETRY, "server error", status=range(500, 600)),
    Rule(Action.RETRY, "request timed out", status=408),
    Rule(Action.RETRY, "connection failed", exception="ConnectionError"),
    Rule(Action.RETRY, "timed out", exception="Timeout"),
    Rule(Action.FAIL, "client error", status=range(400, 500)),
)


class Failure(Exception):
    """Raised by a classified call: the `Signal` to resolve and the `ConnectorError` to raise."""

    def __init__(self, signal: Signal, error: ConnectorError) -> None:
        super().__init__(str(error))
        self.signal = signal
        self.error = error


_ATTEMPTS_CAP: ContextVar[int | None] = ContextVar("revcycle_attempts_cap", default=None)


@contextlib.contextmanager
def single_attempt() -> Iterator[None]:
    """Calls made within try once, whatever their policy says: a probe such as `revcycle check`
    reports what it meets now rather than retrying for a minute. A token refresh on a 401 still
    happens. It holds in this context and in what copies it (`asyncio.to_thread`, tasks), not in
    a plain `threading.Thread`."""
    token = _ATTEMPTS_CAP.set(1)
    try:
        yield
    finally:
        _ATTEMPTS_CAP.reset(token)


def network_signal(error: BaseException) -> Signal | None:
    """The signal of a failure that got no answer, read from what lies under `error`."""
    reason = network_reason(error)
    if reason is None:
        return None
    return Signal(exception="Timeout" if reason == "timed out" else "ConnectionError")


def run_with_policy(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    refresh: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, Resolution], None] | None = None,
) -> T:
    """Run `call`, which raises `Failure` on a vendor error, retrying as `policy` says.

    A token is refreshed at most once per call; a second 401 is an `AuthError`. When attempts run
    out, the last error is raised as it is (RateLimited / TransientError keep `retryable=True`, so a
    job can still re-queue itself with `arq.Retry`), except that a connection that failed every
    time is raised as `Unreachable`.
    """
    refreshed = False
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except Failure as failure:
            resolution = policy.resolve(failure.signal)
            error = failure.error
            if resolution.action is Action.FAIL:
                raise _as_permanent(error) from failure
            if resolution.action is Action.REFRESH_TOKEN:
                if refreshed or refresh is None:
                    raise _as_auth(error) from failure
                refreshed = True
                refresh()
                continue
            if attempt >= min(policy.max_attempts, _ATTEMPTS_CAP.get() or policy.max_attempts):
                if failure.signal.exception == "ConnectionError":
                    raise _recast(error, Unreachable) from failure
                # An error raised by our own code underneath keeps the cause it already has.
                raise error from (error.__cause__ or failure)
            delay = policy.backoff(attempt)
            if resolution.action is Action.RATE_LIMITED and resolution.retry_after is not None:
                delay = min(policy.max_delay, resolution.retry_after)
            if on_retry is not None:
                on_retry(attempt, resolution)
            sleep(delay)


def _as_permanent(error: ConnectorError) -> ConnectorError:
    if isinstance(error, (PermanentError, AuthError)):
        return error
    return _recast(error, PermanentError)


def _as_auth(error: ConnectorError) -> AuthError:
    return error if isinstance(error, AuthError) else _recast(error, AuthError)


E = TypeVar("E", bound=ConnectorError)


def _recast(error: ConnectorError, kind: type[E]) -> E:
    """The same vendor error, as another member of the family (the table decided what it is)."""
    return kind(
        error.args[0],
        vendor=error.vendor,
        status=error.status,
        code=error.code,
        request_id=error.request_id,
        detail=error.detail,
    )


class RateLimiter:
    """A thread-safe limiter: at most `rate` calls per `per` seconds and `concurrency` at once.

    Vendors publish these numbers (Stripe 25/s test and 100/s live; QuickBooks 500/min and 10
    concurrent per realm); staying under them is cheaper than being throttled.
    """

    def __init__(
        self,
        rate: float,
        per: float = 1.0,
        concurrency: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = per / rate
        self._next = 0.0
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(concurrency) if concurrency else None
        self._clock = clock
        self._sleep = sleep

    def __enter__(self) -> RateLimiter:
        if self._slots is not None:
            self._slots.acquire()
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._slots is not None:
            self._slots.release()


__all__ = [
    "COMMON_RULES",
    "Action",
    "Failure",
    "RateLimited",
    "RateLimiter",
    "Resolution",
    "RetryPolicy",
    "Rule",
    "Signal",
    "TransientError",
    "run_with_policy",
    "single_attempt",
]
