"""Intuit's per-realm limits (500 requests a minute, 10 at once), and how much of them is left."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

from connectors.policy import RateLimiter

_WINDOW_S = 60.0


class RealmThrottle:
    """A `RateLimiter` that also counts, so `check()` can show the headroom."""

    def __init__(
        self,
        per_minute: float = 500,
        concurrency: int = 10,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.concurrency = concurrency
        self._limiter = RateLimiter(
            rate=per_minute, per=_WINDOW_S, concurrency=concurrency, clock=clock, sleep=sleep
        )
        self._clock = clock
        self._lock = threading.Lock()
        self._started: deque[float] = deque()
        self._in_flight = 0

    def __enter__(self) -> RealmThrottle:
        self._limiter.__enter__()
        with self._lock:
            self._started.append(self._clock())
            self._in_flight += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self._in_flight -= 1
        self._limiter.__exit__(kind, exc, tb)

    def used_last_minute(self) -> int:
        with self._lock:
            horizon = self._clock() - _WINDOW_S
            while self._started and self._started[0] <= horizon:
                self._started.popleft()
            return len(self._started)

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def headroom(self) -> str:
        left = max(0, int(self.per_minute) - self.used_last_minute())
        free = self.concurrency - self.in_flight()
        return (
            f"{left}/{int(self.per_minute)} requests left this minute, "
            f"{free}/{self.concurrency} concurrent slots free"
        )
