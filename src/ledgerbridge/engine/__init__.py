"""The sync engine: what needs both the QBO client and the store.

So far: a connection's token source for :class:`ledgerbridge.qbo.QBOClient`, the connect
flow (Intuit's authorization-code flow ending in a stored connection), and the job that keeps
every connection fresh.
"""

from ._connections import (
    ConnectError,
    ConnectFlow,
    ConnectionTokens,
    FreshnessReport,
    grant_of,
    keep_connections_fresh,
)

__all__ = [
    "ConnectError",
    "ConnectFlow",
    "ConnectionTokens",
    "FreshnessReport",
    "grant_of",
    "keep_connections_fresh",
]
