"""Helpers of the store tests: token grants, a clock to move, a counting refresher."""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ledgerbridge.store import Database, RefreshRejected, TokenGrant
from ledgerbridge.store._tables import Base

TENANT = "acme"
OTHER_TENANT = "globex"


def wipe(database: Database) -> None:
    """Drop the store's tables and Alembic's (a PostgreSQL test database is reused)."""
    Base.metadata.drop_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def make_grant(
    tag: str,
    *,
    now: datetime | None = None,
    access_ttl: timedelta = timedelta(hours=1),
    refresh_ttl: timedelta = timedelta(days=100),
    hard_ttl: timedelta | None = timedelta(days=5 * 365),
) -> TokenGrant:
    """A token pair whose tokens say which grant they belong to (``access-<tag>``)."""
    now = now or datetime.now(UTC)
    return TokenGrant(
        access_token=f"access-{tag}-Zq8vT3",
        refresh_token=f"refresh-{tag}-Lp4nW7",
        access_expires_at=now + access_ttl,
        refresh_expires_at=now + refresh_ttl,
        hard_expires_at=None if hard_ttl is None else now + hard_ttl,
    )


@dataclass
class Clock:
    """The store's clock, moved by hand."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class CountingRefresher:
    """A refresher that counts its calls and hands out a new pair each time (thread-safe).

    ``fail`` makes it raise instead: an exception instance, raised on every call.
    """

    def __init__(self, *, delay: float = 0.05, fail: BaseException | None = None) -> None:
        self.delay = delay
        self.fail = fail
        self.received: list[str] = []
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return len(self.received)

    async def __call__(self, refresh_token: str) -> TokenGrant:
        with self._lock:
            self.received.append(refresh_token)
            number = next(self._numbers)
        await asyncio.sleep(self.delay)  # the HTTP call: others queue meanwhile
        if self.fail is not None:
            raise self.fail
        return make_grant(f"refreshed{number}")


def rejecting() -> CountingRefresher:
    """A refresher that answers like Intuit to a dead refresh token."""
    return CountingRefresher(fail=RefreshRejected("invalid_grant: Incorrect or invalid token"))
