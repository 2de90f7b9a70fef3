"""Intuit's throttles, per company and app, exactly (section 5).

500 requests a minute, 10 a second, 10 in flight and 40 batch requests a minute for each
(realm, app) pair; past any of them QBO answers 429 with Fault 3001. The windows slide (a
request is admitted only when each window holds fewer admitted requests than its limit), are
kept in real monotonic time and shrink with the emulator's time scale. A refused request
uses no budget. A batch request counts once towards the per-minute and per-second limits
and once towards the batch limit (whether its items count one by one is UNVERIFIED).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from . import _faults
from ._config import EmulatorConfig

__all__ = ["Throttle"]

Key = tuple[str, str]


@dataclass
class _Windows:
    second: deque[float] = field(default_factory=deque)
    minute: deque[float] = field(default_factory=deque)
    batch: deque[float] = field(default_factory=deque)
    in_flight: int = 0


def _wait(window: deque[float], span: float, limit: int, now: float) -> float:
    """Seconds until ``window`` has room for one more request (0 when it has room now)."""
    while window and window[0] <= now - span:
        window.popleft()
    if len(window) < limit:
        return 0.0
    return window[len(window) - limit] + span - now


class Throttle:
    """Admits or refuses data-API requests for each (realm, client_id)."""

    def __init__(
        self, config: Callable[[], EmulatorConfig], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._clock = clock
        self._windows: dict[Key, _Windows] = {}

    def admit(self, key: Key, *, batch: bool = False) -> None:
        """Take one request of budget, or raise the 429 Fault (with a Retry-After)."""
        config = self._config()
        limits = config.limits
        windows = self._windows.setdefault(key, _Windows())
        now = self._clock()
        second, minute = config.scaled(1.0), config.scaled(60.0)
        wait = max(
            _wait(windows.second, second, limits.requests_per_second, now),
            _wait(windows.minute, minute, limits.requests_per_minute, now),
            _wait(windows.batch, minute, limits.batch_per_minute, now) if batch else 0.0,
        )
        if windows.in_flight >= limits.concurrent:
            wait = max(wait, second)
        if wait > 0:
            raise _faults.throttled(retry_after=max(1, math.ceil(wait)))
        windows.second.append(now)
        windows.minute.append(now)
        if batch:
            windows.batch.append(now)
        windows.in_flight += 1

    def release(self, key: Key) -> None:
        """The request admitted under ``key`` has finished."""
        windows = self._windows.get(key)
        if windows is not None and windows.in_flight > 0:
            windows.in_flight -= 1

    def reset(self) -> None:
        self._windows.clear()
