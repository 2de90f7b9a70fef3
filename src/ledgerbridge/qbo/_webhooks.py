"""Intuit's webhook notifications: the signature, and the two payload formats.

``shared/QBO-REFERENCE.md`` section 9:

* **Signature** (9.4): the ``intuit-signature`` header is Base64(HMAC-SHA256(verifier token,
  raw body)). :func:`verify_signature` checks it over the exact bytes received, in constant
  time, and is meant to run *before* anything parses the body: an unsigned body is never
  read as JSON.
* **Classic** (9.2): ``{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities":
  [{"name", "id", "operation", "lastUpdated", "deletedId"?}]}}]}``.
* **CloudEvents** (9.3): a JSON *array* of events with ``id`` (unique, for de-duplication),
  ``type`` ``qbo.<entity lower-case>.<verb>.v1``, ``time``, ``intuitentityid`` and
  ``intuitaccountid`` (the realm). Only ``created`` is a confirmed verb; ``updated``,
  ``deleted``, ``voided`` and ``merged`` are read as their natural counterparts, and a merge's
  ``deletedId`` is looked for in ``data`` (both UNVERIFIED, as in the emulator).

:func:`parse_notification` turns either format into :class:`EntityChange` values, one per
entity change; a payload that is neither raises :class:`WebhookPayloadError` naming what is
wrong. Notifications carry only ids and operations: the receiver reads the objects afterwards.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from ledgerbridge._errors import LedgerbridgeError

__all__ = [
    "SIGNATURE_HEADER",
    "EntityChange",
    "WebhookPayloadError",
    "parse_notification",
    "sign_notification",
    "verify_signature",
]

#: The header Intuit signs every notification with (section 9.4).
SIGNATURE_HEADER: Final = "intuit-signature"

#: CloudEvents verbs -> Intuit's operation names (section 9.3; only "created" is confirmed).
_OPERATIONS: Final[Mapping[str, str]] = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "voided": "Void",
    "merged": "Merge",
    "emailed": "Emailed",
}
#: Entities as Intuit spells them, by their lower-case CloudEvents name (section 9.1's list).
_ENTITIES: Final[Mapping[str, str]] = {
    name.lower(): name
    for name in (
        "Account",
        "Bill",
        "BillPayment",
        "Budget",
        "Class",
        "CreditMemo",
        "Currency",
        "Customer",
        "Department",
        "Deposit",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "JournalCode",
        "JournalEntry",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "Purchase",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "TaxAgency",
        "Term",
        "TimeActivity",
        "Transfer",
        "Vendor",
        "VendorCredit",
    )
}

NotificationFormat = Literal["classic", "cloudevents"]


class WebhookPayloadError(LedgerbridgeError):
    """A signed notification that is not in either of Intuit's formats."""

    user_message = "QuickBooks sent a webhook notification ledgerbridge cannot read."


@dataclass(frozen=True)
class EntityChange:
    """One entity change a notification announces (the object itself is read afterwards)."""

    realm_id: str
    #: Intuit's entity name, e.g. ``Customer``, ``PurchaseOrder``
    entity: str
    #: the object's Id (for a merge: the record that stays)
    id: str
    #: ``Create``, ``Update``, ``Delete``, ``Void``, ``Merge`` or ``Emailed``
    operation: str
    #: when the change happened (``lastUpdated`` / ``time``): the source of truth for order
    last_updated: datetime | None
    #: the CloudEvents ``id`` (unique per event); ``None`` in the classic format
    event_id: str | None = None
    #: a merge's merged-away record (it no longer exists)
    deleted_id: str | None = None


def sign_notification(body: bytes, verifier_token: str) -> str:
    """The ``intuit-signature`` QBO puts on ``body``: Base64(HMAC-SHA256(token, body))."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """Whether ``signature`` is QBO's signature of exactly ``body`` (constant-time compare).

    A missing, empty or non-Base64 signature is simply wrong; the body is not looked at
    beyond hashing it.
    """
    if not signature or not verifier_token:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(given, expected)


def _format(document: object) -> NotificationFormat:
    """``cloudevents`` for a JSON array, ``classic`` for an object with eventNotifications."""
    if isinstance(document, list):
        return "cloudevents"
    if isinstance(document, dict) and "eventNotifications" in document:
        return "classic"
    raise WebhookPayloadError(
        "a notification is a JSON array (CloudEvents) or an object with eventNotifications "
        "(classic)"
    )


def parse_notification(body: bytes) -> list[EntityChange]:
    """Every entity change of a notification, in the order given, in either format."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookPayloadError(f"the notification is not JSON: {error}") from None
    if _format(document) == "cloudevents":
        return [_cloud_event(event, index) for index, event in enumerate(document)]
    return _classic(document)


def _classic(document: Mapping[str, Any]) -> list[EntityChange]:
    notifications = document.get("eventNotifications")
    if not isinstance(notifications, list):
        raise WebhookPayloadError("eventNotifications is not a list")
    changes: list[EntityChange] = []
    for n, notification in enumerate(notifications):
        where = f"eventNotifications[{n}]"
        if not isinstance(notification, dict):
            raise WebhookPayloadError(f"{where} is not an object")
        realm_id = _text(notification.get("realmId"), f"{where}.realmId")
        event = notification.get("dataChangeEvent") or {}
        entities = event.get("entities") if isinstance(event, dict) else None
        if not isinstance(entities, list):
            raise WebhookPayloadError(f"{where}.dataChangeEvent.entities is not a list")
        for e, entity in enumerate(entities):
            at = f"{where}.dataChangeEvent.entities[{e}]"
            if not isinstance(entity, dict):
                raise WebhookPayloadError(f"{at} is not an object")
            deleted = entity.get("deletedId")
            changes.append(
                EntityChange(
                    realm_id=realm_id,
                    entity=_entity(_text(entity.get("name"), f"{at}.name")),
                    id=_text(entity.get("id"), f"{at}.id"),
                    operation=_text(entity.get("operation"), f"{at}.operation"),
                    last_updated=_moment(entity.get("lastUpdated")),
                    deleted_id=None if deleted in (None, "") else str(deleted),
                )
            )
    return changes


def _cloud_event(event: object, index: int) -> EntityChange:
    where = f"event [{index}]"
    if not isinstance(event, dict):
        raise WebhookPayloadError(f"{where} is not an object")
    kind = _text(event.get("type"), f"{where}.type")
    parts = kind.split(".")
    if len(parts) < 3 or parts[0] != "qbo":
        raise WebhookPayloadError(f"{where}.type {kind!r} is not qbo.<entity>.<verb>.v1")
    verb = parts[2]
    data = event.get("data")
    deleted = data.get("deletedId") if isinstance(data, dict) else None
    return EntityChange(
        realm_id=_text(event.get("intuitaccountid"), f"{where}.intuitaccountid"),
        entity=_entity(parts[1]),
        id=_text(event.get("intuitentityid"), f"{where}.intuitentityid"),
        operation=_OPERATIONS.get(verb, verb.capitalize()),
        last_updated=_moment(event.get("time")),
        event_id=_text(event.get("id"), f"{where}.id"),
        deleted_id=None if deleted in (None, "") else str(deleted),
    )


def _text(value: object, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise WebhookPayloadError(f"{where} is missing or not text")
    return value.strip()


def _entity(name: str) -> str:
    """Intuit's spelling of an entity name given in any case."""
    return _ENTITIES.get(name.lower(), name[:1].upper() + name[1:])


def _moment(value: object) -> datetime | None:
    """A notification timestamp; ``-0700`` offsets and ``Z`` both read, garbage as unknown."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]  # -0700 -> -07:00
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
