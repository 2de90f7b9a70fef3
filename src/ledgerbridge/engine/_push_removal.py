"""Deletions: what becomes of the QBO object of a record the host app deleted.

QBO deletes transactions for good, voids some of them, and never deletes name-list records,
only makes them inactive (``QBO-REFERENCE.md`` 4.3 and 4.4). Per record type (:data:`REMOVAL`):

==================================  ===========  ==========================================
record                              QBO action   why
==================================  ===========  ==========================================
customer, project, vendor, item     deactivate   name lists cannot be deleted; inactive,
                                                 they keep their history ("<name> (deleted)")
invoice                             void         keeps its number and audit trail, amounts 0
payment                             void         the same (``include=void``)
sales order (Estimate), purchase    delete       QBO voids none of these through the API
order, bill, credit memo, refund
(RefundReceipt)
inventory level                     nothing      a count at one moment: deleting it changes
                                                 no quantity; the next level sets it
==================================  ===========  ==========================================

QBO refuses some of these: a customer with an open balance cannot be made inactive, an
invoice or credit memo that payments are applied to cannot be voided or deleted, a purchase
order a bill links cannot be deleted. :func:`refused` turns the refusal into a sentence that
says what to do in QBO; the deletion stays queued and is tried again on the next sync.

:class:`Remover` pushes deletions: only a linked record has something to remove (an unlinked
one is skipped with a sentence); a purchase order's bill goes first; the link then says
``deleted`` or ``voided``, and a deletion pushed once is never sent again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, cast

from ledgerbridge.model import TenantSettings
from ledgerbridge.qbo import DataError, NotFoundError, QBOClient, QBOError, StaleObjectError
from ledgerbridge.store import StoredRecord

from ._push_support import (
    ENTITY,
    PO_BILL,
    REMOVED,
    PushFailed,
    PushOutcome,
    PushResult,
    RecordBook,
    from_qbo,
)

__all__ = [
    "REMOVAL",
    "RemovalAction",
    "Remover",
    "nothing_to_remove",
    "refused",
    "remove",
    "removed",
]

RemovalAction = Literal["deactivate", "void", "delete"]

#: record type -> what the app's deletion does to its QBO object (module docstring)
REMOVAL: Final[Mapping[str, RemovalAction]] = MappingProxyType(
    {
        "customer": "deactivate",
        "project": "deactivate",
        "vendor": "deactivate",
        "item": "deactivate",
        "invoice": "void",
        "payment": "void",
        "sales_order": "delete",
        "purchase_order": "delete",
        "bill": "delete",
        "credit_memo": "delete",
        "refund": "delete",
    }
)
_VERB: Final[Mapping[RemovalAction, str]] = {
    "deactivate": "make this {what} inactive",
    "void": "void this {what}",
    "delete": "delete this {what}",
}
_DONE: Final[Mapping[RemovalAction, str]] = {
    "deactivate": "made inactive in QuickBooks ({entity} {qbo_id}), which keeps name-list "
    "records with their history",
    "void": "voided in QuickBooks ({entity} {qbo_id}), which keeps its number with a zero "
    "amount for the audit trail",
    "delete": "deleted in QuickBooks ({entity} {qbo_id})",
}
_Call = Callable[[str, str], Awaitable[dict[str, Any]]]


class _Readable(Protocol):
    async def read(self, object_id: str) -> dict[str, Any]: ...


async def remove(
    resource: _Readable, action: RemovalAction, qbo_id: str, sync_token: str | None
) -> dict[str, Any] | None:
    """Deactivate, void or delete a QBO object; ``None`` when QBO no longer has it.

    ``resource`` is the entity's client namespace. A stale SyncToken (the object was edited
    in QBO since) is re-read and the call made once more, as for updates.
    """
    call = cast(_Call, getattr(resource, action))
    try:
        if sync_token is None:
            sync_token = str((await resource.read(qbo_id))["SyncToken"])
        try:
            return await call(qbo_id, sync_token)
        except StaleObjectError:
            current = await resource.read(qbo_id)
            return await call(qbo_id, str(current["SyncToken"]))
    except NotFoundError:  # deleted in QBO already (or merged away): nothing left to do
        return None


def removed(action: RemovalAction, entity: str, qbo_id: str, *, gone: bool) -> str:
    """The link's sentence after a deletion was pushed."""
    if gone:
        return f"Deleted in the app; QuickBooks {entity} {qbo_id} was already gone."
    return "Deleted in the app; " + _DONE[action].format(entity=entity, qbo_id=qbo_id) + "."


def nothing_to_remove(record_type: str) -> str:
    """Why a deleted record sends nothing: it never reached QBO, or it changes nothing there."""
    if record_type == "inventory_level":
        return (
            "Deleted in the app: an inventory level is a count at one moment, so nothing "
            "changes in QuickBooks; the next level sets the quantity."
        )
    return "Deleted in the app before it reached QuickBooks: there is nothing to delete there."


def refused(error: QBOError, what: str, action: RemovalAction) -> PushFailed:
    """QBO's refusal of a deletion, as a sentence that says what to do in QBO."""
    if not isinstance(error, DataError):  # throttled, offline, reconnect...: QBO's own advice
        return from_qbo(error)
    reason = (error.detail or error.message or str(error)).removeprefix(
        "Business Validation Error: "
    )
    advice = (
        "Settle its open balance in QuickBooks (receive or credit what it owes), then sync "
        "again; the deletion stays queued."
        if "balance" in reason.lower()
        else "Resolve this in QuickBooks, then sync again; the deletion stays queued."
    )
    verb = _VERB[action].format(what=what)
    return PushFailed(
        f"QuickBooks refused to {verb}: {reason.rstrip('.')}. {advice}",
        code=None if error.code is None else str(error.code),
        intuit_tid=error.intuit_tid,
    )


class Remover:
    """Pushes the deletions of one tenant's records to its QBO company (module docstring)."""

    def __init__(self, book: RecordBook, qbo: QBOClient, settings: TenantSettings) -> None:
        self._book = book
        self._qbo = qbo
        self._settings = settings

    async def push(self, stored: StoredRecord, *, gated: bool) -> PushResult:
        """Deactivate, void or delete the QBO object of a record the app deleted, once;
        ``gated``: skip it when its type is not enabled."""
        book, key = self._book, (stored.record_type, stored.app_id)
        if gated and stored.record_type not in self._settings.enabled_types:
            reason = f"Not sent to QuickBooks: {stored.record_type} records are not enabled."
            return book.fail(stored, PushFailed(reason, result="skipped"))
        link = book.link(*key)
        action = REMOVAL.get(stored.record_type)
        if action is None or link is None or link.qbo_id is None:
            return book.fail(stored, PushFailed(nothing_to_remove(key[0]), result="skipped"))
        if link.last_result in REMOVED:  # pushed already: never sent twice
            book.mark_clean(stored)
            done: PushOutcome = "voided" if link.last_result == "voided" else "deleted"
            return PushResult(*key, done, qbo_id=link.qbo_id, message=link.last_message)
        entity, namespace = ENTITY[stored.record_type]
        token = link.sync_token
        try:
            if stored.record_type == "purchase_order" and await self._remove_bill(stored):
                token = None  # deleting the bill changed the order in QBO: read it first
            obj = await remove(getattr(self._qbo, namespace), action, link.qbo_id, token)
        except PushFailed as failure:
            return book.fail(stored, failure)
        except QBOError as error:
            return book.fail(stored, refused(error, key[0].replace("_", " "), action))
        outcome: Literal["deleted", "voided"] = (
            "voided" if action == "void" and obj is not None else "deleted"
        )
        message = removed(action, entity, link.qbo_id, gone=obj is None)
        token = (obj or {}).get("SyncToken") or link.sync_token or "0"
        self._save(stored, stored.record_type, entity, link.qbo_id, str(token), message, outcome)
        book.mark_clean(stored)
        return PushResult(*key, outcome, qbo_id=link.qbo_id, message=message)

    async def _remove_bill(self, stored: StoredRecord) -> bool:
        """Delete a purchase order's bill first: QBO refuses to delete an order a bill links.
        Whether there was one."""
        bill = self._book.link(PO_BILL, stored.app_id)
        if bill is None or bill.qbo_id is None or bill.last_result in REMOVED:
            return False
        try:
            obj = await remove(self._qbo.bills, "delete", bill.qbo_id, bill.sync_token)
        except QBOError as error:
            raise refused(error, "purchase order's bill", "delete") from error
        message = removed("delete", "Bill", bill.qbo_id, gone=obj is None)
        self._save(stored, PO_BILL, "Bill", bill.qbo_id, bill.sync_token or "0", message, "deleted")
        return True

    def _save(
        self,
        stored: StoredRecord,
        record_type: str,
        entity: str,
        qbo_id: str,
        sync_token: str,
        message: str,
        result: Literal["deleted", "voided"],
    ) -> None:
        self._book.links.save(
            tenant_id=self._book.tenant_id,
            record_type=record_type,
            app_id=stored.app_id,
            qbo_type=entity,
            qbo_id=qbo_id,
            sync_token=sync_token,
            pushed_hash=stored.content_hash,
            message=message,
            result=result,
        )
