"""The sync engine: what needs both the QBO client and the store.

So far: a connection's token source for :class:`ledgerbridge.qbo.QBOClient`, the connect
flow (Intuit's authorization-code flow ending in a stored connection), the job that keeps
every connection fresh, and :class:`Pusher`, which pushes the app's records to QBO.
"""

from ._connections import (
    ConnectError,
    ConnectFlow,
    ConnectionTokens,
    FreshnessReport,
    grant_of,
    keep_connections_fresh,
)
from ._push import PUSH_ORDER, Pusher, PushOutcome, PushReport, PushResult

__all__ = [
    "PUSH_ORDER",
    "ConnectError",
    "ConnectFlow",
    "ConnectionTokens",
    "FreshnessReport",
    "PushOutcome",
    "PushReport",
    "PushResult",
    "Pusher",
    "grant_of",
    "keep_connections_fresh",
]
