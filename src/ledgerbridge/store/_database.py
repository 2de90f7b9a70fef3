"""The database: engine, sessions, transactions and migrations, for SQLite and PostgreSQL.

SQLite is the embedded default and PostgreSQL the choice at scale; both must give the same
guarantees to the repositories, above all an exclusive lock that holds across processes for
the single-flight token refresh. What each needs:

* **SQLite.** Python's ``sqlite3`` opens transactions lazily and only before writes, which
  breaks ``BEGIN IMMEDIATE``; so, as SQLAlchemy documents for pysqlite, the driver's own
  transaction handling is switched off (``isolation_level = None``) and SQLAlchemy's ``begin``
  event emits ``BEGIN`` itself. A write transaction (:meth:`Database.transaction`) emits
  ``BEGIN IMMEDIATE``: it takes the database's RESERVED lock up front, so writers in any
  thread or process queue at the start instead of failing halfway with "database is locked"
  when a read lock cannot be upgraded. WAL journal mode lets readers go on while one writer
  holds that lock (``synchronous`` stays FULL: a rotated refresh token must survive a power
  cut); ``busy_timeout`` (30 s) makes a waiting writer sleep and retry rather than fail at
  once. Foreign keys are enforced (SQLite's default is off). An in-memory database is
  refused: each thread would get its own, and the refresh works in threads.
* **PostgreSQL.** Plain transactions; repositories lock rows with ``SELECT ... FOR UPDATE``
  (which SQLite's compiler leaves out, its lock being the whole database). A bare
  ``postgresql://`` URL uses psycopg (3); the driver is not a dependency of ledgerbridge, and
  its absence is reported as :class:`StoreConfigurationError`.

Nothing here runs at import time: a :class:`Database` is made by an entry point from
``Settings`` and passed down.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from ._errors import StoreConfigurationError

__all__ = ["Database"]

#: how long a SQLite writer waits for the lock before "database is locked" (write transactions
#: are short: a token refresh holds its own file lock, not this one, during its HTTP call)
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
#: the execution option that makes SQLite begin with ``BEGIN IMMEDIATE``
_IMMEDIATE: Final = "ledgerbridge_begin_immediate"


class Database:
    """One database (SQLite file or PostgreSQL): its engine and sessions, and migrations."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            if parsed.database in (None, "", ":memory:") or "memory" in parsed.query.values():
                raise StoreConfigurationError(
                    "an in-memory SQLite database cannot be shared between threads; "
                    "use a file (sqlite:///path/to/ledgerbridge.db)"
                )
            engine = create_engine(
                parsed,
                echo=echo,
                connect_args={"check_same_thread": False},
                json_serializer=json_text,
            )
            _configure_sqlite(engine)
        elif backend == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            try:
                engine = create_engine(
                    parsed, echo=echo, pool_pre_ping=True, json_serializer=json_text
                )
            except ModuleNotFoundError:
                raise StoreConfigurationError(
                    f"PostgreSQL needs a driver: install psycopg (pip install 'psycopg[binary]') "
                    f"for {parsed.drivername}"
                ) from None
        else:
            raise StoreConfigurationError(
                f"unsupported database {backend!r}: use a sqlite:/// or postgresql:// URL"
            )
        self.url: URL = parsed
        self.engine: Engine = engine
        self._writer = engine.execution_options(**{_IMMEDIATE: True})
        self._read_sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading; whatever it did is rolled back at the end.

        On SQLite in WAL mode a reader never waits for a writer, even one that holds the
        lock during a token refresh.
        """
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a write transaction: committed at the end, rolled back on any error.

        On SQLite it starts with ``BEGIN IMMEDIATE``, so that the whole transaction holds the
        database's write lock (waiting up to the busy timeout for it); on PostgreSQL, lock
        the rows to change with ``select(...).with_for_update()``.
        """
        with self._write_sessions.begin() as session:
            yield session

    @contextmanager
    def file_lock(self, name: str) -> Iterator[None]:
        """SQLite only: an exclusive lock, across threads and processes, on the file
        ``<database>.<name>.lock`` beside the database.

        It is ``flock(2)``: each holder opens the file anew, so threads of one process exclude
        each other too, and the system drops the lock of a process that dies holding it.
        Unlike the database's own write lock, it blocks nobody but the callers of this name.
        """
        if self.dialect != "sqlite" or not self.url.database:
            raise StoreConfigurationError("a file lock is for a SQLite database file")
        database = Path(self.url.database).expanduser().resolve()
        with database.with_name(f"{database.name}.{name}.lock").open("ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def migrate(self) -> None:
        """Bring the schema up to the newest migration (a no-op when it is there already).

        The migrations travel inside the package, so no ``alembic.ini`` is needed. On SQLite
        the upgrade runs in a write transaction, so that processes starting together migrate
        one after the other (the second finds nothing to do).
        """
        # imported here: Alembic is a fifth of the store's import time, and only the process
        # that migrates (an entry point, once) needs it, not every worker
        from alembic import command
        from alembic.config import Config

        config = Config()
        location = str(resources.files("ledgerbridge.store").joinpath("migrations"))
        # Config values go through configparser interpolation: a "%" in the path must double
        config.set_main_option("script_location", location.replace("%", "%%"))
        with self._writer.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or in a child after ``fork``)."""
        self.engine.dispose()


def json_text(value: object) -> str:
    """How JSON columns are written: :func:`json.dumps`, with a ``Decimal`` (money in a QBO
    request body the operation log keeps) as its exact text, and any mapping as an object."""
    return json.dumps(value, default=_json_default)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


def _configure_sqlite(engine: Engine) -> None:
    """SQLAlchemy's documented pysqlite recipe, plus WAL, a busy timeout and foreign keys."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):  # pragma: no cover
            return
        # SQLAlchemy emits BEGIN itself (below); sqlite3 must not begin or commit on its own
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # first, so that switching to WAL (which needs a lock) waits like anything else
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
