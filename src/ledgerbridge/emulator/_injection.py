"""Faults on demand: the emulator's worst days, for the next N matching requests.

This module keeps the armed rules; :mod:`._middleware` acts on them.

A rule names a kind, a count, and optionally a company, a method and a path pattern (a
regular expression searched in the request path). Each matching request uses one count; the
kinds that act on a company (tokens, subscription, closed books) only match requests to a
company's data API, so that an OAuth or discovery request in between does not use them up.
The kinds are what QBO and its network do to integrations:

==========================  ==============================================================
``http_500``                500 with QBO's SystemFault (code 10000)
``http_502`` / ``_503`` /   the gateway's own 502, 503 or 504 page (not JSON)
``_504``
``http_429``                429 with the throttling Fault (code 3001)
``hang``                    no answer for ``seconds`` (default 150: past QBO's own 120 s
                            cut-off and any sane client timeout), then a 504; nothing runs
``drop``                    the connection closes without an answer; nothing runs
``access_token_expired``    every access token of the company expires now; the request
                            then fails with 401 (code 3200) and the client must refresh
``refresh_token_revoked``   the company's connection is revoked (as when the user
                            disconnects the app): 401 now, ``invalid_grant`` on refresh
``subscription_ended``      400 with Fault 6190
``books_closed``            400 with Fault 6210
``committed_response_lost`` the request runs (the write happens, its requestid is
                            recorded), then the client gets a dropped connection (or a 504
                            with ``respond: "504"``): the fault that makes naive
                            integrations post duplicates
==========================  ==============================================================
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["FAULT_KINDS", "FaultInjector", "FaultRule"]

FAULT_KINDS = (
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "http_429",
    "hang",
    "drop",
    "access_token_expired",
    "refresh_token_revoked",
    "subscription_ended",
    "books_closed",
    "committed_response_lost",
)

#: Kinds about one company: without a company to act on they would do nothing.
_COMPANY_KINDS = frozenset(
    {"access_token_expired", "refresh_token_revoked", "subscription_ended", "books_closed"}
)


@dataclass
class FaultRule:
    """One armed fault."""

    id: int
    kind: str
    remaining: int
    realm_id: str | None = None
    path: str | None = None
    method: str | None = None
    seconds: float | None = None
    respond: str = "drop"

    def matches(self, method: str, path: str, realm_id: str | None) -> bool:
        if self.realm_id is not None and self.realm_id != realm_id:
            return False
        if realm_id is None and self.kind in _COMPANY_KINDS:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or re.search(self.path, path, re.IGNORECASE) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "remaining": self.remaining,
            "realm_id": self.realm_id,
            "path": self.path,
            "method": self.method,
            "seconds": self.seconds,
            "respond": self.respond,
        }


class FaultInjector:
    """The armed faults, first armed first served."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def arm(
        self,
        kind: str,
        *,
        count: int = 1,
        realm_id: str | None = None,
        path: str | None = None,
        method: str | None = None,
        seconds: float | None = None,
        respond: str = "drop",
    ) -> FaultRule:
        """Arm a fault; raises ``ValueError`` naming what is wrong with the request."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of: {', '.join(FAULT_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if respond not in ("drop", "504"):
            raise ValueError("respond must be 'drop' or '504'")
        if seconds is not None and seconds < 0:
            raise ValueError("seconds must not be negative")
        if path is not None:
            try:
                re.compile(path)
            except re.error as exc:
                raise ValueError(f"path is not a regular expression: {exc}") from None
        rule = FaultRule(next(self._ids), kind, count, realm_id, path, method, seconds, respond)
        self._rules.append(rule)
        return rule

    def take(self, method: str, path: str, realm_id: str | None) -> FaultRule | None:
        """The first rule this request matches, with one count used."""
        for rule in self._rules:
            if rule.matches(method, path, realm_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                return rule
        return None

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def clear(self) -> None:
        self._rules.clear()
