"""What every command shares: settings read once, the database, and errors as one sentence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, NoReturn

import typer
from sqlalchemy.exc import SQLAlchemyError

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.settings import Settings, load_settings
from ledgerbridge.store import ConnectionStore, Database, StoreConfigurationError, TokenCipher

__all__ = [
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "connection_store",
    "describe_url",
    "fail",
    "guarded",
    "open_database",
    "settings_once",
]

#: some input was refused, the rest was processed
EXIT_REJECTED: Final = 1
#: the command could not run as asked (bad settings, unknown tenant, unreadable file...)
EXIT_USAGE: Final = 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one sentence on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextmanager
def guarded() -> Iterator[None]:
    """Turn the errors ledgerbridge can describe into one sentence and exit code 2."""
    try:
        yield
    except LedgerbridgeError as exc:
        fail(_sentence(exc))
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        fail(f"The database could not be used ({_one_line(str(cause)).splitlines()[0]}).")


def _sentence(exc: LedgerbridgeError) -> str:
    """What to tell the person at the terminal (there is no log to point them to)."""
    if "user_message" not in vars(exc) and isinstance(exc, StoreConfigurationError):
        text = str(exc)  # the class's sentence says "the log says which one"; this says it
    else:
        text = exc.user_message or str(exc)
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def settings_once() -> Settings:
    """The settings, read at the command's entry; misconfiguration exits 2 with every problem."""
    try:
        return load_settings()
    except LedgerbridgeError as exc:
        fail(_sentence(exc))


def describe_url(database: Database) -> str:
    """The database URL without its password, for messages."""
    return database.url.render_as_string(hide_password=True)


@contextmanager
def open_database(settings: Settings, *, migrate: bool = True) -> Iterator[Database]:
    """The database of ``settings``, migrated to the newest schema, disposed of at the end."""
    database = Database(settings.database_url)
    try:
        if migrate:
            database.migrate()
        yield database
    finally:
        database.dispose()


def connection_store(database: Database, settings: Settings) -> ConnectionStore:
    """A connection store; without a secret key, tokens cannot be read but tenants can."""
    key = settings.secret_key
    cipher = TokenCipher(key.get_secret_value() if key is not None else TokenCipher.generate_key())
    return ConnectionStore(database, cipher)
