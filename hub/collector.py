"""The garbage collector of a serving gateway process: start-up objects frozen, rarer passes.

Without this, a gateway under many concurrent senders answered most requests in a few
milliseconds and one in a hundred after 60-80 ms: every so often CPython's collector made a full
pass over every object the process holds, most of them the modules, the Stripe SDK and the
settings loaded at start-up, which are never garbage. So once the app has started:
- `gc.freeze()` moves everything alive to the permanent generation, which no pass visits;
- the youngest generation is collected every 100,000 net allocations instead of 700, and the
  oldest after 1,000 passes of the middle one instead of 10 (a request allocates a few hundred
  objects and almost all of them are freed by reference counting, not by the collector).

`benchmarks/gateway.py --quick --connections 64`, three runs before and four after: p99 at the
maximum rate 58-85 ms before, 8-11 ms after; at half the maximum rate 57-81 ms before, 7-8 ms
after in three runs and 66 ms in the fourth, so some other stall remains. On shutdown the
defaults come back and the frozen objects are released to the collector.
Only the gateway process started by `revcycle gateway` does this; the demo and the tests, which
run the app inside a process of their own, keep the interpreter's defaults.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

THRESHOLDS: Final = (100_000, 50, 1_000)


@asynccontextmanager
async def serving_collector() -> AsyncIterator[None]:
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
