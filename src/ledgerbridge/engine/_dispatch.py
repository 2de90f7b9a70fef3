"""The dispatcher: independent writes to one company, sent as fast as Intuit allows.

Intuit meters a company by requests, not by writes (``QBO-REFERENCE.md`` section 5): 500
requests a minute, of which 40 may be batch requests of up to 30 operations each. A sync that
writes one object per request is capped at 500 writes a minute; one that spends the 40 batch
requests on full batches and the other 460 requests on single writes reaches
40 x 30 + 460 = 1,660. :class:`Dispatcher` does the second, for a list of writes that do not
depend on each other (one wave of the bulk push):

* **two kinds of sender** share one queue: ``batch_senders`` tasks each send batch requests
  of up to ``batch_size`` writes, ``in_flight`` tasks each send one write at a time. There
  are more senders than the governor has in-flight places: the governor gives a place to
  whichever request has room in its windows (a request waiting for the minute or the batch
  budget holds no place), so single writes fill the places a batch does not need.
* **a batch takes its writes when it is admitted** (:meth:`QBOClient.batch_when_admitted`),
  not before: while the batch budget of the minute is spent, the writes stay in the queue and
  the plain senders keep taking them one by one. The governor keeps the minute room the
  remaining batches need (its "batch priority"), so plain traffic takes the other 460 places
  and never crowds the batches out.
* **a single write only takes what no batch can carry now**: the last writes (fewer than a
  batch), or any write while the governor holds a batch back (``_HELD_AFTER``: its budget
  for the minute is spent, or every place is taken). While batches go straight through, a
  full batch's writes wait for the next batch sender to come back: each single write would
  cost a request, on both sides, for what a batch item carries at almost no cost.
* **results are handed over per request**: ``on_done`` gets every write of one request with
  its answer (the object, or the :class:`QBOError` of that write), so that the caller records
  a whole batch in one store transaction. ``on_sending`` is called with the writes of a
  request and the batch's ``requestid`` (``None`` for a write sent alone, which carries its
  own ``Write.request_id``) the moment before they are sent, for the durable operation log.
* **a company that refuses everything stops it**: after a :class:`ReconnectError` or a
  :class:`StopError` (the connection is gone, the subscription ended; not a transaction in a
  closed period) nothing more is sent; the writes still queued come back with that error.

Retries (429, 5xx, timeouts) happen inside the client, with the same ``requestid``; a write
that still failed comes back with its error and the caller decides.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ledgerbridge.qbo import (
    BATCH_MAX_ITEMS,
    BatchItem,
    BooksClosedError,
    QBOClient,
    QBOError,
    ReconnectError,
    StopError,
)

__all__ = ["DispatchStats", "Dispatcher", "Sent", "Write", "WriteQueue", "refuses_everything"]

#: batch senders by default: enough to spend the batch budget of a minute in a burst when
#: each batch takes a few seconds to answer
_DEFAULT_BATCH_SENDERS: Final = 4
#: seconds a batch waits for the governor before the single-write senders count it as held
#: back and take the writes it would have carried (an admission with room is immediate)
_HELD_AFTER: Final = 0.05


@dataclass(frozen=True)
class Write:
    """One write: the operation as a batch item, the caller's key, and the ``requestid`` it
    carries when it is sent on its own (a batch request carries one of its own)."""

    item: BatchItem
    key: Hashable
    request_id: str | None = None


@dataclass(frozen=True)
class Sent:
    """A write and its answer: the object QBO returned, or the error of this write."""

    write: Write
    value: dict[str, Any] | None = None
    error: QBOError | None = None
    #: the batch request's ``requestid`` and this write's ``bId`` in it (None when alone)
    batch_request_id: str | None = None
    bid: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class DispatchStats:
    """What one :meth:`Dispatcher.run` sent."""

    batch_requests: int = 0
    plain_requests: int = 0
    #: writes sent in batch requests and alone
    batched_writes: int = 0
    single_writes: int = 0
    #: writes never sent because the company refused everything (StopError, ReconnectError)
    unsent: int = 0
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.batch_requests + self.plain_requests


class WriteQueue:
    """Writes for :meth:`Dispatcher.run` that may arrive while it runs: a caller that plans
    its writes a chunk at a time sends the first chunk while it plans the next. ``close``
    says nothing more will come; until then a batch sender waits for a full batch."""

    def __init__(self, writes: Iterable[Write] = (), *, closed: bool = False) -> None:
        self._writes: deque[Write] = deque(writes)
        self._closed = closed
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._writes)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, writes: Iterable[Write]) -> None:
        """More writes to send."""
        if self._closed:
            raise RuntimeError("the queue is closed")
        self._writes.extend(writes)
        self._changed.set()

    def close(self) -> None:
        """Nothing more will come: the senders take what is left and stop."""
        self._closed = True
        self._changed.set()

    def wake(self) -> None:
        """Wake the senders waiting in :meth:`changed`, to look at the queue again."""
        self._changed.set()

    def popleft(self) -> Write:
        write = self._writes.popleft()
        self._changed.set()  # a sender that left writes to a batch looks again
        return write

    def drain(self) -> list[Write]:
        """Every write left, taken out of the queue."""
        left = list(self._writes)
        self._writes.clear()
        return left

    async def changed(self) -> None:
        """Return once writes were added or the queue closed (after this call began)."""
        self._changed.clear()
        await self._changed.wait()


OnDone = Callable[[Sequence[Sent]], Awaitable[None] | None]


def refuses_everything(error: QBOError) -> bool:
    """Whether the company will refuse every further write the same way: the connection is
    gone (:class:`ReconnectError`) or it stopped taking writes (:class:`StopError`), but not a
    transaction dated in a closed period (6210), which is that transaction's problem."""
    if isinstance(error, BooksClosedError):
        return False
    return isinstance(error, (ReconnectError, StopError))


OnSending = Callable[[Sequence[Write], str | None], None]


class Dispatcher:
    """Sends lists of independent writes to one company (module docstring)."""

    def __init__(
        self,
        qbo: QBOClient,
        *,
        in_flight: int = 10,
        batch_senders: int | None = None,
        batch_size: int = BATCH_MAX_ITEMS,
        on_sending: OnSending | None = None,
        new_request_id: Callable[[], str] | None = None,
    ) -> None:
        """``in_flight``: requests at once (the governor's concurrency, Intuit's 10), and so
        the number of single-write senders; ``batch_senders`` send batches (default 4);
        ``batch_size``: writes per batch request (at most 30)."""
        if in_flight < 1:
            raise ValueError("in_flight must be at least 1")
        if not 1 <= batch_size <= BATCH_MAX_ITEMS:
            raise ValueError(f"batch_size must be between 1 and {BATCH_MAX_ITEMS}")
        batches = _DEFAULT_BATCH_SENDERS if batch_senders is None else batch_senders
        if batches < 1:
            raise ValueError("batch_senders must be at least 1")
        self._qbo = qbo
        self._batch_senders = batches
        self._plain_senders = in_flight
        self._batch_size = batch_size
        self._on_sending = on_sending
        self._new_request_id = new_request_id or (lambda: uuid.uuid4().hex)

    async def run(self, writes: Iterable[Write] | WriteQueue, on_done: OnDone) -> DispatchStats:
        """Send every write (of a list, or of a queue until it is closed); ``on_done`` gets
        each request's writes with their answers."""
        queue = writes if isinstance(writes, WriteQueue) else WriteQueue(writes, closed=True)
        round_ = _Round(self, queue, on_done)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self._batch_senders):
                    group.create_task(round_.send_batches())
                for _ in range(self._plain_senders):
                    group.create_task(round_.send_singles())
        except BaseExceptionGroup as failed:
            # what stopped a sender (the connection is gone, ``on_done`` failed) is the
            # caller's to handle as if it came from one call, not wrapped in a group
            raise failed.exceptions[0] from None
        if round_.blocking is not None:
            while not queue.closed:  # what the caller still adds comes back unsent too
                await round_.flush_unsent()
                await queue.changed()
        await round_.flush_unsent()
        return round_.stats


class _Round:
    """The state of one :meth:`Dispatcher.run`: the queue, the stats, the blocking error."""

    def __init__(self, dispatcher: Dispatcher, queue: WriteQueue, on_done: OnDone) -> None:
        self.dispatcher = dispatcher
        self.queue = queue
        self.on_done = on_done
        self.stats = DispatchStats()
        self.blocking: QBOError | None = None
        #: batch senders waiting for writes to take (not in flight, not waiting for the
        #: governor)
        self.batch_idle = 0
        #: batch senders the governor has kept waiting longer than ``_HELD_AFTER``
        self.batches_held = 0

    def _left_to_batches(self) -> bool:
        """Whether single-write senders leave the queued writes to the batch senders: a
        single write spends a request (of the minute's 500, and the time of both sides) on
        what a batch item carries almost for free. They leave a full batch's writes unless the
        governor holds the batches back, and fewer when a batch sender is free to take them."""
        if self.batches_held:
            return False
        if len(self.queue) >= self.dispatcher._batch_size:
            return True
        return self.batch_idle > 0 and self._batch_ready()

    def _batch_ready(self) -> bool:
        """A full batch is queued, or the last writes of a closed queue when there are more
        than the single-write senders take at once (a few last writes go out side by side,
        each answered in one request's time, rather than one by one inside a batch)."""
        queued = len(self.queue)
        if queued >= self.dispatcher._batch_size:
            return True
        return self.queue.closed and queued > self.dispatcher._plain_senders

    async def send_batches(self) -> None:
        qbo, size = self.dispatcher._qbo, self.dispatcher._batch_size
        while self.blocking is None:
            if not self._batch_ready():
                if self.queue.closed and not len(self.queue):
                    return
                self.batch_idle += 1
                try:
                    await self.queue.changed()
                finally:
                    self.batch_idle -= 1
                continue
            request_id = self.dispatcher._new_request_id()
            taken: list[Write] = []
            hold = _Hold(self)

            def take(
                request_id: str = request_id, taken: list[Write] = taken, hold: _Hold = hold
            ) -> list[BatchItem]:
                hold.admitted()
                if self.blocking is not None or not self._batch_ready():
                    return []
                while len(self.queue) and len(taken) < size:
                    taken.append(self.queue.popleft())
                if taken:
                    self._sending(taken, request_id)
                return [write.item for write in taken]

            try:
                results = await qbo.batch_when_admitted(take, request_id=request_id)
            finally:
                hold.admitted()
            if not taken:
                continue  # the plain senders took the writes meanwhile
            self.stats.batch_requests += 1
            self.stats.batched_writes += len(taken)
            self.stats.batch_sizes.append(len(taken))
            sent = [
                Sent(write, result.value, result.error, request_id, result.bid)
                for write, result in zip(taken, results, strict=True)
            ]
            self._check_blocking(sent)
            await self._done(sent)

    async def send_singles(self) -> None:
        qbo = self.dispatcher._qbo
        while self.blocking is None:
            if not len(self.queue) or self._left_to_batches():
                if self.queue.closed and not len(self.queue):
                    return
                await self.queue.changed()
                continue
            write = self.queue.popleft()
            self._sending([write], None)
            self.stats.plain_requests += 1
            self.stats.single_writes += 1
            try:
                sent = Sent(write, await qbo.send(write.item, request_id=write.request_id))
            except QBOError as error:
                sent = Sent(write, error=error)
                self._check_blocking([sent])
            await self._done([sent])

    async def flush_unsent(self) -> None:
        """The writes left when the company refused everything come back with its error."""
        if self.blocking is None or not len(self.queue):
            return
        unsent = [Sent(write, error=self.blocking) for write in self.queue.drain()]
        self.stats.unsent += len(unsent)
        await self._done(unsent)

    def _sending(self, writes: Sequence[Write], request_id: str | None) -> None:
        if self.dispatcher._on_sending is not None:
            self.dispatcher._on_sending(writes, request_id)

    def _check_blocking(self, sent: Sequence[Sent]) -> None:
        for one in sent:
            if one.error is not None and refuses_everything(one.error) and self.blocking is None:
                self.blocking = one.error

    async def _done(self, sent: Sequence[Sent]) -> None:
        outcome = self.on_done(sent)
        if inspect.isawaitable(outcome):
            await outcome


class _Hold:
    """One batch sender's wait for the governor: counted in ``batches_held`` from
    ``_HELD_AFTER`` seconds on, until it is admitted (or gives up)."""

    def __init__(self, round_: _Round) -> None:
        self._round = round_
        self._counted = False
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            _HELD_AFTER, self._held
        )

    def _held(self) -> None:
        self._timer = None
        self._counted = True
        self._round.batches_held += 1
        self._round.queue.wake()  # the single-write senders look again

    def admitted(self) -> None:
        """The wait is over (idempotent)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._counted:
            self._counted = False
            self._round.batches_held -= 1
