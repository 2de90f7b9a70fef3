"""The sync engine: what needs both the QBO client and the store.

So far: a connection's token source for :class:`ledgerbridge.qbo.QBOClient`, the connect
flow (Intuit's authorization-code flow ending in a stored connection), the job that keeps
every connection fresh, :class:`Pusher`, which pushes the app's records to QBO, and
:func:`check_settings`, which checks a tenant's settings against the company's lists.
"""

from ._connections import (
    ConnectError,
    ConnectFlow,
    ConnectionTokens,
    FreshnessReport,
    grant_of,
    keep_connections_fresh,
)
from ._push import PO_BILL, PUSH_ORDER, Pusher, PushOutcome, PushReport, PushResult
from ._settings_check import ListKind, SettingProblem, SettingsCheck, check_settings

__all__ = [
    "PO_BILL",
    "PUSH_ORDER",
    "ConnectError",
    "ConnectFlow",
    "ConnectionTokens",
    "FreshnessReport",
    "ListKind",
    "PushOutcome",
    "PushReport",
    "PushResult",
    "Pusher",
    "SettingProblem",
    "SettingsCheck",
    "check_settings",
    "grant_of",
    "keep_connections_fresh",
]
