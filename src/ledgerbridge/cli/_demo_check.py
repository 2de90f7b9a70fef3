"""``ledgerbridge demo --check``: what QuickBooks holds, compared with the app's records.

Everything is read back through the QBO API (the company's every object of each entity
the records map to, inactive name-list entries included), never from the emulator's
memory, so the check judges what a bookkeeper would see in QuickBooks:

* **in QBO**: each record's link names an object that QuickBooks holds;
* **duplicates**: no two records share an object, no other object carries a record's
  DocNumber or name, and no transaction sits in the company that no record links (the
  demo's company is born empty of transactions, so any such object arrived twice);
* **wrong totals**: each document's ``TotalAmt`` (a payment's or refund's amount) is the
  app's to the cent; each payment applies the app's amounts to the app's invoices and
  keeps the rest as credit; each received purchase order's Bill totals the order;
* **failed**: a record the sync did not get into QuickBooks, with the sync's own sentence.

:func:`check_sync` returns a :class:`SyncCheck`: a row per record type and a sentence per
problem; it passes only when every row is clean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from rich.table import Table

from ledgerbridge.engine import PO_BILL, PUSH_ORDER
from ledgerbridge.mapping import QBO_ENTITY
from ledgerbridge.model import (
    AnyRecord,
    Bill,
    CreditMemo,
    Invoice,
    Payment,
    PurchaseOrder,
    Refund,
    SalesOrder,
    parse_record,
)
from ledgerbridge.qbo import MAX_RESULTS, QBOClient, select
from ledgerbridge.store import LinkRecord, LinkStore, RecordStore

__all__ = ["SyncCheck", "TypeCheck", "check_sync", "check_table"]

#: name lists: their names are unique in QBO, and their inactive entries count too
_NAME_FIELD: Final[Mapping[str, str]] = {
    "Customer": "DisplayName",
    "Vendor": "DisplayName",
    "Item": "Name",
}
#: records read from the store at a time
_PAGE: Final = 500
#: a link's last results that leave QuickBooks behind the app
_UNFINISHED: Final = frozenset({"failed", "waiting"})

Key = tuple[str, str]
Held = Mapping[str, Mapping[str, dict[str, Any]]]


@dataclass
class TypeCheck:
    """The check of one record type: how many records, and how many of each problem."""

    record_type: str
    records: int = 0
    in_qbo: int = 0
    duplicates: int = 0
    wrong_totals: int = 0
    failed: int = 0
    #: in QBO, its last sync finished, its totals the app's (the fault matrix's "synced")
    synced: int = 0
    #: neither in QBO nor failed with a sentence saying why: a silent drop
    lost: int = 0

    @property
    def ok(self) -> bool:
        """Every record is in QBO once, with the app's totals."""
        clean = not (self.duplicates or self.wrong_totals or self.failed)
        return clean and self.in_qbo == self.records


@dataclass(frozen=True)
class SyncCheck:
    """The rows of the summary table, and one sentence per problem found."""

    rows: tuple[TypeCheck, ...]
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and all(row.ok for row in self.rows)

    def row(self, record_type: str) -> TypeCheck:
        """The row of ``record_type`` (``KeyError`` when the app has none of that type)."""
        for row in self.rows:
            if row.record_type == record_type:
                return row
        raise KeyError(record_type)


def check_table(check: SyncCheck) -> Table:
    """The summary table: a row per record type and a total."""
    table = Table(title="QuickBooks compared with the app's records")
    table.add_column("type")
    for name in ("records", "in QBO", "duplicates", "wrong totals", "failed"):
        table.add_column(name, justify="right")
    for row in check.rows:
        table.add_row(row.record_type, *map(str, _figures(row)), style=None if row.ok else "red")
    table.add_section()
    totals = [sum(column) for column in zip(*map(_figures, check.rows), strict=True)]
    table.add_row("total", *map(str, totals or [0] * 5), style="bold")
    return table


def _figures(row: TypeCheck) -> tuple[int, ...]:
    return (row.records, row.in_qbo, row.duplicates, row.wrong_totals, row.failed)


async def check_sync(
    qbo: QBOClient, *, records: RecordStore, links: LinkStore, tenant_id: str
) -> SyncCheck:
    """Compare the tenant's records with what its QuickBooks company holds (module docs)."""
    app = _app_records(records, tenant_id)
    linked = links.of_types(tenant_id=tenant_id, record_types=[*QBO_ENTITY, PO_BILL])
    held = {entity: await _objects(qbo, entity) for entity in sorted(set(QBO_ENTITY.values()))}
    checker = _Checker(linked, held)
    for (record_type, app_id), link in linked.items():
        if record_type == PO_BILL and link.qbo_id is not None:
            checker.claims[("Bill", link.qbo_id)].append((PO_BILL, app_id))
    rows = [checker.check_type(record_type, app[record_type]) for record_type in app]
    checker.count_duplicates(rows)
    return SyncCheck(tuple(rows), tuple(checker.problems))


def _app_records(records: RecordStore, tenant_id: str) -> dict[str, list[AnyRecord]]:
    """The tenant's live records of every pushed type, in push order."""
    found: dict[str, list[AnyRecord]] = {}
    for record_type in PUSH_ORDER:
        after: str | None = None
        while page := records.page(
            tenant_id=tenant_id, record_type=record_type, limit=_PAGE, after=after
        ):
            live = [parse_record(stored.payload) for stored in page if not stored.deleted]
            found.setdefault(record_type, []).extend(live)
            after = page[-1].app_id
    return found


async def _objects(qbo: QBOClient, entity: str) -> dict[str, dict[str, Any]]:
    """Every object of ``entity`` in the company by Id (inactive name-list entries too)."""
    query = select(entity)
    if entity in _NAME_FIELD:
        query = query.where("Active", "IN", [True, False])
    found: dict[str, dict[str, Any]] = {}
    start = 1
    while True:
        response = await qbo.query(query.to_sql(start_position=start, max_results=MAX_RESULTS))
        page = response.get(entity, [])
        found.update((str(obj["Id"]), obj) for obj in page)
        if len(page) < MAX_RESULTS:
            return found
        start += len(page)


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def _app_total(record: AnyRecord) -> Decimal | None:
    """What QBO's ``TotalAmt`` must be for the record (``None``: it has no total)."""
    if isinstance(record, Payment | Refund):
        return record.amount
    if isinstance(record, SalesOrder | Invoice | CreditMemo | PurchaseOrder | Bill):
        return record.total
    return None


def _key(entity: str, obj: Mapping[str, Any]) -> str | None:
    """What must be unique among the entity's objects: the name, else the DocNumber."""
    value = obj.get(_NAME_FIELD.get(entity, "DocNumber"))
    return " ".join(str(value).casefold().split()) if value else None


@dataclass
class _Checker:
    linked: Mapping[Key, LinkRecord]
    held: Held
    problems: list[str] = field(default_factory=list)
    #: (entity, QBO id) -> the records whose link names it, in the order they were checked
    claims: dict[Key, list[Key]] = field(default_factory=lambda: defaultdict(list))

    def check_type(self, record_type: str, records: Sequence[AnyRecord]) -> TypeCheck:
        row = TypeCheck(record_type, records=len(records))
        entity = QBO_ENTITY[record_type]
        for record in records:
            obj = self._object(record_type, record.id, entity, row)
            if obj is None:
                continue
            row.in_qbo += 1
            wrong = list(self._wrong_totals(record, entity, obj))
            if wrong:
                row.wrong_totals += 1
                self.problems.extend(wrong)
            elif self.linked[(record_type, record.id)].last_result not in _UNFINISHED:
                row.synced += 1
        return row

    def _object(
        self, record_type: str, app_id: str, entity: str, row: TypeCheck
    ) -> dict[str, Any] | None:
        """The QBO object the record links, or ``None`` saying why."""
        link = self.linked.get((record_type, app_id))
        if link is None or link.qbo_id is None:
            row.failed += 1
            row.lost += link is None or not _visibly_failed(link)
            why = (link.last_message if link else None) or "the sync never pushed it"
            self.problems.append(f"{record_type} {app_id} is not in QuickBooks: {why}")
            return None
        self.claims[(entity, link.qbo_id)].append((record_type, app_id))
        if link.last_result in _UNFINISHED:  # linked, but its latest version did not go out
            row.lost += not _visibly_failed(link)
            row.failed += 1
            self.problems.append(
                f"{record_type} {app_id}: its last sync did not finish "
                f"({link.last_result}: {link.last_message or 'no reason given'})"
            )
        obj = self.held[entity].get(link.qbo_id)
        if obj is None:
            row.lost += link.last_result not in _UNFINISHED
            self.problems.append(
                f"{record_type} {app_id} is linked to {entity} {link.qbo_id}, which "
                "QuickBooks does not hold"
            )
        return obj

    def _wrong_totals(
        self, record: AnyRecord, entity: str, obj: Mapping[str, Any]
    ) -> Iterator[str]:
        """A sentence per amount of ``obj`` that is not the app's."""
        expected = _app_total(record)
        if expected is not None and _money(obj.get("TotalAmt")) != expected:
            yield (
                f"{record.type} {record.id}: {entity} {obj['Id']} in QuickBooks totals "
                f"{_money(obj.get('TotalAmt')):.2f}, the app's total is {expected:.2f}"
            )
        if isinstance(record, Payment):
            yield from self._applications(record, obj)
        if isinstance(record, PurchaseOrder) and record.status != "ordered":
            yield from self._order_bill(record)

    def _applications(self, payment: Payment, obj: Mapping[str, Any]) -> Iterator[str]:
        applied: dict[str, Decimal] = defaultdict(Decimal)
        for line in obj.get("Line", []):
            for txn in line.get("LinkedTxn", []):
                if txn.get("TxnType") == "Invoice":
                    applied[str(txn["TxnId"])] += _money(line.get("Amount"))
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for application in payment.applications:
            link = self.linked.get(("invoice", application.invoice_id))
            invoice = link.qbo_id if link and link.qbo_id else f"({application.invoice_id})"
            expected[invoice] += application.amount
        if applied != expected:
            yield (
                f"payment {payment.id}: QuickBooks applies {_amounts(applied)}, the app "
                f"{_amounts(expected)}"
            )
        if _money(obj.get("UnappliedAmt")) != payment.credit:
            yield (
                f"payment {payment.id}: QuickBooks keeps {_money(obj.get('UnappliedAmt')):.2f} "
                f"unapplied, the app's credit is {payment.credit:.2f}"
            )

    def _order_bill(self, order: PurchaseOrder) -> Iterator[str]:
        link = self.linked.get((PO_BILL, order.id))
        bill = self.held["Bill"].get(link.qbo_id) if link and link.qbo_id else None
        if bill is None:
            yield f"purchase_order {order.id} is {order.status} but has no Bill in QuickBooks"
            return
        if _money(bill.get("TotalAmt")) != order.total:
            yield (
                f"purchase_order {order.id}: its Bill {bill['Id']} totals "
                f"{_money(bill.get('TotalAmt')):.2f}, the order's total is {order.total:.2f}"
            )

    def count_duplicates(self, rows: Sequence[TypeCheck]) -> None:
        """Objects beyond one per record, once every record has claimed its object: an
        object two records link; an object no record links that carries a record's name or
        DocNumber; a transaction no record links (the company started without any)."""
        by_type = {row.record_type: row for row in rows}
        owners: dict[Key, Key] = {}  # (entity, name or DocNumber) -> the record holding it
        for (entity, qbo_id), claimants in self.claims.items():
            obj = self.held[entity].get(qbo_id)
            if obj is None:
                continue
            for record_type, app_id in claimants[1:]:
                self._duplicate(
                    by_type,
                    record_type,
                    f"{_label(record_type, app_id)} and {_label(*claimants[0])} are both "
                    f"linked to {entity} {qbo_id}",
                )
            key = _key(entity, obj)
            if key is not None:
                owners.setdefault((entity, key), claimants[0])
        for entity, objects in self.held.items():
            for obj_id, obj in objects.items():
                if (entity, obj_id) not in self.claims:
                    self._unlinked(by_type, owners, entity, obj_id, obj)

    def _unlinked(
        self,
        by_type: Mapping[str, TypeCheck],
        owners: Mapping[Key, Key],
        entity: str,
        obj_id: str,
        obj: Mapping[str, Any],
    ) -> None:
        key = _key(entity, obj)
        owner = owners.get((entity, key)) if key is not None else None
        if owner is not None:
            self._duplicate(
                by_type,
                owner[0],
                f"{_label(*owner)} is in QuickBooks more than once: {entity} {obj_id} also "
                f"carries {key!r}",
            )
        elif entity not in _NAME_FIELD:  # the company's own items and the item categories
            self._duplicate(
                by_type,
                _first_type(entity),
                f"{entity} {obj_id} ({obj.get('DocNumber') or 'no DocNumber'}) is in "
                "QuickBooks but no record links it",
            )

    def _duplicate(self, by_type: Mapping[str, TypeCheck], record_type: str, why: str) -> None:
        row = by_type.get("purchase_order" if record_type == PO_BILL else record_type)
        if row is not None:
            row.duplicates += 1
        self.problems.append(why)


def _visibly_failed(link: LinkRecord) -> bool:
    """The link's latest sync failed or waits, and says why (a visible failure)."""
    return link.last_result in _UNFINISHED and bool(link.last_message)


def _label(record_type: str, app_id: str) -> str:
    if record_type == PO_BILL:
        return f"the Bill of purchase_order {app_id}"
    return f"{record_type} {app_id}"


def _first_type(entity: str) -> str:
    """The record type whose row counts the entity's unlinked transactions."""
    return next(t for t in PUSH_ORDER if QBO_ENTITY[t] == entity)


def _amounts(amounts: Mapping[str, Decimal]) -> str:
    if not amounts:
        return "nothing"
    return ", ".join(
        f"{amount:.2f} to invoice {qbo_id}" for qbo_id, amount in sorted(amounts.items())
    )
