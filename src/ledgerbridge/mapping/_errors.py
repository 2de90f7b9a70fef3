"""What mapping raises, grouped by what the engine does next.

::

    LedgerbridgeError
    ├── MappingError                  FIX DATA: the record cannot become a QBO payload as it is
    │   │                             (a DocNumber over 21 characters, a purchase order with
    │   │                             nothing to send); ``field`` names what to fix
    │   ├── UnresolvedReferenceError  RESOLVE: a customer, item, account... has no QBO Id in
    │   │                             the ``Refs`` given; resolve or create it, then map again
    │   └── SettingRequiredError      WAIT: a tenant setting the record needs is not set (the
    │                                 refund account); the record waits until it is
    └── SkipRecordError               SKIP: not a failure; the record is deliberately not sent
                                      ($0 invoices unless the tenant syncs them, an order not
                                      received yet as a bill, an unchanged quantity)

Every message is one sentence a shop owner can act on (``user_message``), and names the
record's field or the setting concerned (``QBO-REFERENCE.md`` section 13.5: payload problems
are parked with their reason instead of being sent to fail with a 2050 or 6000).
"""

from __future__ import annotations

from ledgerbridge._errors import LedgerbridgeError

__all__ = ["MappingError", "SettingRequiredError", "SkipRecordError", "UnresolvedReferenceError"]


class MappingError(LedgerbridgeError):
    """The record cannot be sent to QBO as it is; ``field`` names the field to fix."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, user_message=message)
        self.field = field


class UnresolvedReferenceError(MappingError):
    """A record the payload refers to has no QBO Id yet; the engine resolves it first.

    ``field`` is the referring field (``"lines[2].item_id"``, ``"refund_account"``),
    ``app_id`` the app id or QBO name that was looked up, ``kind`` what it names.
    """

    def __init__(self, field: str, app_id: str, *, kind: str = "record") -> None:
        message = (
            f"{field}: the {kind} {app_id!r} has no QuickBooks record resolved yet; it must be "
            "matched or created in QuickBooks before this record is sent."
        )
        super().__init__(message, field=field)
        self.app_id = app_id
        self.kind = kind


class SettingRequiredError(MappingError):
    """A tenant setting the record needs is not set; the record waits until it is."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message, field=setting)
        self.setting = setting


class SkipRecordError(LedgerbridgeError):
    """Not a failure: by the tenant's settings or the record's state, nothing is sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, user_message=reason)
        self.reason = reason
