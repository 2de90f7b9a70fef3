"""What a worker remembers of one QBO company between runs.

An auto-sync run pushes a few records, and each lookup it needs is a request that takes
QBO's latency: finding the terms, the charge item or a payment method by name, asking
whether the company holds any invoice to re-attach to. These hardly change, so a process
that runs a company's lane keeps the answers for the next runs (one :class:`CompanyMemo` per
realm, on the sync runtime):

* **names**: QBO list records found by name, each kept ``ttl`` seconds (10 minutes by
  default). A list record renamed or deleted in QBO within that time makes a write fail with
  a missing reference (610 or 2500); the record then fails or is retried by the per-record
  path, and after ``ttl`` the name is looked up afresh.
* **held**: per transaction type, whether QBO held any: once it did, every later run looks
  up DocNumbers before it creates (only "none" saves the look-up, and it is never cached
  past the run that found it, since the run's own writes make it "some").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import Final, Generic, TypeVar

from ledgerbridge.mapping import QBORef

__all__ = ["CompanyMemo", "ExpiringMap"]

K = TypeVar("K")
V = TypeVar("V")

#: how long a QBO list record found by name is trusted without asking again
DEFAULT_TTL: Final = 600.0


class ExpiringMap(MutableMapping[K, V], Generic[K, V]):
    """A dict whose entries vanish ``ttl`` seconds after they were set."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}

    def __getitem__(self, key: K) -> V:
        expires, value = self._entries[key]
        if expires <= self._clock():
            del self._entries[key]
            raise KeyError(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock() + self._ttl, value)

    def __delitem__(self, key: K) -> None:
        del self._entries[key]

    def __iter__(self) -> Iterator[K]:
        now = self._clock()
        return iter([key for key, (expires, _) in self._entries.items() if expires > now])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class CompanyMemo:
    """One company's remembered lookups (module docstring)."""

    def __init__(
        self, *, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        #: (entity, normalized name) -> the QBO reference (``Pusher``'s look-ups by name)
        self.names: ExpiringMap[tuple[str, str], QBORef] = ExpiringMap(ttl, clock=clock)
        #: transaction entity -> QBO held some (never cached as "none": see the docstring)
        self.held: dict[str, bool] = {}
