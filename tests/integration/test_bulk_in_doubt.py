"""Writes in doubt (``engine/_in_doubt.py``): a payment or an inventory adjustment QuickBooks
made without ledgerbridge knowing is found by its content and linked, never made twice."""

from __future__ import annotations

from collections import Counter

import pytest
from pushkit import TENANT, World, bulk_pusher

from ledgerbridge.dataset import machine_shop, machine_shop_settings
from ledgerbridge.model import AnyRecord
from ledgerbridge.store import Database, OperationRecord, OperationStore, PlannedOperation

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

RECORDS = 150
#: the types QuickBooks cannot find again by name or DocNumber, and their entities
IN_DOUBT = {"payment": "Payment", "inventory_level": "InventoryAdjustment"}


def _linked_once(world: World, records: list[AnyRecord], record_type: str, entity: str) -> None:
    """Every record of the type links its own object, and QBO holds no other."""
    ids = [record.id for record in records if record.type == record_type]
    links = [world.link(record_type, app_id) for app_id in ids]
    held = Counter(link.qbo_id for link in links if link is not None)
    assert len(held) == len(ids) and set(held.values()) == {1}, held.most_common(3)
    assert {str(obj["Id"]) for obj in world.objects(entity)} == set(held)


async def test_payments_made_but_answered_with_a_gateway_error_are_found_not_posted_twice(
    world: World, database: Database
) -> None:
    """Every batch request of the payments commits, then its answer is a 504, on every
    retry too: the client gives up (ServerError), and each payment is looked for by date,
    customer, amount and applications, found and linked."""
    settings = machine_shop_settings()
    world.with_settings(settings)
    records = machine_shop(RECORDS)
    world.put_all(records)
    first = await bulk_pusher(world, database, settings).run(
        record_types=sorted({record.type for record in records} - {"payment"})
    )
    assert not first.failed
    world.emulator.faults.arm(
        "committed_response_lost",
        count=1_000,
        realm_id=world.realm_id,
        path=r"/batch$",
        respond="504",
    )
    pusher = bulk_pusher(world, database, settings)
    report = await pusher.run(record_types=["payment"])
    payments = report.count("created")
    assert payments >= 20 and not report.failed
    assert pusher.stats.found_in_doubt > 0, pusher.stats
    _linked_once(world, records, "payment", "Payment")
    operations = OperationStore(database).list(tenant_id=TENANT, record_type="payment", limit=1_000)
    assert {op.status for op in operations} == {"succeeded"}


async def _synced_shop(world: World, database: Database) -> tuple[list[AnyRecord], OperationStore]:
    """The machine shop pushed once; its records and the operation log."""
    world.with_settings(machine_shop_settings())
    records = machine_shop(RECORDS)
    world.put_all(records)
    await bulk_pusher(world, database, machine_shop_settings()).run()
    return records, OperationStore(database)


def _written(operations: OperationStore) -> list[OperationRecord]:
    return operations.list(tenant_id=TENANT, status="succeeded", limit=10_000)


async def test_payments_and_adjustments_a_killed_worker_left_in_flight_are_linked_on_resume(
    world: World, database: Database
) -> None:
    """QuickBooks made them, the worker died before storing their links: the operations are
    open with the bodies sent. The next run finds each object, links it, closes its
    operation, and writes nothing."""
    settings = machine_shop_settings()
    records, operations = await _synced_shop(world, database)
    sent = [
        op for op in _written(operations) if op.record_type in IN_DOUBT and op.action == "create"
    ]
    assert {op.record_type for op in sent} == set(IN_DOUBT)
    for op in sent:  # the links were never stored; the operations left running
        world.links.unlink(tenant_id=TENANT, record_type=op.record_type, app_id=op.app_id)
        world.records.mark_dirty(tenant_id=TENANT, record_type=op.record_type, app_id=op.app_id)
    left = operations.create_many(
        tenant_id=TENANT,
        realm_id=world.realm_id,
        trigger="bulk",
        start=True,
        operations=[
            PlannedOperation(op.record_type, op.app_id, op.qbo_type, "create", payload=op.payload)
            for op in sent
        ],
    )
    writes = len(world.writes())
    pusher = bulk_pusher(world, database, settings)
    report = await pusher.run()
    assert not report.failed
    assert pusher.stats.found_in_doubt == len(sent)
    assert len(world.writes()) == writes, "the resumed run wrote to QuickBooks"
    for record_type, entity in IN_DOUBT.items():
        _linked_once(world, records, record_type, entity)
    for operation in left:
        resumed = operations.get(tenant_id=TENANT, operation_id=operation.id)
        assert resumed is not None and resumed.status == "succeeded"
    assert operations.open_of(tenant_id=TENANT) == {}


async def test_a_bill_left_in_flight_is_resumed_not_refused(
    world: World, database: Database
) -> None:
    """A killed worker left a received order and its bill written, their links unsaved and
    their operations open: the next run finds the order, starts the bill's operation again
    (it used to refuse the whole run: "already being synced"), and the order keeps one bill."""
    settings = machine_shop_settings()
    _, operations = await _synced_shop(world, database)
    bills = [op for op in _written(operations) if op.record_type == "purchase_order_bill"]
    assert bills, "the data set has no received order"
    left = bills[0]
    for record_type in ("purchase_order", left.record_type):
        world.links.unlink(tenant_id=TENANT, record_type=record_type, app_id=left.app_id)
    world.records.mark_dirty(tenant_id=TENANT, record_type="purchase_order", app_id=left.app_id)
    reopened = operations.create_many(
        tenant_id=TENANT,
        realm_id=world.realm_id,
        trigger="bulk",
        start=True,
        operations=[
            PlannedOperation("purchase_order", left.app_id, "PurchaseOrder", "create"),
            PlannedOperation(left.record_type, left.app_id, "Bill", "create"),
        ],
    )
    report = await bulk_pusher(world, database, settings).run()
    assert not report.failed, [r.message for r in report.failed]
    assert operations.open_of(tenant_id=TENANT) == {}
    bill = world.link("purchase_order_bill", left.app_id)
    assert bill is not None and bill.linked
    order = world.link("purchase_order", left.app_id)
    assert order is not None
    linked = [
        obj
        for obj in world.objects("Bill")
        if any(
            txn.get("TxnType") == "PurchaseOrder" and txn.get("TxnId") == order.qbo_id
            for txn in obj.get("LinkedTxn") or []
        )
    ]
    assert len(linked) == 1, linked
    for operation in reopened:
        finished = operations.get(tenant_id=TENANT, operation_id=operation.id)
        assert finished is not None and finished.status == "succeeded", finished
