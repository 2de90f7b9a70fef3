"""The sync engine: what needs both the QBO client and the store.

So far: a connection's token source for :class:`ledgerbridge.qbo.QBOClient`, the connect
flow (Intuit's authorization-code flow ending in a stored connection), the job that keeps
every connection fresh, :class:`Pusher`, which pushes the app's records to QBO, and
:func:`check_settings`, which checks a tenant's settings against the company's lists, and
the sync runs the jobs execute (:class:`SyncRuntime`, :func:`drain_lane`, :func:`sweep`),
and what comes back from QBO (:class:`InboundSync`: the import at setup, webhooks, CDC) with
the events feed (:func:`publish_results`, :func:`deliver_events`; docs/inbound.md).
"""

from ._bulk import WAVES, BulkPusher, BulkStats
from ._connections import (
    ConnectError,
    ConnectFlow,
    ConnectionTokens,
    FreshnessReport,
    grant_of,
    keep_connections_fresh,
)
from ._events import (
    SIGNATURE_HEADER,
    DeliveryBackoff,
    DeliveryReport,
    deliver_events,
    publish_results,
    sign_delivery,
    verify_delivery,
)
from ._inbound import CDC_LOOK_BACK, InboundSync, NotificationReport, PollReport, TenantAccess
from ._inbound_changes import WATCHED, InboundReport
from ._memo import CompanyMemo
from ._push import PO_BILL, PUSH_ORDER, Pusher, PushOutcome, PushReport, PushResult
from ._settings_check import ListKind, SettingProblem, SettingsCheck, check_settings
from ._sync import (
    LaneReport,
    NotConnectedError,
    RunLogFilter,
    Selection,
    SweepReport,
    SyncError,
    SyncRuntime,
    SyncSetupError,
    drain_lane,
    lane_name,
    poll_changes,
    refresh_connections,
    request_auto_sync,
    request_run,
    schedule_due,
    sweep,
)

__all__ = [
    "CDC_LOOK_BACK",
    "PO_BILL",
    "PUSH_ORDER",
    "SIGNATURE_HEADER",
    "WATCHED",
    "WAVES",
    "BulkPusher",
    "BulkStats",
    "CompanyMemo",
    "ConnectError",
    "ConnectFlow",
    "ConnectionTokens",
    "DeliveryBackoff",
    "DeliveryReport",
    "FreshnessReport",
    "InboundReport",
    "InboundSync",
    "LaneReport",
    "ListKind",
    "NotConnectedError",
    "NotificationReport",
    "PollReport",
    "PushOutcome",
    "PushReport",
    "PushResult",
    "Pusher",
    "RunLogFilter",
    "Selection",
    "SettingProblem",
    "SettingsCheck",
    "SweepReport",
    "SyncError",
    "SyncRuntime",
    "SyncSetupError",
    "TenantAccess",
    "check_settings",
    "deliver_events",
    "drain_lane",
    "grant_of",
    "keep_connections_fresh",
    "lane_name",
    "poll_changes",
    "publish_results",
    "refresh_connections",
    "request_auto_sync",
    "request_run",
    "schedule_due",
    "sign_delivery",
    "sweep",
    "verify_delivery",
]
