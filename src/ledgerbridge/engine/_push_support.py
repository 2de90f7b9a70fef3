"""What the pusher's modules share: its values, the record book, and the owner's sentences.

:class:`PushResult` is what a push did to one record; :class:`PushFailed` carries what goes
on a record's link when it cannot be pushed now, and :class:`RecordBook` writes it there. The
functions turn QBO answers and record states into sentences and into the warnings a push
leaves on a link (a total QBO computed differently, a renamed duplicate, a bill left behind).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal, Protocol

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.mapping import Payload, expected_total, normalize_name, sparse_update
from ledgerbridge.model import (
    AnyRecord,
    CostLine,
    PurchaseOrder,
    parse_record,
    round_money,
    to_decimal,
)
from ledgerbridge.qbo import Page, QBOError, Query, StaleObjectError
from ledgerbridge.store import LinkRecord, LinkSave, LinkStore, RecordStore, StoredRecord

__all__ = [
    "APP_MASTER",
    "BILL_FAILED",
    "ENTITY",
    "PO_BILL",
    "REMOVED",
    "Namespace",
    "PushFailed",
    "PushOutcome",
    "PushReport",
    "PushResult",
    "RecordBook",
    "Written",
    "bill_left_behind",
    "from_qbo",
    "join_warnings",
    "missing_payment_method",
    "new_payment_method",
    "parse",
    "po_line_ids",
    "pushed",
    "quantity",
    "renamed",
    "rows",
    "taken",
    "total_warning",
    "untracked_item",
    "update_owned",
    "written_link",
]

PushOutcome = Literal[
    "created",
    "updated",
    "linked",
    "unchanged",
    "deleted",
    "voided",
    "skipped",
    "waiting",
    "failed",
]

#: record type -> (QBO entity, client namespace attribute)
ENTITY: Final[Mapping[str, tuple[str, str]]] = {
    "customer": ("Customer", "customers"),
    "project": ("Customer", "customers"),
    "vendor": ("Vendor", "vendors"),
    "item": ("Item", "items"),
    "inventory_level": ("InventoryAdjustment", "inventory_adjustments"),
    "sales_order": ("Estimate", "estimates"),
    "invoice": ("Invoice", "invoices"),
    "purchase_order": ("PurchaseOrder", "purchase_orders"),
    "payment": ("Payment", "payments"),
    "credit_memo": ("CreditMemo", "credit_memos"),
    "refund": ("RefundReceipt", "refund_receipts"),
    "bill": ("Bill", "bills"),
}
#: the record type of the link of the Bill a received purchase order becomes (keyed by the
#: order's app id); no record of this type is ever stored
PO_BILL: Final = "purchase_order_bill"
#: link results that say the app deleted the record and its QBO object was removed
REMOVED: Final = frozenset({"deleted", "voided"})
#: why an inventory level is skipped when the app keeps the quantities
APP_MASTER: Final = (
    "Not sent to QuickBooks: the app is the inventory master for this tenant "
    "(inventory_mode app_master), so QuickBooks tracks no quantities."
)
#: how a received purchase order's failure starts when only its bill failed
BILL_FAILED: Final = "The purchase order is in QuickBooks, but its bill could not be written: "

#: QBO's limit on a payment method's Name (QBO-REFERENCE.md 7.6)
_PAYMENT_METHOD_NAME_MAX: Final = 31
#: words that make a new payment method a CREDIT_CARD one (QBO's other Type is NON_CREDIT_CARD)
_CARD_WORDS: Final = frozenset(
    {"visa", "mastercard", "master card", "amex", "american express", "discover", "credit card"}
)
_PO_LINE_TYPES: Final = frozenset({"ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail"})


class Namespace(Protocol):
    """What the pusher uses of a QBO client namespace (``qbo.customers``...)."""

    def select(self) -> Query: ...
    async def read(self, object_id: str) -> dict[str, Any]: ...
    async def query(self, query: Query | None = None) -> Page: ...
    def iterate(self, query: Query | None = None) -> AsyncIterator[dict[str, Any]]: ...
    async def create(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    async def update(self, body: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class PushResult:
    """What a push did to one record."""

    record_type: str
    app_id: str
    outcome: PushOutcome
    qbo_id: str | None = None
    #: the sentence the console shows (why it failed, waits or was skipped)
    message: str | None = None
    #: a problem that did not fail the push (QBO's total differs, a renamed duplicate)
    warning: str | None = None
    error_code: str | None = None
    intuit_tid: str | None = None

    @property
    def ok(self) -> bool:
        """Whether QBO now has what the app has (a deletion included)."""
        return self.outcome in ("created", "updated", "linked", "unchanged", "deleted", "voided")


@dataclass
class PushReport:
    """What :meth:`Pusher.push_dirty` did, one result per record, in push order."""

    results: list[PushResult] = field(default_factory=list)

    def count(self, outcome: PushOutcome) -> int:
        """How many records had this outcome."""
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def failed(self) -> list[PushResult]:
        """The records that failed."""
        return [result for result in self.results if result.outcome == "failed"]


@dataclass(frozen=True)
class Written:
    """A QBO object after a write, and how it got there."""

    obj: dict[str, Any]
    outcome: PushOutcome
    warning: str | None = None


class PushFailed(LedgerbridgeError):
    """The record cannot be pushed now; carries what to record on its link."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        intuit_tid: str | None = None,
        result: Literal["failed", "skipped", "waiting"] = "failed",
    ) -> None:
        super().__init__(message, user_message=message)
        self.code = code
        self.intuit_tid = intuit_tid
        self.result = result


class RecordBook:
    """One tenant's records and links, as the pusher reads and marks them."""

    def __init__(self, tenant_id: str, records: RecordStore, links: LinkStore) -> None:
        self.tenant_id = tenant_id
        self.records = records
        self.links = links

    def link(self, record_type: str, app_id: str) -> LinkRecord | None:
        """The record's link, or ``None``."""
        return self.links.get(tenant_id=self.tenant_id, record_type=record_type, app_id=app_id)

    def holder(self, qbo_type: str, qbo_id: str) -> LinkRecord | None:
        """The link that holds this QBO object, or ``None``."""
        return self.links.by_qbo(tenant_id=self.tenant_id, qbo_type=qbo_type, qbo_id=qbo_id)

    def mark_clean(self, stored: StoredRecord) -> None:
        """The record (or its deletion) as stored is in QBO: no longer dirty."""
        self.records.mark_clean(
            tenant_id=self.tenant_id,
            record_type=stored.record_type,
            app_id=stored.app_id,
            content_hash=stored.content_hash,
            deleted=stored.deleted,
        )

    def fail(self, stored: StoredRecord, failure: PushFailed) -> PushResult:
        """Record the failure on the link; a skipped record is marked clean."""
        link = self.links.record_failure(
            tenant_id=self.tenant_id,
            record_type=stored.record_type,
            app_id=stored.app_id,
            message=failure.user_message,
            error_code=failure.code,
            intuit_tid=failure.intuit_tid,
            result=failure.result,
        )
        if failure.result == "skipped":
            self.mark_clean(stored)
        outcome: PushOutcome = "failed" if failure.result == "failed" else failure.result
        return PushResult(
            stored.record_type,
            stored.app_id,
            outcome,
            qbo_id=link.qbo_id,
            message=failure.user_message,
            error_code=failure.code,
            intuit_tid=failure.intuit_tid,
        )


def pushed(stored: StoredRecord, link: LinkRecord) -> bool:
    """Whether QBO has this content of the record already (its link holds the hash pushed)."""
    return (
        link.linked and link.pushed_hash == stored.content_hash and link.last_result not in REMOVED
    )


async def update_owned(
    resource: Namespace,
    entity: str,
    payload: Payload,
    qbo_id: str,
    sync_token: str | None,
) -> dict[str, Any]:
    """A sparse update of the owned fields; a stale SyncToken is re-read and retried once."""
    if sync_token is None:
        sync_token = str((await resource.read(qbo_id))["SyncToken"])
    try:
        return await resource.update(
            sparse_update(entity, payload, qbo_id=qbo_id, sync_token=sync_token)
        )
    except StaleObjectError:
        current = await resource.read(qbo_id)
        body = sparse_update(entity, payload, qbo_id=qbo_id, sync_token=str(current["SyncToken"]))
        return await resource.update(body)


def quantity(value: object) -> Decimal:
    """A QBO quantity (``25.0`` in JSON) as people write it: 25, 2.5."""
    number = to_decimal(0 if value in (None, "") else value)
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def parse(stored: StoredRecord) -> AnyRecord:
    """The stored record as its canonical model; a record that no longer validates fails."""
    try:
        return parse_record({**stored.payload, "type": stored.record_type, "id": stored.app_id})
    except LedgerbridgeError as error:
        raise PushFailed(error.user_message) from error
    except ValueError as error:
        raise PushFailed(f"The stored record is not valid: {error}") from error


def from_qbo(error: QBOError, prefix: str = "") -> PushFailed:
    """QBO's refusal as a failure on the link, with QBO's code and ``intuit_tid``."""
    return PushFailed(
        prefix + error.user_message,
        code=None if error.code is None else str(error.code),
        intuit_tid=error.intuit_tid,
    )


def rows(response: Mapping[str, Any], entity: str) -> list[dict[str, Any]]:
    """The rows of a ``QueryResponse`` (none when nothing matched)."""
    found = response.get(entity)
    if found is None:
        wanted = entity.lower()
        found = next((v for k, v in response.items() if k.lower() == wanted), [])
    return list(found) if isinstance(found, list) else []


def taken(name: str, renamed_to: str) -> str:
    """Both the name and its duplicate-name-rule variant are used by other QBO records."""
    return (
        f"The name {name!r} is used in QuickBooks by another kind of record (customers, "
        f"vendors and employees share names), and so is {renamed_to!r}; rename one of them."
    )


def renamed(name: str, renamed_to: str) -> str:
    """The warning of a record created under the duplicate-name rule's name."""
    return (
        f"The name {name!r} is used in QuickBooks by another kind of record (customers, "
        f"vendors and employees share names); this record is named {renamed_to!r} there."
    )


def join_warnings(*warnings: str | None) -> str | None:
    """Several warnings as one text for the link (``None`` when there is none)."""
    given = [warning for warning in warnings if warning]
    return " ".join(given) if given else None


def total_warning(record: AnyRecord, payload: Payload, obj: Mapping[str, Any]) -> str | None:
    """A warning when QBO's TotalAmt differs from the payload's or the record's total."""
    if obj.get("TotalAmt") is None:
        return None
    qbo_total = round_money(to_decimal(obj["TotalAmt"]))
    expected = {round_money(expected_total(payload))}
    app_total = getattr(record, "total", None)
    if isinstance(app_total, Decimal):
        expected.add(round_money(app_total))
    wrong = sorted(total for total in expected if total != qbo_total)
    if not wrong:
        return None
    return (
        f"QuickBooks computed a total of {qbo_total} but the app's total is "
        f"{wrong[0]}; check the lines, discount and tax of this record in QuickBooks."
    )


def written_link(
    stored: StoredRecord,
    obj: Mapping[str, Any],
    *,
    qbo_type: str,
    warning: str | None,
    record_type: str | None = None,
) -> LinkSave:
    """The link a successful write leaves: the QBO object as answered, the hash pushed.

    ``record_type`` is the link's when it is not the record's own (a received order's bill).
    """
    return LinkSave(
        record_type=record_type or stored.record_type,
        app_id=stored.app_id,
        qbo_type=qbo_type,
        qbo_id=str(obj["Id"]),
        sync_token=str(obj.get("SyncToken", "0")),
        pushed_hash=stored.content_hash,
        warning=warning,
    )


def paid_invoices(payment: Mapping[str, Any]) -> list[str]:
    """The QBO Ids of the invoices a written payment applies to: QBO changed each of them
    (Balance, LinkedTxn, a new SyncToken), so their links' SyncTokens are out of date."""
    return sorted(
        {
            str(txn["TxnId"])
            for line in payment.get("Line") or []
            for txn in line.get("LinkedTxn") or []
            if txn.get("TxnType") == "Invoice" and txn.get("TxnId") is not None
        }
    )


def untracked_item(item: Mapping[str, Any], app_id: str) -> str:
    """Why an inventory level of an item QBO keeps no quantity for is skipped."""
    return (
        f"Not sent to QuickBooks: the item {item.get('Name', app_id)!r} is a "
        f"{item.get('Type')} item there, and QuickBooks keeps quantities only for "
        "Inventory items."
    )


# -- payment methods ----------------------------------------------------------------------------
def missing_payment_method(name: str) -> str:
    """The sentence for a payment method QBO lacks while creating it is not allowed."""
    return (
        f"QuickBooks has no payment method named {name!r}, which this record's payment method "
        "maps to (payment_methods setting): create it in QuickBooks, map the method to one "
        "that exists, or turn on create_missing_payment_methods so that ledgerbridge creates it."
    )


def new_payment_method(name: str) -> dict[str, str]:
    """The create body of a QBO PaymentMethod; card brands are CREDIT_CARD methods."""
    if len(name) > _PAYMENT_METHOD_NAME_MAX:
        raise PushFailed(
            f"The payment method {name!r} cannot be created in QuickBooks: its names hold at "
            f"most {_PAYMENT_METHOD_NAME_MAX} characters. Map the method to a shorter name "
            "(payment_methods setting)."
        )
    folded = normalize_name(name)
    card = any(word in folded for word in _CARD_WORDS)
    return {"Name": name, "Type": "CREDIT_CARD" if card else "NON_CREDIT_CARD"}


# -- purchase orders ----------------------------------------------------------------------------
def po_line_ids(record: PurchaseOrder, order: Mapping[str, Any]) -> list[str] | None:
    """The Ids QBO gave the order's lines, in order, when they are the lines the app sends
    (so that each bill line can link its order line); ``None`` when they differ in number."""
    ids = [
        str(line["Id"])
        for line in order.get("Line") or []
        if line.get("DetailType") in _PO_LINE_TYPES and line.get("Id") is not None
    ]
    # mapping leaves out zero cost lines: QBO has no line for them
    sent = [line for line in record.lines if not (isinstance(line, CostLine) and line.amount == 0)]
    return ids if len(ids) == len(sent) else None


def bill_left_behind(bill_id: str) -> str:
    """The warning of a purchase order set back to ordered after it became a bill."""
    return (
        f"The purchase order is back to ordered, but QuickBooks still has the bill it became "
        f"(Bill {bill_id}). ledgerbridge leaves that bill alone: delete it in QuickBooks if the "
        "goods did not arrive."
    )
