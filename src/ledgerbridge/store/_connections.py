"""Tenants, their QBO connections, one-time OAuth states, and the single-flight token refresh.

Single-flight refresh
=====================

Intuit rotates the refresh token on every refresh: the answer carries a new refresh token and
the old one dies (after 24 hours in production; at once in the emulator with
``refresh_token_grace_seconds=0``). Two workers that refresh the same connection at the same
moment both send the same refresh token; one of them may get ``invalid_grant``, and whichever
writes last may store a refresh token that is already dead: the connection is lost and the
shop owner must reconnect. So a connection is refreshed by one caller at a time, across
threads and processes, and the rest use what it stored. :meth:`ConnectionStore.refresh`:

1. **Takes an exclusive lock on the connection** for the whole refresh, and **holds it across
   the HTTP call** to Intuit: releasing it before the call would let a second caller read the
   same refresh token and send it too, which is the race itself. PostgreSQL: a transaction
   with ``SELECT ... FOR UPDATE`` on the row, which blocks no other row. SQLite has no row
   locks, and its write lock (``BEGIN IMMEDIATE``) would stop every writer in every process
   for the length of the call, among them the very event loop that runs the refresher, which
   then cannot finish it: a deadlock until the timeout. So on SQLite the lock is a file lock
   beside the database (:meth:`Database.file_lock`, ``flock``): it serializes refreshes,
   across processes too, and nothing else; the call to Intuit holds no database lock, and
   the new pair is written in a short transaction after it, unless the connection was
   reconnected or disconnected meanwhile (that wins). The store gives up waiting for a
   refresher after ``refresh_timeout``.
2. **Re-reads the row under the lock.** A caller that queued behind another finds a new access
   token, different from the one QuickBooks rejected and not about to expire, and returns it
   without calling Intuit: it lost the race, which costs nothing. A disconnected connection
   raises :class:`ConnectionDisconnectedError` without calling Intuit either.
3. **Commits before returning.** The rotated refresh token is on disk before anyone can use
   the new access token, so a crash right after a refresh cannot lose the only valid refresh
   token. If the refresher raises :class:`RefreshRejected` (``invalid_grant``), the connection
   is marked disconnected with the reason and committed, then
   :class:`ConnectionDisconnectedError` is raised: work waits, nothing is dropped, the console
   asks for Reconnect. Any other error rolls back: nothing changed, the caller may retry.

Inside one process the callers of one connection first queue on an :class:`asyncio.Lock`, so
twenty tasks that saw the same 401 do not park twenty threads on the database lock: the first
refreshes, the others then re-read (without a write lock) and return its token.

The blocking database work of a refresh runs in a thread of the store's own pool, and the
refresher coroutine runs on the caller's event loop, awaited from that thread. Waiting for
the lock thus never blocks the event loop (which may be running the very refresh being
waited for), and one thread owns the database connection from ``BEGIN`` to ``COMMIT``. (Not
the loop's default executor: the refresher's HTTP client resolves host names there, and must
not find it full of refreshes waiting for the lock its own caller holds.) The caller awaits that
thread through :func:`asyncio.shield`: a caller cancelled mid-refresh stops waiting, but the
refresh still completes and commits the rotated token instead of dropping it on the floor.

Synchronous writes from an event loop (the engine's) never wait for a refresh in flight: on
PostgreSQL they touch other rows, on SQLite the refresh holds only its file lock during the
call. Reads never wait (WAL).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import uuid
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._crypto import TokenCipher
from ._database import Database
from ._errors import (
    INVALID_GRANT_REASON,
    ConnectionDisconnectedError,
    ConnectionNotFoundError,
    InvalidStateError,
    RefreshRejected,
    StateReplayError,
    TenantExistsError,
    TenantNotFoundError,
)
from ._records import (
    ConnectionRecord,
    ConnectionStatus,
    Environment,
    Refresher,
    TenantRecord,
    TokenGrant,
)
from ._tables import ENVIRONMENTS, Connection, OAuthState, Tenant

__all__ = ["RECONNECT_WARNING", "ConnectionStore"]

#: how long before Intuit's 5-year cap a connection turns ``expiring`` by default
RECONNECT_WARNING: Final = timedelta(days=30)


@dataclass(frozen=True)
class _Refresh:
    """One refresh, as its thread sees it: the connection, the access token QuickBooks
    refused (``None``: a proactive refresh), the refresher and the loop it runs on."""

    connection_id: str
    rejected_access_token: str | None
    refresher: Refresher
    loop: asyncio.AbstractEventLoop


#: refreshes of different connections one process runs at once (PostgreSQL; SQLite runs one)
_REFRESH_THREADS = 32


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ConnectionStore:
    """The repository of tenants, QBO connections and OAuth states.

    Calls a tenant can reach take its ``tenant_id`` and filter on it. :meth:`by_id`,
    :meth:`expiring` and :meth:`refresh` are for jobs that hold a connection id the store
    itself handed out.
    """

    def __init__(
        self,
        database: Database,
        cipher: TokenCipher,
        *,
        refresh_leeway: timedelta = timedelta(seconds=60),
        refresh_timeout: timedelta = timedelta(seconds=20),
        reconnect_warning: timedelta = RECONNECT_WARNING,
        state_lifetime: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        """
        :param refresh_leeway: an access token that expires within this is treated as expired
        :param refresh_timeout: the longest a refresher may hold the connection's lock
        :param reconnect_warning: how long before Intuit's 5-year cap a connection turns
            ``expiring`` (only a reconnect resets that cap)
        :param state_lifetime: how long an OAuth state may take to come back
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._cipher = cipher
        self._leeway = refresh_leeway
        self._refresh_timeout = refresh_timeout.total_seconds()
        self._reconnect_warning = reconnect_warning
        self._state_lifetime = state_lifetime
        self._clock = clock
        # one asyncio.Lock per (event loop, connection): an asyncio.Lock belongs to one loop
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()
        self._locks_guard = threading.Lock()
        # the store's own threads (see the module docstring); started on demand, they end
        # when the store is garbage-collected
        self._threads = ThreadPoolExecutor(
            max_workers=_REFRESH_THREADS, thread_name_prefix="ledgerbridge-refresh"
        )

    # -- tenants ------------------------------------------------------------------------------
    def create_tenant(self, *, tenant_id: str, name: str) -> TenantRecord:
        """Add a shop; :class:`TenantExistsError` if the id is taken."""
        now = self._clock()
        try:
            with self._db.transaction() as session:
                if session.get(Tenant, tenant_id) is not None:
                    raise TenantExistsError(f"tenant {tenant_id!r} already exists")
                session.add(Tenant(id=tenant_id, name=name, created_at=now))
        except IntegrityError:  # a concurrent create won (PostgreSQL)
            raise TenantExistsError(f"tenant {tenant_id!r} already exists") from None
        return TenantRecord(id=tenant_id, name=name, created_at=now)

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        """The shop, or ``None``."""
        with self._db.session() as session:
            row = session.get(Tenant, tenant_id)
            if row is None:
                return None
            return TenantRecord(id=row.id, name=row.name, created_at=row.created_at)

    # -- connections --------------------------------------------------------------------------
    def save_connection(
        self,
        *,
        tenant_id: str,
        environment: Environment,
        realm_id: str,
        company_name: str,
        grant: TokenGrant,
    ) -> ConnectionRecord:
        """Store the connection made by an OAuth callback: one per tenant and environment.

        A reconnect (the same tenant and environment again) keeps the connection's id, so
        that whatever refers to it stays valid, replaces the tokens, and clears a
        disconnected status.
        """
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment must be one of {ENVIRONMENTS}, not {environment!r}")
        access = self._cipher.encrypt(grant.access_token)
        refresh = self._cipher.encrypt(grant.refresh_token)
        for attempt in range(2):
            now = self._clock()
            try:
                with self._db.transaction() as session:
                    if session.get(Tenant, tenant_id) is None:
                        raise TenantNotFoundError(f"no tenant {tenant_id!r}")
                    row = session.scalars(
                        select(Connection)
                        .where(
                            Connection.tenant_id == tenant_id,
                            Connection.environment == environment,
                        )
                        .with_for_update()
                    ).one_or_none()
                    if row is None:
                        row = Connection(id=uuid.uuid4().hex, tenant_id=tenant_id)
                        row.environment = environment
                        session.add(row)
                    row.realm_id = realm_id
                    row.company_name = company_name
                    row.connected_at = now
                    row.last_refresh_at = None
                    self._write_grant(row, grant, access, refresh, now)
                    record = self._record(row, grant.access_token, grant.refresh_token)
            except IntegrityError:
                # PostgreSQL: a concurrent first save of this (tenant, environment) won the
                # insert; the second attempt finds its row and updates it
                if attempt:
                    raise
                continue
            return record
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, *, tenant_id: str, environment: Environment) -> ConnectionRecord | None:
        """The tenant's connection in this environment, or ``None``."""
        with self._db.session() as session:
            row = session.scalars(
                select(Connection).where(
                    Connection.tenant_id == tenant_id, Connection.environment == environment
                )
            ).one_or_none()
            return None if row is None else self._decrypted(row)

    def by_id(self, connection_id: str) -> ConnectionRecord | None:
        """The connection with this id, whatever its tenant (for jobs), or ``None``."""
        with self._db.session() as session:
            row = session.get(Connection, connection_id)
            return None if row is None else self._decrypted(row)

    def disconnect(self, connection_id: str, *, reason: str) -> ConnectionRecord:
        """Mark the connection disconnected (the owner disconnected, or Intuit revoked it).

        The tokens stay (encrypted) and so does every piece of work: it waits for a reconnect.
        """
        with self._db.transaction() as session:
            row = self._locked(session, connection_id)
            row.status = "disconnected"
            row.status_reason = reason
            row.updated_at = self._clock()
            return self._decrypted(row)

    def expiring(self, *, within: timedelta) -> list[ConnectionRecord]:
        """Live connections whose access token, refresh token or 5-year cap ends within
        ``within``, soonest first: the hourly keep-fresh job refreshes them (or, near the cap,
        asks the owner to reconnect)."""
        horizon = self._clock() + within
        with self._db.session() as session:
            rows = session.scalars(
                select(Connection)
                .where(
                    Connection.status != "disconnected",
                    or_(
                        Connection.access_expires_at <= horizon,
                        Connection.refresh_expires_at <= horizon,
                        Connection.hard_expires_at <= horizon,
                    ),
                )
                .order_by(Connection.access_expires_at, Connection.id)
            ).all()
            return [self._decrypted(row) for row in rows]

    def reencrypt_tokens(self) -> int:
        """Re-encrypt every stored token with the newest key; returns how many connections.

        Run it after putting a new key first in the key list; then the old key can go.
        """
        with self._db.transaction() as session:
            rows = session.scalars(select(Connection).with_for_update()).all()
            for row in rows:
                row.access_token = self._cipher.rotate(row.access_token)
                row.refresh_token = self._cipher.rotate(row.refresh_token)
            return len(rows)

    # -- OAuth states -------------------------------------------------------------------------
    def record_state(self, *, nonce: str, tenant_id: str, environment: Environment) -> None:
        """Remember a state sent to Intuit's consent page, for :meth:`consume_state`.

        The nonce must be random (``secrets.token_urlsafe(32)``); one seen before is refused
        with :class:`StateReplayError`.
        """
        try:
            with self._db.transaction() as session:
                session.add(
                    OAuthState(
                        nonce=nonce,
                        tenant_id=tenant_id,
                        environment=environment,
                        created_at=self._clock(),
                    )
                )
        except IntegrityError:
            if self.get_tenant(tenant_id) is None:
                raise TenantNotFoundError(f"no tenant {tenant_id!r}") from None
            raise StateReplayError("this OAuth state was issued before") from None

    def consume_state(self, *, nonce: str, tenant_id: str, environment: Environment) -> None:
        """Use up the state an OAuth callback brought back, or raise.

        It must have been recorded for this tenant and environment, within the state
        lifetime, and not used before: :class:`StateReplayError` if it was,
        :class:`InvalidStateError` otherwise. The check and the marking are one conditional
        ``UPDATE``, so of two callbacks racing with one state exactly one succeeds.
        """
        now = self._clock()
        with self._db.transaction() as session:
            marked = (
                session.connection()
                .execute(
                    update(OAuthState)
                    .where(
                        OAuthState.nonce == nonce,
                        OAuthState.tenant_id == tenant_id,
                        OAuthState.environment == environment,
                        OAuthState.used_at.is_(None),
                        OAuthState.created_at > now - self._state_lifetime,
                    )
                    .values(used_at=now)
                )
                .rowcount
            )
            if marked == 1:
                return
            row = session.get(OAuthState, nonce)
            mine = row is not None and (row.tenant_id, row.environment) == (tenant_id, environment)
            used = row is not None and row.used_at is not None
        if mine and used:
            raise StateReplayError("this OAuth state was already used")
        if mine:
            raise InvalidStateError("this OAuth state expired")
        # unknown, or another tenant's: say nothing more about it
        raise InvalidStateError("unknown OAuth state")

    def prune_states(self, *, older_than: timedelta) -> int:
        """Delete states created before ``older_than`` ago; returns how many."""
        cutoff = self._clock() - older_than
        with self._db.transaction() as session:
            return (
                session.connection()
                .execute(delete(OAuthState).where(OAuthState.created_at < cutoff))
                .rowcount
            )

    # -- single-flight refresh ----------------------------------------------------------------
    async def refresh(
        self,
        connection_id: str,
        *,
        rejected_access_token: str | None,
        refresher: Refresher,
    ) -> ConnectionRecord:
        """A connection whose access token works, refreshing it once if needed.

        ``rejected_access_token`` is the token QuickBooks answered 401 to; ``None`` asks for a
        proactive refresh, done only if the access token expires within the leeway. Every
        caller that queued behind a refresh gets the pair that refresh stored. See the module
        docstring for the locking; raises :class:`ConnectionDisconnectedError` (reconnect)
        and :class:`ConnectionNotFoundError`, or whatever the refresher raised (nothing
        changed).
        """
        loop = asyncio.get_running_loop()
        lock = self._local_lock(loop, connection_id)
        await lock.acquire()
        try:
            future = loop.run_in_executor(
                self._threads,
                self._refresh_blocking,
                _Refresh(connection_id, rejected_access_token, refresher, loop),
            )
        except BaseException:
            lock.release()
            raise
        # the lock is released when the refresh ends, not when a cancelled caller gives up
        future.add_done_callback(functools.partial(_release, lock))
        return await asyncio.shield(future)

    def _local_lock(self, loop: asyncio.AbstractEventLoop, connection_id: str) -> asyncio.Lock:
        with self._locks_guard:
            locks = self._locks.get(loop)
            if locks is None:
                locks = self._locks[loop] = {}
            return locks.setdefault(connection_id, asyncio.Lock())

    def _refresh_blocking(self, call: _Refresh) -> ConnectionRecord:
        """The refresh itself, in a worker thread (see the module docstring)."""
        # Without the lock first: a caller that lost the race usually finds the new token
        # here, and then takes no lock at all.
        with self._db.session() as session:
            row = self._row(session, call.connection_id)
            settled = self._settled(row, call.rejected_access_token)
        if settled is not None:
            return settled
        if self._db.dialect == "sqlite":
            with self._db.file_lock("refresh"):
                return self._refresh_beside(call)
        return self._refresh_in_row_lock(call)

    def _refresh_in_row_lock(self, call: _Refresh) -> ConnectionRecord:
        """PostgreSQL: the row stays locked (``FOR UPDATE``) across the call to Intuit."""
        with self._db.transaction() as session:
            row = self._locked(session, call.connection_id)
            settled = self._settled(row, call.rejected_access_token)
            if settled is not None:
                return settled
            try:
                grant = self._call_refresher(call, self._cipher.decrypt(row.refresh_token))
            except RefreshRejected as exc:
                rejection = exc
                self._mark_rejected(row)
            else:
                return self._store_grant(row, grant)
        # committed: the connection is disconnected
        raise ConnectionDisconnectedError(call.connection_id, INVALID_GRANT_REASON) from rejection

    def _refresh_beside(self, call: _Refresh) -> ConnectionRecord:
        """SQLite, under the refresh file lock: read, call Intuit holding no database lock,
        then write in a short transaction."""
        with self._db.session() as session:
            row = self._row(session, call.connection_id)
            settled = self._settled(row, call.rejected_access_token)
            if settled is not None:
                return settled
            sent = self._cipher.decrypt(row.refresh_token)
        rejection: RefreshRejected | None = None
        try:
            grant = self._call_refresher(call, sent)
        except RefreshRejected as exc:
            rejection = exc
        with self._db.transaction() as session:
            row = self._locked(session, call.connection_id)
            if row.status == "disconnected":  # disconnected while the call was out
                raise ConnectionDisconnectedError(row.id, row.status_reason)
            if self._cipher.decrypt(row.refresh_token) != sent:
                # reconnected while the call was out: the pair that consent gave wins
                return self._decrypted(row)
            if rejection is None:
                return self._store_grant(row, grant)
            self._mark_rejected(row)
        raise ConnectionDisconnectedError(call.connection_id, INVALID_GRANT_REASON) from rejection

    def _call_refresher(self, call: _Refresh, refresh_token: str) -> TokenGrant:
        """Run the refresher on the caller's loop and wait for it, ``refresh_timeout`` at most."""
        running = asyncio.run_coroutine_threadsafe(_await(call.refresher, refresh_token), call.loop)
        try:
            return running.result(timeout=self._refresh_timeout)
        except TimeoutError:
            if running.done():  # the refresher's own TimeoutError
                raise
            running.cancel()
            raise TimeoutError(
                f"the refresh of connection {call.connection_id} took longer than "
                f"{self._refresh_timeout:g} s; nothing was stored"
            ) from None

    def _store_grant(self, row: Connection, grant: TokenGrant) -> ConnectionRecord:
        now = self._clock()
        access = self._cipher.encrypt(grant.access_token)
        refresh = self._cipher.encrypt(grant.refresh_token)
        self._write_grant(row, grant, access, refresh, now)
        row.last_refresh_at = now
        return self._record(row, grant.access_token, grant.refresh_token)

    def _mark_rejected(self, row: Connection) -> None:
        row.status = "disconnected"
        row.status_reason = INVALID_GRANT_REASON
        row.updated_at = self._clock()

    def _settled(
        self, row: Connection, rejected_access_token: str | None
    ) -> ConnectionRecord | None:
        """The connection as it is, if it needs no refresh; raises if it is disconnected."""
        if row.status == "disconnected":
            raise ConnectionDisconnectedError(row.id, row.status_reason)
        record = self._decrypted(row)
        if (
            record.access_token != rejected_access_token
            and record.access_expires_at > self._clock() + self._leeway
        ):
            return record
        return None

    # -- rows to records ----------------------------------------------------------------------
    @staticmethod
    def _row(session: Session, connection_id: str) -> Connection:
        row = session.get(Connection, connection_id)
        if row is None:
            raise ConnectionNotFoundError(f"no connection {connection_id!r}")
        return row

    @staticmethod
    def _locked(session: Session, connection_id: str) -> Connection:
        """The row, locked until the transaction ends (PostgreSQL; SQLite locked at BEGIN)."""
        row = session.scalars(
            select(Connection).where(Connection.id == connection_id).with_for_update()
        ).one_or_none()
        if row is None:
            raise ConnectionNotFoundError(f"no connection {connection_id!r}")
        return row

    def _write_grant(
        self, row: Connection, grant: TokenGrant, access: bytes, refresh: bytes, now: datetime
    ) -> None:
        row.access_token = access
        row.refresh_token = refresh
        row.access_expires_at = grant.access_expires_at
        row.refresh_expires_at = grant.refresh_expires_at
        row.hard_expires_at = grant.hard_expires_at
        row.updated_at = now
        hard = grant.hard_expires_at
        if hard is not None and hard - now <= self._reconnect_warning:
            row.status = "expiring"
            row.status_reason = (
                f"QuickBooks ends this connection on {hard:%Y-%m-%d} (Intuit's 5-year limit): "
                "reconnect the company before then"
            )
        else:
            row.status = "connected"
            row.status_reason = None

    def _decrypted(self, row: Connection) -> ConnectionRecord:
        return self._record(
            row, self._cipher.decrypt(row.access_token), self._cipher.decrypt(row.refresh_token)
        )

    @staticmethod
    def _record(row: Connection, access_token: str, refresh_token: str) -> ConnectionRecord:
        return ConnectionRecord(
            id=row.id,
            tenant_id=row.tenant_id,
            environment=cast(Environment, row.environment),
            realm_id=row.realm_id,
            company_name=row.company_name,
            access_token=access_token,
            refresh_token=refresh_token,
            access_expires_at=row.access_expires_at,
            refresh_expires_at=row.refresh_expires_at,
            hard_expires_at=row.hard_expires_at,
            status=cast(ConnectionStatus, row.status),
            status_reason=row.status_reason,
            connected_at=row.connected_at,
            last_refresh_at=row.last_refresh_at,
            updated_at=row.updated_at,
        )


async def _await(refresher: Refresher, refresh_token: str) -> TokenGrant:
    """The refresher as a coroutine (it need only return an awaitable), run on the loop."""
    return await refresher(refresh_token)


def _release(lock: asyncio.Lock, future: asyncio.Future[Any]) -> None:
    lock.release()
    if not future.cancelled():
        future.exception()  # retrieved: a caller that was cancelled will never look at it
