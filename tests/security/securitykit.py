"""What the security tests share: every log record of a run, and every secret it handled.

:func:`capture_logs` turns every logger up to DEBUG for the block (ledgerbridge's, httpx's,
httpcore's, SQLAlchemy's, uvicorn's, whatever else exists or appears) and keeps each record
as text: its formatted message and traceback, and every extra attribute a handler could
print (a JSON formatter would). :func:`leaks` says which secret, or which 24-character run of
one, appears in that text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from api.apikit import API, Api, bearer, customer
from ledgerbridge.emulator import Emulator

__all__ = [
    "LogCapture",
    "capture_logs",
    "emulator_secrets",
    "leaks",
    "push_customers",
    "requests_to",
]

#: attributes every LogRecord has; any other one is an ``extra`` a formatter may print
_STANDARD: Final = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
#: loggers that may not exist yet when the block starts
_NAMED: Final = ("ledgerbridge", "httpx", "httpcore", "sqlalchemy", "uvicorn", "uvicorn.access")
#: the shortest run of a secret's characters that counts as leaked (a token's prefix, say)
RUN: Final = 24


class LogCapture(logging.Handler):
    """Keeps every record it is given as text, unless ``ignore`` says it is not ours."""

    def __init__(self, ignore: Callable[[logging.LogRecord], bool]) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.ignore = ignore
        self.records: list[str] = []
        self.loggers: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if self.ignore(record):
            return
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        self.records.append(f"{self.format(record)} {extra!r}")
        self.loggers.add(record.name)

    @property
    def text(self) -> str:
        return "\n".join(self.records)


@contextmanager
def capture_logs(ignore: Callable[[logging.LogRecord], bool]) -> Iterator[LogCapture]:
    """Every logger at DEBUG into one :class:`LogCapture` for the block, then as before."""
    handler = LogCapture(ignore)
    manager = logging.root.manager
    loggers = [logging.getLogger(name) for name in _NAMED] + [
        logger for logger in manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    # loggers that do not propagate (uvicorn's) get the handler themselves
    detached = [logger for logger in loggers if not logger.propagate]
    saved = {logger: logger.level for logger in [logging.root, *loggers]}
    for logger in saved:
        logger.setLevel(logging.DEBUG)
    for logger in [logging.root, *detached]:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in [logging.root, *detached]:
            logger.removeHandler(handler)
        for logger, level in saved.items():
            logger.setLevel(level)


def requests_to(base: str) -> Callable[[logging.LogRecord], bool]:
    """Whether a record is httpx's line for a request the test sent to ``base``: the logs of
    the test's browser or API caller, not of ledgerbridge (which httpx also logs)."""

    def sent_by_the_test(record: logging.LogRecord) -> bool:
        args = record.args
        return (
            record.name == "httpx"
            and isinstance(args, tuple)
            and len(args) > 1
            and str(args[1]).startswith(base)
        )

    return sent_by_the_test


def _runs(secret: str) -> Iterator[str]:
    """The secret, and runs of :data:`RUN` characters of it, one every 8 characters: any
    leaked stretch of 32 characters or more contains one."""
    yield secret
    for start in range(0, max(len(secret) - RUN, 0) + 1, 8):
        yield secret[start : start + RUN]


def leaks(text: str, secrets: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """``{what: the run found}`` for each kind of secret that appears in ``text``."""
    found: dict[str, str] = {}
    for what, values in secrets.items():
        for value in values:
            hit = next((run for run in _runs(value) if run in text), None)
            if hit is not None:
                found[what] = hit
    return found


def emulator_secrets(emulator: Emulator) -> dict[str, set[str]]:
    """Every token, code and client secret Intuit's stand-in has issued or holds now."""
    state: dict[str, Any] = emulator.oauth.export_state()
    return {
        "access token": {row["token"] for row in state["access_tokens"]},
        "refresh token": {row["token"] for row in state["refresh_tokens"]},
        "authorization code": {row["code"] for row in state["codes"]},
        "client secret": {app["client_secret"] for app in state["apps"]},
    }


async def push_customers(api: Api, tenant_id: str, key: str, realm_id: str, *ids: str) -> None:
    """Put customers with the tenant's key, request a sync and run it here (QBO is written)."""
    writes = len(api.emulator.request_log(realm_id))
    for app_id in ids:
        answer = await api.put(tenant_id, key, customer(app_id, f"Customer {app_id}"))
        assert answer.status_code in (200, 201, 202), answer.text
    path = f"{API}/tenants/{tenant_id}/sync"
    requested = await api.client.post(path, json={}, headers=bearer(key))
    assert requested.status_code == 202, requested.text
    assert (await api.drain(tenant_id)).runs, "no run was drained"
    assert len(api.emulator.request_log(realm_id)) > writes, "nothing reached QuickBooks"
