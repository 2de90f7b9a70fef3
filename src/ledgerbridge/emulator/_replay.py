"""``requestid``: a write repeated with the same id gets the first answer, and writes nothing.

Intuit (B-reqid, section 1.4): "If the service receives another request with the same
RequestID, instead of performing the operation again or returning an error, the service sends
the same response as it did for the original request." Ids are unique per company, at most 50
characters. How long Intuit keeps them, and whether a different body under the same id is
replayed, are UNVERIFIED: the emulator keeps them for a configurable window and replays by
id alone. A retry that arrives while the first request with its id is still running (the
client gave up waiting on a slow answer) waits for that answer rather than writing again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import _faults

__all__ = ["MAX_REQUEST_ID", "RequestIds", "Stored"]

MAX_REQUEST_ID = 50


@dataclass(frozen=True)
class Stored:
    """The first answer to a requestid."""

    expires_at: float
    status: int
    body: bytes


class RequestIds:
    """First answers by (realm, requestid), each kept for the configured window."""

    def __init__(self, window: Callable[[], float], clock: Callable[[], float]) -> None:
        self._window = window
        self._clock = clock
        self._stored: dict[tuple[str, str], Stored] = {}
        #: ids whose first request is running: it has no answer to replay yet
        self._running: set[tuple[str, str]] = set()
        self._next_sweep = 0.0

    @staticmethod
    def check(request_id: str) -> None:
        if len(request_id) > MAX_REQUEST_ID:
            raise _faults.string_length("requestid", MAX_REQUEST_ID, len(request_id))

    def get(self, realm_id: str, request_id: str) -> Stored | None:
        stored = self._stored.get((realm_id, request_id))
        if stored is None or stored.expires_at <= self._clock():
            return None
        return stored

    def put(self, realm_id: str, request_id: str, status: int, body: bytes) -> None:
        now = self._clock()
        self._stored[(realm_id, request_id)] = Stored(now + self._window(), status, body)
        if now >= self._next_sweep:
            self._next_sweep = now + self._window()
            self._stored = {k: v for k, v in self._stored.items() if v.expires_at > now}

    def running(self, realm_id: str, request_id: str) -> bool:
        return (realm_id, request_id) in self._running

    def start(self, realm_id: str, request_id: str) -> None:
        """The first request with this id starts running."""
        self._running.add((realm_id, request_id))

    def finish(self, realm_id: str, request_id: str) -> None:
        """That request has finished (its answer is stored, unless it failed to produce one)."""
        self._running.discard((realm_id, request_id))

    def reset(self) -> None:
        self._stored.clear()
