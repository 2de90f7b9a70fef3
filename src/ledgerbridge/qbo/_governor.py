"""The rate governor: keeps every realm's traffic inside Intuit's throttles (reference §5).

Intuit throttles each (realm, app) pair with sliding windows (``QBO-REFERENCE.md`` section 5;
section 13.1 for the engine's side) and answers 429 / Fault 3001 past any of them:

==========  =======  ===============================================================
window      default  what it holds
==========  =======  ===============================================================
``minute``  500      every request of the last 60 s
``second``  10       every request of the last 1 s
``batch``   40       batch requests of the last 60 s (a batch request also counts
                     once in ``minute`` and ``second``, as Intuit and the emulator count)
in flight   10       requests sent and not yet answered
==========  =======  ===============================================================

:class:`Governor` implements the QBO client's ``RequestGate``: ``async with
governor.slot(realm_id)`` returns once one more request fits every limit, and holds one of
the realm's in-flight places (an :class:`asyncio.Semaphore`) for the block. A request first
waits for room in the windows and only then for an in-flight place, so that requests waiting
for the minute (or the batch budget) never hold the places of requests that could go. It
never refuses for being busy: it sleeps, for a time computed from the windows' state (the
moment their oldest entry leaves them), so waiting costs no CPU. Once it holds its in-flight
place, one task per realm and kind (plain or batch) does the final check and claims the room
while the others queue behind it in order.

The windows are ``limits`` moving windows (:class:`MovingWindowRateLimiter`): a request fits
when each window holds fewer requests than its limit, the rule Intuit and the emulator apply.
Each request is entered in them (``hit``) when its block EXITS, stamped with the moment its
answer was in; while it runs it counts as inside every window (admission tests each window for
``1 + running`` places). The server counts a request when it arrives, which is after the
governor admitted it and before its answer came back; a window kept by admission times would
be fooled by the varying delay in between (event-loop turns, storage round trips, the
network): measured in-process, 0.1 to 3 ms, now and then 30 ms, enough for about one 429 per
hundred requests at the full budget of a 16.7 ms window (the emulator's 1 s window at time
scale 60). Stamped this way, a request admitted at ``t`` has every request the server could
still count in its window (answered after ``t - window``, or unanswered) in the governor's
window too, whatever the delays: the limits hold exactly, at the cost of one request's latency
per window (500 per 60.2 s rather than 60 s, at 0.2 s).

Storage. ``memory://`` (the default) keeps the windows in this process (``limits``' memory
storage; it trims expired entries from a background task that hops to a thread per key, some
0.2 ms of CPU per request at the full rate). With
``async+redis://host:port/db`` every worker pointing at the same Redis with the same
``namespace`` also enters each request in shared windows of each realm at ADMISSION (keys
``{namespace}:{realm_id}:{window}``): there a request must be counted before it is sent, or
two workers could both see room; the workers then jointly stay under each limit (by admission
time, so across workers the delays above are not covered: the realm lane of a later issue
gives a realm to one process at a time). Admission tests every shared window first and hits
them only when all have room; a hit that loses a race with another worker is not undone (that
place stays used until it expires): the slot waits and checks again. The shared windows use
wall-clock time (``time.time()``, as ``limits`` does), so the workers need synchronised
clocks. The in-flight cap is per process; it is not shared.

Time scale. The emulator's ``--time-scale K`` shrinks every window K times; with
``QBOLimits(time_scale=K)`` the windows are 60/K s and 1/K s. ``limits`` items have
whole-second granularities, so the windows are a small :class:`RateLimitItem` subclass whose
expiry is any positive number of seconds. The memory storage computes with fractional
expiries exactly. The Redis storage's Lua script compares fractional timestamps too, but then
sets the key's TTL with ``EXPIRE``, which takes whole seconds only, so a fractional expiry
makes the script fail: a shared window that is not a whole number of seconds is therefore
kept rounded UP to the next whole second (the limit is never exceeded, less traffic gets
through, and a warning says so). Intuit's own windows (K = 1) are whole seconds; at K = 60
only the 1/60 s window is affected (kept as 1 s, so 10 requests a second instead of 600).

Batch priority. A batch request carries up to 30 writes for one place in the minute window, a
plain request one: at Intuit's limits a realm writes the most (40 x 30 + 460 = 1,660 a minute)
when all 40 batch requests of a minute find room among its 500 requests. So while a realm sends
batch requests (one is in the batch window, running, or waiting to be admitted), a plain
request is admitted only if the minute window keeps room for every batch request the batch
window still allows: plain traffic gets the other 460 and can never crowd the batches out. A
realm that sends no batch requests keeps all 500 for plain ones. (``QBOLimits.batch_priority``
turns this off; it is off anyway when the batch budget is not below the minute budget, as in
unthrottled tests.)

Arrival margin. Entering a request at its answer is exact whatever the delays, but it keeps
each request in the windows for its whole round trip on top of the window: with Intuit's 10
requests a second and a batch that takes two seconds to answer, the per-second window is
the limit long before the per-minute one is. When the transport says when a request has left
(the client marks its slot with :class:`SentMark`, from httpcore's trace of the body sent),
``QBOLimits(arrival_margin=m)`` enters it ``m`` wall seconds after that, or at the answer
if that is sooner: exact as long as a request that has left reaches Intuit's counter within
``m`` (the network, the server's queue). Without a mark (an in-process transport) a request
is entered at its answer, as before.

Unused slots. A caller that picks what to send only once admitted
(:meth:`QBOClient.batch_when_admitted`) may find nothing left; it raises
:class:`SlotUnused` inside the block, and the place is given back: nothing is entered in this
process's windows for a request that never left (the shared Redis windows, entered at
admission, keep it: their hits are never undone).

Pauses. After a 429 the client calls :meth:`Governor.pause`; no new slot of that realm is
granted until the pause ends. The pause is kept in the process; with Redis it is also recorded
there, for the other workers, as a counter ``{namespace}:{realm_id}:pause`` holding the end of
the pause in epoch milliseconds and expiring after it (``limits`` storages keep counters
only). Each admission then reads that key: one more Redis round trip per request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, MovingWindowSupport, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.limits import safe_string
from limits.storage import storage_from_string

from ._types import SentMark, SlotUnused

__all__ = ["Governor", "QBOLimits"]

_log = logging.getLogger(__name__)

#: the shortest sleep of a waiting slot: after a lost race, and where the storage sees an
#: entry exactly one window old as still inside (its reset time is then already past)
_MIN_SLEEP = 0.001


@dataclass(frozen=True)
class QBOLimits:
    """Intuit's throttles per realm and app (reference section 5), as the governor applies them."""

    requests_per_minute: int = 500
    requests_per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40
    #: the emulator's ``--time-scale``: every window shrinks this many times
    time_scale: float = 1.0
    #: fraction of each limit to use (0.9 keeps 10 % spare); the default uses the full budget
    headroom: float = 1.0
    #: while a realm sends batch requests, plain ones leave the minute window room for the
    #: batch requests still allowed (module docstring, "Batch priority")
    batch_priority: bool = True
    #: wall seconds within which a request that has left the client reaches Intuit's
    #: counter; given, a request is entered in the windows that long after it left instead
    #: of when its answer came (module docstring, "Arrival margin"); ``None``: at the answer
    arrival_margin: float | None = None

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "requests_per_second", "concurrent"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.batch_per_minute < 1:
            raise ValueError("batch_per_minute must be at least 1")
        if not self.time_scale > 0:
            raise ValueError("time_scale must be positive")
        if not 0 < self.headroom <= 1:
            raise ValueError("headroom must be more than 0 and at most 1")
        if self.arrival_margin is not None and self.arrival_margin < 0:
            raise ValueError("arrival_margin must not be negative")

    def budget(self, limit: int) -> int:
        """How many of ``limit`` the governor uses: ``headroom`` of it, at least one."""
        return max(1, math.floor(limit * self.headroom + 1e-9))


class _Window(RateLimitItem):
    """``amount`` requests per ``seconds``, where ``seconds`` may be fractional.

    ``limits`` items count whole seconds (``GRANULARITY.seconds * multiples``); the moving
    window strategy asks an item only for ``amount``, ``key_for`` and ``get_expiry``, so this
    one answers the scaled window there. It defines no ``GRANULARITY`` and so does not enter
    ``limits``' table of granularities (the one its string parser reads).
    """

    __slots__ = ("name", "seconds")

    def __init__(self, name: str, amount: int, seconds: float, namespace: str) -> None:
        super().__init__(amount, 1, namespace)
        self.name = name
        self.seconds = seconds

    def get_expiry(self) -> float:  # type: ignore[override]  # fractional on purpose
        return self.seconds

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        """``{namespace}:{identifiers}:{window}``, e.g. ``ledgerbridge-qbo:9130:minute``."""
        return ":".join([self.namespace, *(safe_string(i) for i in identifiers), self.name])

    def __repr__(self) -> str:
        return f"{self.amount} per {self.seconds:g} s ({self.name})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Window):
            return False
        return (self.name, self.amount, self.seconds) == (other.name, other.amount, other.seconds)

    def __lt__(self, other: RateLimitItem) -> bool:
        return self.seconds < float(other.get_expiry())

    def __hash__(self) -> int:
        return hash((self.namespace, self.name, self.amount, self.seconds))


class _Ticket:
    """A held slot: when it is entered in the windows (its "settle"). At the answer by
    default; with an arrival margin, ``margin`` after the client says the request left
    (:meth:`sent`), or at the answer if that comes first."""

    def __init__(self, governor: Governor, realm_id: str, lane: _Lane, batch: bool) -> None:
        self._governor = governor
        self._realm_id = realm_id
        self._lane = lane
        self._batch = batch
        self._timer: asyncio.TimerHandle | None = None
        self._settling: asyncio.Task[None] | None = None

    def sent(self) -> None:
        """The request has left: it is entered in the windows ``arrival_margin`` later."""
        margin = self._governor.limits.arrival_margin
        if margin is None or self._timer is not None or self._settling is not None:
            return
        self._timer = asyncio.get_running_loop().call_later(margin, self._start)

    def _start(self) -> None:
        if self._settling is None:
            self._settling = asyncio.get_running_loop().create_task(
                self._governor._settle(self._realm_id, self._lane, self._batch)
            )

    async def settle(self) -> None:
        """At the slot's exit: entered in the windows now, unless the margin did it."""
        self.cancel()
        if self._settling is None:
            await self._governor._settle(self._realm_id, self._lane, self._batch)
        else:
            await self._settling

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class _Lane:
    """One realm's state in this process."""

    def __init__(self, concurrent: int) -> None:
        self.in_flight = asyncio.Semaphore(concurrent)
        #: the task at the head of each queue checks the windows; the others wait their turn
        self.plain_turn = asyncio.Lock()
        self.batch_turn = asyncio.Lock()
        #: per window: requests admitted and not yet entered in it (each counts as inside)
        self.running: Counter[str] = Counter()
        #: set whenever a request settles (leaves ``running`` for the windows); one event for
        #: each queue, as each head clears its own before it checks
        self.settled = asyncio.Event()
        self.batch_settled = asyncio.Event()
        #: the same, for requests waiting for room before they take an in-flight place
        self.room_changed = asyncio.Event()
        #: wall-clock time (``time.time()``) before which no slot is granted
        self.paused_until = 0.0
        #: batch requests asking for a slot and not admitted yet (batch demand)
        self.batch_waiting = 0


#: how long a slot waits: seconds, or None for "until a running request settles"
_Wait = float | None


def _async_uri(uri: str) -> str:
    """``memory://`` and ``redis://...`` name the ``limits`` storages' async variants."""
    scheme, sep, _ = uri.partition("://")
    if not sep:
        raise ValueError(f"not a storage URI: {uri!r}")
    return uri if scheme.startswith("async+") else f"async+{uri}"


def _whole(seconds: float) -> bool:
    return round(seconds) >= 1 and abs(seconds - round(seconds)) < 1e-9


class Governor:
    """Per-realm admission under Intuit's limits; fits the QBO client's ``RequestGate``.

    ``storage_uri`` is ``memory://`` (embedded, this process only) or
    ``async+redis://host:port/db`` (``redis://`` works too): rate windows shared by every
    worker using the same Redis and ``namespace``.
    """

    def __init__(
        self,
        limits: QBOLimits = QBOLimits(),
        *,
        storage_uri: str = "memory://",
        namespace: str = "ledgerbridge-qbo",
    ) -> None:
        storage = storage_from_string(_async_uri(storage_uri))
        if not isinstance(storage, Storage) or not isinstance(storage, MovingWindowSupport):
            raise ValueError(f"{storage_uri!r} is not an async storage with moving windows")
        self.limits = limits
        self._namespace = namespace
        local: Storage = storage if isinstance(storage, MemoryStorage) else MemoryStorage()
        #: this process's windows, entered when a request settles (exact fractional windows)
        self._local = MovingWindowRateLimiter(local)
        self._storages = [local]
        #: the windows shared with other workers, entered at admission (Redis only)
        self._shared: MovingWindowRateLimiter | None = None
        if not isinstance(storage, MemoryStorage):
            self._shared = MovingWindowRateLimiter(storage)
            self._storages.append(storage)
        minute, second = 60.0 / limits.time_scale, 1.0 / limits.time_scale
        spans = {
            "minute": (limits.requests_per_minute, minute),
            "second": (limits.requests_per_second, second),
            "batch": (limits.batch_per_minute, minute),
        }
        exact = {
            name: _Window(name, limits.budget(limit), seconds, namespace)
            for name, (limit, seconds) in spans.items()
        }
        shared = {name: self._representable(window) for name, window in exact.items()}
        self._windows = {
            False: (exact["minute"], exact["second"]),
            True: (exact["batch"], exact["minute"], exact["second"]),
        }
        self._shared_windows = {
            False: (shared["minute"], shared["second"]),
            True: (shared["batch"], shared["minute"], shared["second"]),
        }
        self._concurrent = limits.budget(limits.concurrent)
        #: keep minute places for batch requests (module docstring, "Batch priority")
        self._batch_priority = limits.batch_priority and (
            exact["batch"].amount < exact["minute"].amount
        )
        self._lanes: dict[str, _Lane] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._closed = False

    def _representable(self, window: _Window) -> _Window:
        """The window as the shared storage can keep it: whole seconds, rounded up."""
        if self._shared is None or _whole(window.seconds):
            return window
        seconds = float(max(1, math.ceil(window.seconds)))
        _log.warning(
            "the shared %s window of %g s is kept as %g s: Redis expiries are whole seconds "
            "(the limit holds; less traffic gets through)",
            window.name,
            window.seconds,
            seconds,
        )
        return _Window(window.name, window.amount, seconds, window.namespace)

    # -- the RequestGate ------------------------------------------------------------------

    def slot(
        self, realm_id: str, *, batch: bool = False
    ) -> AbstractAsyncContextManager[SentMark | None]:
        """Wait until one more request of ``realm_id`` fits every limit; hold its place.

        The request holds an in-flight place and counts in every window from entry; it is
        entered in the windows for good when the block exits. Never raises for being busy:
        it waits as long as it takes (cancel it to give up).
        """
        if self._closed:
            raise RuntimeError("the governor is closed")
        return self._slot(realm_id, batch)

    def pause(self, realm_id: str, seconds: float) -> None:
        """Grant no new slot of ``realm_id`` for ``seconds`` (wall seconds, e.g. after a 429).

        A pause never shortens one already in force. With Redis it is also recorded there
        (from a task, as this method is synchronous) for the other workers to see.
        """
        if seconds <= 0:
            return
        lane = self._lane(realm_id)
        lane.paused_until = max(lane.paused_until, time.time() + seconds)
        if self._shared is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            _log.warning("the pause of realm %s stays in this process: no event loop", realm_id)
            return
        task = loop.create_task(self._share_pause(realm_id, seconds))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def aclose(self) -> None:
        """Finish recording pauses and let go of the storages (timers, connections)."""
        self._closed = True
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        for storage in self._storages:
            timer = getattr(storage, "timer", None)  # MemoryStorage's expiry task
            if isinstance(timer, asyncio.Task) and not timer.done():
                timer.cancel()
            # limits has no close(); its Redis bridge keeps the client as ``bridge.storage``
            client: Any = getattr(getattr(storage, "bridge", None), "storage", None)
            pool: Any = getattr(client, "connection_pool", None)
            if pool is not None and callable(getattr(pool, "disconnect", None)):
                try:
                    pool.disconnect()
                except Exception:  # closing is best effort
                    _log.debug("could not disconnect the rate-limit storage", exc_info=True)

    async def __aenter__(self) -> Governor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- inside ---------------------------------------------------------------------------

    def _lane(self, realm_id: str) -> _Lane:
        lane = self._lanes.get(realm_id)
        if lane is None:
            lane = self._lanes[realm_id] = _Lane(self._concurrent)
        return lane

    @asynccontextmanager
    async def _slot(self, realm_id: str, batch: bool) -> AsyncIterator[_Ticket]:
        lane = self._lane(realm_id)
        started = time.monotonic()
        waited_on: list[str] = ["concurrent"] if lane.in_flight.locked() else []
        waiting = int(batch)  # a batch request shows batch demand until it is admitted
        lane.batch_waiting += waiting
        try:
            await self._until_room(realm_id, lane, batch, waited_on)
            async with lane.in_flight:
                await self._admit(realm_id, lane, batch, waited_on)
                lane.batch_waiting -= waiting
                waiting = 0
                if waited_on:
                    _log.debug(
                        "QBO slot of realm %s waited %.3f s for: %s",
                        realm_id,
                        time.monotonic() - started,
                        ", ".join(dict.fromkeys(waited_on)),
                    )
                ticket = _Ticket(self, realm_id, lane, batch)
                used = True
                try:
                    yield ticket
                except SlotUnused:
                    used = False
                    raise
                finally:
                    if used:
                        await ticket.settle()
                    else:
                        ticket.cancel()
                        self._give_back(lane, batch)
        finally:
            lane.batch_waiting -= waiting  # cancelled while waiting

    async def _until_room(
        self, realm_id: str, lane: _Lane, batch: bool, waited_on: list[str]
    ) -> None:
        """Wait until the windows have room for the request, before it takes an in-flight
        place: a request that waits for the minute (or a batch for the batch budget) must not
        keep one of the realm's few in-flight places from a request that could go now.
        :meth:`_admit` checks again, and claims, once the place is held."""
        while True:
            lane.room_changed.clear()
            wait: _Wait
            wait, reason = await self._pause_wait(realm_id, lane)
            if wait == 0:
                wait, reason = await self._room(realm_id, lane, batch)
            if wait == 0:
                return
            waited_on.append(reason)
            if wait is None:
                await lane.room_changed.wait()
            else:
                await asyncio.sleep(max(wait, _MIN_SLEEP))

    async def _admit(self, realm_id: str, lane: _Lane, batch: bool, waited_on: list[str]) -> None:
        """Count the request in as running once every window has room; wait until then."""
        turn, settled = (
            (lane.batch_turn, lane.batch_settled) if batch else (lane.plain_turn, lane.settled)
        )
        if turn.locked():
            waited_on.append("queue")
        async with turn:
            while True:  # each pass admits, or waits for time to pass or a request to settle
                settled.clear()
                wait: _Wait
                wait, reason = await self._pause_wait(realm_id, lane)
                if wait == 0:
                    # Checked and claimed with no await between: the memory storage answers
                    # without yielding, so no other task can claim the same room meanwhile.
                    wait, reason = await self._room(realm_id, lane, batch)
                if wait == 0:
                    lane.running.update(window.name for window in self._windows[batch])
                    wait, reason = await self._reserve(realm_id, batch)
                    if wait == 0:
                        return
                    lane.running.subtract(window.name for window in self._windows[batch])
                    self._wake(lane)
                waited_on.append(reason)
                if wait is None:
                    await settled.wait()
                else:
                    await asyncio.sleep(max(wait, _MIN_SLEEP))

    @staticmethod
    def _wake(lane: _Lane) -> None:
        lane.settled.set()
        lane.batch_settled.set()
        lane.room_changed.set()

    async def _pause_wait(self, realm_id: str, lane: _Lane) -> tuple[float, str]:
        wait = lane.paused_until - time.time()
        if wait <= 0 and self._shared is not None:
            wait = await self._shared_pause(realm_id)
        return (wait, "pause") if wait > 0 else (0.0, "")

    async def _room(self, realm_id: str, lane: _Lane, batch: bool) -> tuple[_Wait, str]:
        """How long until this process's windows have room for one more (0: now)."""
        longest, reason = 0.0, ""
        kept = 0 if batch else await self._kept_for_batches(realm_id, lane)
        for window in self._windows[batch]:
            cost = 1 + lane.running[window.name] + (kept if window.name == "minute" else 0)
            if await self._local.test(window, realm_id, cost=cost):
                continue
            stats = await self._local.get_window_stats(window, realm_id)
            if stats.remaining >= window.amount:
                # nothing settled is inside: running requests alone fill the window
                return None, f"{window.name} (in flight)"
            window_wait = max(stats.reset_time - time.time(), _MIN_SLEEP)
            if window_wait > longest:
                longest, reason = window_wait, window.name
        return longest, reason

    async def _kept_for_batches(self, realm_id: str, lane: _Lane) -> int:
        """Minute places a plain request must leave free: the batch requests the batch window
        still allows, while the realm sends batches (module docstring, "Batch priority")."""
        if not self._batch_priority:
            return 0
        window = self._windows[True][0]
        stats = await self._local.get_window_stats(window, realm_id)
        used = window.amount - stats.remaining + lane.running[window.name]
        if used <= 0 and not lane.batch_waiting:
            return 0
        return max(0, window.amount - used)

    def _give_back(self, lane: _Lane, batch: bool) -> None:
        """A slot nothing was sent in: out of ``running``, entered in no window."""
        lane.running.subtract(window.name for window in self._windows[batch])
        self._wake(lane)

    async def _reserve(self, realm_id: str, batch: bool) -> tuple[float, str]:
        """Enter the request in the shared windows (Redis) once all have room (0: done)."""
        if self._shared is None:
            return 0.0, ""
        windows = self._shared_windows[batch]
        longest, reason = 0.0, ""
        for window in windows:
            if await self._shared.test(window, realm_id):
                continue
            stats = await self._shared.get_window_stats(window, realm_id)
            window_wait = max(stats.reset_time - time.time(), _MIN_SLEEP)
            if window_wait > longest:
                longest, reason = window_wait, f"shared {window.name}"
        if longest:
            return longest, reason
        for window in windows:
            if not await self._shared.hit(window, realm_id):
                # another worker took the place first; the hits made stay (never undone)
                return _MIN_SLEEP, "race"
        return 0.0, ""

    async def _settle(self, realm_id: str, lane: _Lane, batch: bool) -> None:
        """The answer is in: enter the request in this process's windows, stamped now.

        It leaves ``running`` for each window the moment it is entered there, so that it
        never counts twice (a head seeing it twice would sleep a whole window for nothing).
        """
        pending = list(self._windows[batch])
        try:
            while pending:
                window = pending[0]
                if not await self._local.hit(window, realm_id):
                    # cannot happen: a running request holds its place in every window
                    _log.warning("the %s window of realm %s was over full", window.name, realm_id)
                lane.running[window.name] -= 1
                pending.pop(0)
                self._wake(lane)
        finally:  # cancelled half-way: count it out of the rest all the same
            lane.running.subtract(window.name for window in pending)
            self._wake(lane)

    def _pause_key(self, realm_id: str) -> str:
        return f"{self._namespace}:{realm_id}:pause"

    async def _shared_pause(self, realm_id: str) -> float:
        """Seconds left of a pause recorded in Redis (0 when none).

        The counter holds the pause's end in milliseconds since the epoch; its TTL (whole
        seconds) bounds it, should two workers have added their ends up in a race.
        """
        storage = self._storages[-1]
        key = self._pause_key(realm_id)
        end_ms = await storage.get(key)
        if end_ms <= 0:
            return 0.0
        now = time.time()
        end = min(end_ms / 1000, await storage.get_expiry(key) + 1)
        return max(end - now, 0.0)

    async def _share_pause(self, realm_id: str, seconds: float) -> None:
        storage = self._storages[-1]
        key = self._pause_key(realm_id)
        try:
            if await self._shared_pause(realm_id) >= seconds:
                return
            end_ms = math.ceil((time.time() + seconds) * 1000)
            await storage.clear(key)
            await storage.incr(key, max(1, math.ceil(seconds)), amount=end_ms)
        except Exception:
            _log.warning("could not record the pause of realm %s in Redis", realm_id)
