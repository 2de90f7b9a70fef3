"""The machine-shop data set pushed end to end: a new QBO company ends up holding the shop.

One data set of about 600 records (``ledgerbridge.dataset``) is pushed once per module to a
fresh emulator company under :func:`machine_shop_settings`; each test then checks one promise
of issue 5 against what is in QBO: every record there exactly once, totals to the cent,
payments on the right invoices, no request when nothing changed, one sparse update for one
changed field, and a bookkeeper's own field kept. The tests that change something push the
change, so that every test starts from a company in step with the app.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from pushkit import TENANT, World, money, open_database, open_world

from ledgerbridge.dataset import machine_shop, machine_shop_settings
from ledgerbridge.engine import PO_BILL, PushReport
from ledgerbridge.mapping import owned_fields
from ledgerbridge.model import (
    AnyRecord,
    Bill,
    CreditMemo,
    Customer,
    InventoryLevel,
    Invoice,
    Item,
    Payment,
    PurchaseOrder,
    Refund,
    SalesOrder,
    to_decimal,
)

pytestmark = pytest.mark.integration

#: records in the data set: hundreds of each kind of party and document (issue 5), about
#: half a minute of pushing one record at a time
RECORDS = 3500
#: the kinds the issue asks "hundreds of"
HUNDREDS = ("customer", "vendor", "item", "sales_order", "invoice", "purchase_order", "payment")
#: record type -> the QBO entity it becomes
ENTITY = {
    "customer": "Customer",
    "project": "Customer",
    "vendor": "Vendor",
    "item": "Item",
    "inventory_level": "InventoryAdjustment",
    "sales_order": "Estimate",
    "invoice": "Invoice",
    "purchase_order": "PurchaseOrder",
    "payment": "Payment",
    "credit_memo": "CreditMemo",
    "refund": "RefundReceipt",
    "bill": "Bill",
}
#: QBO items a new company is born with ("Services", "Hours")
SEEDED_ITEMS = 2

R = TypeVar("R", bound=AnyRecord)


@dataclass
class Shop:
    """The data set, the world it was pushed to, and what the push reported."""

    world: World
    records: list[AnyRecord]
    report: PushReport

    def of(self, kind: type[R]) -> list[R]:
        return [record for record in self.records if isinstance(record, kind)]

    def qbo(self, record: AnyRecord) -> dict[str, Any]:
        """The QBO object ``record`` is linked to."""
        link = self.world.link(record.type, record.id)
        assert link is not None and link.qbo_id is not None, record.id
        return self.world.read(ENTITY[record.type], link.qbo_id)

    def received(self) -> list[PurchaseOrder]:
        """The purchase orders received or finished, each of which is also a Bill in QBO."""
        return [order for order in self.of(PurchaseOrder) if order.status != "ordered"]

    def qbo_id(self, record_type: str, app_id: str) -> str:
        link = self.world.link(record_type, app_id)
        assert link is not None and link.qbo_id is not None, app_id
        return link.qbo_id

    def change(self, record: R, **fields: object) -> R:
        """Store ``record`` changed as the app would send it, and return it."""
        changed = type(record).model_validate({**record.model_dump(), **fields})
        self.world.put(changed)
        return changed

    async def push_one_change(self) -> tuple[PushReport, list[tuple[str, dict[str, Any]]]]:
        """Push what is dirty; the report and the write requests it sent."""
        before = len(self.world.sent)
        report = await self.world.pusher.push_dirty()
        return report, self.world.sent[before:]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module-scoped, so that the data set is pushed once for all the tests here."""
    return "asyncio"


@pytest.fixture(scope="module")
def shop_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with open_database(tmp_path_factory.mktemp("machine-shop")) as database:
        yield database


@pytest.fixture(scope="module")
async def shop(shop_database: Any) -> AsyncIterator[Shop]:
    """The data set pushed to a new company under the machine-shop settings."""
    async with open_world(shop_database, machine_shop_settings()) as world:
        records = machine_shop(RECORDS, seed=7)
        world.put_all(records)
        report = await world.pusher.push_dirty()
        yield Shop(world, records, report)


def pushed_records(shop: Shop) -> list[AnyRecord]:
    """The records of the types the pusher sends to QBO."""
    return [record for record in shop.records if record.type in ENTITY]


def duplicates(values: Sequence[object]) -> list[object]:
    return [value for value, count in Counter(values).items() if count > 1]


# -- the first push ---------------------------------------------------------------------------
@pytest.mark.anyio
async def test_the_data_set_has_hundreds_of_each_kind(shop: Shop) -> None:
    """Hundreds of customers, vendors, items, orders, invoices, POs and payments, every one
    of them pushed."""
    kinds = Counter(record.type for record in shop.records)
    assert {kind: kinds[kind] for kind in HUNDREDS if kinds[kind] < 100} == {}
    pushed = Counter(r.record_type for r in shop.report.results if r.outcome != "failed")
    assert {kind: pushed[kind] for kind in HUNDREDS} == {kind: kinds[kind] for kind in HUNDREDS}


@pytest.mark.anyio
async def test_every_record_is_created_and_linked(shop: Shop) -> None:
    """Each record of a pushed type is created once, without warning, and linked."""
    expected = Counter(record.type for record in pushed_records(shop))
    results = shop.report.results
    assert [r for r in results if r.outcome != "created" or r.warning] == []
    assert Counter(r.record_type for r in results) == expected
    for record in pushed_records(shop):
        link = shop.world.link(record.type, record.id)
        assert link is not None and link.linked and link.warning is None, record.id
    assert shop.world.records.dirty(tenant_id=TENANT, record_types=list(ENTITY)) == []


@pytest.mark.anyio
async def test_each_record_is_in_quickbooks_exactly_once(shop: Shop) -> None:
    """QBO holds one object per record (plus item categories), each linked to one record,
    with no DocNumber and no name used twice."""
    by_entity = Counter(ENTITY[record.type] for record in pushed_records(shop))
    categories = {record.category for record in shop.records if isinstance(record, Item)}
    by_entity["Item"] += len(categories - {None})
    by_entity["Item"] += SEEDED_ITEMS
    by_entity["Bill"] += len(shop.received())
    for entity, count in by_entity.items():
        objects = shop.world.objects(entity)
        assert len(objects) == count, entity
        numbers = [obj["DocNumber"] for obj in objects if obj.get("DocNumber")]
        assert duplicates(numbers) == [], entity
    linked = [(ENTITY[r.type], shop.qbo_id(r.type, r.id)) for r in pushed_records(shop)]
    linked += [("Bill", shop.qbo_id(PO_BILL, order.id)) for order in shop.received()]
    assert duplicates(linked) == []
    people = shop.world.objects("Customer") + shop.world.objects("Vendor")
    assert duplicates([p["DisplayName"].casefold() for p in people]) == []
    assert duplicates([i["Name"].casefold() for i in shop.world.objects("Item")]) == []


@pytest.mark.anyio
async def test_totals_in_quickbooks_equal_the_apps_to_the_cent(shop: Shop) -> None:
    """Every document's TotalAmt in QBO is the app's total, to the cent."""
    documents = [
        *shop.of(SalesOrder),
        *shop.of(Invoice),
        *shop.of(PurchaseOrder),
        *shop.of(CreditMemo),
        *shop.of(Bill),
    ]
    wrong = [
        (record.id, record.total, shop.qbo(record)["TotalAmt"])
        for record in documents
        if money(shop.qbo(record)["TotalAmt"]) != record.total
    ]
    wrong += [
        (record.id, record.amount, shop.qbo(record)["TotalAmt"])
        for record in [*shop.of(Payment), *shop.of(Refund)]
        if money(shop.qbo(record)["TotalAmt"]) != record.amount
    ]
    assert wrong == []
    assert sum(money(shop.qbo(i)["TotalAmt"]) for i in shop.of(Invoice)) == sum(
        i.total for i in shop.of(Invoice)
    )


@pytest.mark.anyio
async def test_payments_are_applied_to_the_right_invoices(shop: Shop) -> None:
    """Each QBO payment pays the app's invoices the app's amounts and keeps the rest as
    credit; each invoice's QBO balance is its total less what was applied to it."""
    applied: Counter[str] = Counter()
    for payment in shop.of(Payment):
        qbo = shop.qbo(payment)
        lines = {
            line["LinkedTxn"][0]["TxnId"]: money(line["Amount"]) for line in qbo.get("Line", [])
        }
        expected = {shop.qbo_id("invoice", a.invoice_id): a.amount for a in payment.applications}
        assert lines == expected, payment.id
        assert money(qbo["UnappliedAmt"]) == payment.credit, payment.id
        for application in payment.applications:
            applied[application.invoice_id] += application.amount
    assert any(len(p.applications) > 1 for p in shop.of(Payment))  # split payments
    assert any(p.credit > 0 for p in shop.of(Payment))  # overpayments
    for invoice in shop.of(Invoice):
        balance = money(shop.qbo(invoice)["Balance"])
        assert balance == invoice.total - applied[invoice.id], invoice.id


@pytest.mark.anyio
async def test_billed_sales_orders_are_closed_estimates(shop: Shop) -> None:
    """An invoice links its first sales order's estimate; every billed order's estimate is
    closed (two for an invoice billing two orders) and the others stay accepted."""
    billed = {so_id for inv in shop.of(Invoice) for so_id in inv.sales_order_ids}
    assert any(len(inv.sales_order_ids) == 2 for inv in shop.of(Invoice))
    for invoice in shop.of(Invoice):
        links = [t for t in shop.qbo(invoice).get("LinkedTxn", []) if t["TxnType"] == "Estimate"]
        expected = invoice.sales_order_ids[:1]
        assert [t["TxnId"] for t in links] == [shop.qbo_id("sales_order", s) for s in expected]
    for order in shop.of(SalesOrder):
        status = shop.qbo(order)["TxnStatus"]
        assert status == ("Closed" if order.id in billed else "Accepted"), order.id


@pytest.mark.anyio
async def test_received_purchase_orders_are_billed_once(shop: Shop) -> None:
    """A received or finished order is also a Bill for its total, linked to the order,
    which QBO then closes; an order still on order has no bill and stays open."""
    assert {order.status for order in shop.of(PurchaseOrder)} == {"ordered", "received", "finished"}
    for order in shop.of(PurchaseOrder):
        qbo_order = shop.qbo(order)
        if order.status == "ordered":
            assert shop.world.link(PO_BILL, order.id) is None
            assert qbo_order["POStatus"] == "Open", order.id
            continue
        bill = shop.world.read("Bill", shop.qbo_id(PO_BILL, order.id))
        assert money(bill["TotalAmt"]) == order.total, order.id
        assert bill["VendorRef"]["value"] == qbo_order["VendorRef"]["value"]
        assert {"TxnId": qbo_order["Id"], "TxnType": "PurchaseOrder"} in bill["LinkedTxn"]
        assert qbo_order["POStatus"] == "Closed", order.id


@pytest.mark.anyio
async def test_stock_counts_adjust_quantities_by_the_difference(shop: Shop) -> None:
    """Each stock count is one InventoryAdjustment of its item by the difference between
    the count and what QBO held: after the run's invoices and bills for the first count of
    an item, then the previous count; each counted item ends at its last count."""
    last: dict[str, Decimal] = {}
    for level in shop.of(InventoryLevel):
        [line] = shop.qbo(level)["Line"]
        detail = line["ItemAdjustmentLineDetail"]
        assert detail["ItemRef"]["value"] == shop.qbo_id("item", level.item_id)
        if level.item_id in last:
            expected = level.quantity_on_hand - last[level.item_id]
            assert to_decimal(detail["QtyDiff"]) == expected, level.id
        last[level.item_id] = level.quantity_on_hand
    assert last
    for item_id, counted in last.items():
        item = shop.world.read("Item", shop.qbo_id("item", item_id))
        assert to_decimal(item["QtyOnHand"]) == counted, item_id


# -- pushing again ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_pushing_again_unchanged_sends_no_request(shop: Shop) -> None:
    """Every record queued again, none changed: no write, indeed no request at all."""
    world = shop.world
    for record in pushed_records(shop):
        world.records.mark_dirty(tenant_id=TENANT, record_type=record.type, app_id=record.id)
    requests = len(world.emulator.request_log(world.realm_id))
    report = await world.pusher.push_dirty()
    assert Counter(r.outcome for r in report.results) == {"unchanged": len(pushed_records(shop))}
    assert len(world.emulator.request_log(world.realm_id)) == requests


def first_customer(shop: Shop) -> AnyRecord:
    return shop.of(Customer)[0]


def unpaid_invoice(shop: Shop) -> AnyRecord:
    paid = {a.invoice_id for payment in shop.of(Payment) for a in payment.applications}
    return next(invoice for invoice in shop.of(Invoice) if invoice.id not in paid)


def paid_invoice(shop: Shop) -> AnyRecord:
    return next(invoice for invoice in shop.of(Invoice) if shop.qbo(invoice)["Balance"] == 0)


#: (the record, its changed field and value, the QBO field and the key holding the value)
CHANGES = [
    pytest.param(
        first_customer, "phone", "(815) 555-0142", "PrimaryPhone", "FreeFormNumber", id="phone"
    ),
    pytest.param(
        unpaid_invoice, "memo", "Remit to the new lockbox.", "CustomerMemo", "value", id="memo"
    ),
    pytest.param(
        paid_invoice,
        "memo",
        "Paid - thank you.",
        "CustomerMemo",
        "value",
        id="paid-invoice-memo",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("pick", "field", "value", "qbo_field", "key"), CHANGES)
async def test_one_changed_field_is_one_sparse_update(
    shop: Shop,
    pick: Callable[[Shop], AnyRecord],
    field: str,
    value: str,
    qbo_field: str,
    key: str,
) -> None:
    """One field changed in the app: exactly one write, a sparse update of owned fields
    that carries the change."""
    record = shop.change(pick(shop), **{field: value})
    expected = {key: value}
    report, sent = await shop.push_one_change()
    assert [(r.app_id, r.outcome) for r in report.results] == [(record.id, "updated")]
    [(path, body)] = sent
    entity = ENTITY[record.type]
    assert path.endswith(f"/{entity.lower()}")
    assert body["sparse"] is True and body["Id"] == shop.qbo_id(record.type, record.id)
    assert body[qbo_field] == expected
    assert set(body) - {"Id", "SyncToken", "sparse"} <= owned_fields(entity)
    assert shop.qbo(record)[qbo_field] == expected


@pytest.mark.anyio
async def test_a_bookkeepers_fields_survive_the_next_push(shop: Shop) -> None:
    """Fields ledgerbridge does not own, set in QBO's UI on a customer and an invoice, are
    still there after the app changes both records and they are pushed."""
    world = shop.world
    customer, invoice = shop.of(Customer)[1], shop.of(Invoice)[1]
    net_60 = next(t for t in world.objects("Term") if t["Name"] == "Net 60")
    bookkeeping = {
        "Customer": {"SalesTermRef": {"value": net_60["Id"]}, "PrintOnCheckName": "ACCTS PAYABLE"},
        "Invoice": {"TrackingNum": "1Z999AA10123456784", "ShipDate": "2026-05-02"},
    }
    for record, entity in ((customer, "Customer"), (invoice, "Invoice")):
        world.emulator.ui_edit(
            world.realm_id, entity, shop.qbo_id(record.type, record.id), bookkeeping[entity]
        )
    shop.change(customer, notes="Moved receiving to dock 2.")
    shop.change(invoice, memo="Thank you for your business.")
    report, sent = await shop.push_one_change()
    assert sorted(r.outcome for r in report.results) == ["updated", "updated"]
    assert all(body["sparse"] is True for _, body in sent)
    kept_customer, kept_invoice = shop.qbo(customer), shop.qbo(invoice)
    assert kept_customer["Notes"] == "Moved receiving to dock 2."
    assert kept_invoice["CustomerMemo"] == {"value": "Thank you for your business."}
    for entity, kept in (("Customer", kept_customer), ("Invoice", kept_invoice)):
        for name, value in bookkeeping[entity].items():
            held = kept[name]
            if isinstance(value, dict):  # QBO adds the name of what a reference points at
                held = {key: held[key] for key in value}
            assert held == value, (entity, name)
