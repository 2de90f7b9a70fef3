"""The bulk push (:class:`BulkPusher`) against the emulator: the per-record path's end result
in far fewer requests, its hand-overs to the per-record path, the operation log, the resume
after a crash, and no 429 at Intuit's limits."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pushkit import TENANT, World, bulk_pusher, open_database, open_world

from ledgerbridge.dataset import MACHINE_SHOP_START, machine_shop, machine_shop_settings
from ledgerbridge.emulator import EmulatorConfig
from ledgerbridge.engine import BulkPusher, PushReport
from ledgerbridge.mapping import QBO_ENTITY
from ledgerbridge.model import AnyRecord, Customer, Invoice, Item, ItemLine, TenantSettings
from ledgerbridge.qbo import Governor, QBOLimits
from ledgerbridge.store import Database, OperationStore, PlannedOperation

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

#: record type -> the QBO entity it becomes
ENTITY = QBO_ENTITY


@contextmanager
def second_database(tmp_path: Path) -> Iterator[Database]:
    folder = tmp_path / "second"
    folder.mkdir()
    with open_database(folder) as database:
        yield database


def customers(count: int, prefix: str = "Bulk Customer") -> list[Customer]:
    return [Customer(id=f"c-{n:03d}", name=f"{prefix} {n:03d}") for n in range(count)]


def snapshot(world: World, records: Sequence[AnyRecord]) -> dict[tuple[str, str], Any]:
    """What QBO holds for each record, without what differs between two companies (Ids,
    SyncTokens, times): names, numbers, dates, amounts, lines, and what a payment pays."""
    link_of = {(r.type, r.id): world.link(r.type, r.id) for r in records}
    app_id = {(link.qbo_type, link.qbo_id): key[1] for key, link in link_of.items() if link}
    shot: dict[tuple[str, str], Any] = {}
    for key, link in link_of.items():
        assert link is not None and link.qbo_id is not None, key
        obj = world.read(ENTITY[key[0]], link.qbo_id)
        shot[key] = {
            "name": obj.get("DisplayName") or obj.get("Name"),
            "doc": obj.get("DocNumber"),
            "date": obj.get("TxnDate"),
            "total": obj.get("TotalAmt"),
            "balance": obj.get("Balance"),
            "active": obj.get("Active"),
            "status": obj.get("TxnStatus"),
            "lines": len(obj.get("Line") or []),
            "pays": sorted(
                (app_id.get((txn["TxnType"], txn["TxnId"])), str(line["Amount"]))
                for line in obj.get("Line") or []
                for txn in line.get("LinkedTxn") or []
                if key[0] == "payment"
            ),
            "warning": link.warning,
        }
    return shot


async def push_machine_shop(world: World, database: Database, *, bulk: bool) -> PushReport:
    settings = machine_shop_settings()
    world.with_settings(settings)
    if bulk:
        return await bulk_pusher(world, database, settings).run()
    return await world.pusher.push_dirty()


async def test_the_bulk_push_leaves_quickbooks_as_the_per_record_push_does(
    database: Database, tmp_path: Path
) -> None:
    """The machine-shop data set (every type: sub-customers, multi-order invoices, received
    orders, stock counts, split payments) pushed both ways into two new companies: the same
    outcome for every record, the same objects in QBO, in a fraction of the requests."""
    records = machine_shop(400, seed=11)
    with second_database(tmp_path) as other:
        async with (
            open_world(database, machine_shop_settings()) as one,
            open_world(other, machine_shop_settings()) as bulk,
        ):
            one.put_all(records)
            bulk.put_all(records)
            per_record = await push_machine_shop(one, database, bulk=False)
            in_bulk = await push_machine_shop(bulk, other, bulk=True)
            pushed = [r for r in records if r.type in ENTITY]
            assert [(r.record_type, r.app_id, r.outcome) for r in in_bulk.results] == [
                (r.record_type, r.app_id, r.outcome) for r in per_record.results
            ]
            assert snapshot(bulk, pushed) == snapshot(one, pushed)
            for entity in {*ENTITY.values(), "Bill"}:
                assert len(bulk.objects(entity)) == len(one.objects(entity)), entity
            assert bulk.dirty() == set() == one.dirty()
            requests = len(bulk.emulator.request_log(bulk.realm_id))
            assert requests * 4 < len(one.emulator.request_log(one.realm_id))
            assert sum(1 for r in bulk.writes() if r["path"].endswith("/batch")) > 5


async def test_every_write_is_an_operation_stored_before_it_was_sent(
    world: World, database: Database
) -> None:
    """One succeeded operation per write, each with its own requestid and the QBO object."""
    world.put_all(customers(45))
    report = await bulk_pusher(world, database).run()
    operations = OperationStore(database).list(tenant_id=TENANT, limit=1000)
    assert report.count("created") == 45
    assert len(operations) == 45
    assert len({op.request_id for op in operations}) == 45
    assert {(op.status, op.action, op.trigger, op.attempts) for op in operations} == {
        ("succeeded", "create", "bulk", 1)
    }
    by_app = {op.app_id: op for op in operations}
    for n in range(45):
        link = world.link("customer", f"c-{n:03d}")
        assert link is not None and by_app[f"c-{n:03d}"].qbo_id == link.qbo_id


async def test_a_name_another_kind_of_record_holds_goes_to_the_per_record_rule(
    world: World, database: Database
) -> None:
    """6240 on one item of a batch: that customer is handed to the per-record path, which
    creates it under the duplicate-name rule's name; the rest of the batch is created."""
    await world.qbo.vendors.create({"DisplayName": "Bulk Customer 007"})
    world.put_all(customers(35))
    pusher = bulk_pusher(world, database)
    report = await pusher.run()
    assert report.count("created") == 35
    link = world.link("customer", "c-007")
    assert link is not None and link.warning is not None and "(Customer)" in link.warning
    names = {c["DisplayName"] for c in world.objects("Customer")}
    assert "Bulk Customer 007 (Customer)" in names and "Bulk Customer 008" in names
    assert pusher.stats.fallbacks == {"QuickBooks answered DuplicateNameError": 1}
    assert pusher.stats.batch_requests >= 1


async def test_a_stale_sync_token_in_a_batch_is_re_read_by_the_per_record_path(
    world: World, database: Database
) -> None:
    """A customer edited in QBO since it was linked: its update in the batch is refused
    (5010) and the per-record path re-reads and re-applies it; the others are updated in
    the batch, and the bookkeeper's own field survives."""
    records = customers(40)
    world.put_all(records)
    await bulk_pusher(world, database).run()
    edited = world.link("customer", "c-005")
    assert edited is not None and edited.qbo_id is not None
    world.emulator.ui_edit(
        world.realm_id, "Customer", edited.qbo_id, {"Fax": {"FreeFormNumber": "555-0199"}}
    )
    world.put_all([r.model_copy(update={"phone": "555-0111"}) for r in records])
    pusher = bulk_pusher(world, database)
    report = await pusher.run()
    assert report.count("updated") == 40
    assert pusher.stats.fallbacks == {"QuickBooks answered StaleObjectError": 1}
    again = world.read("Customer", edited.qbo_id)
    assert again["PrimaryPhone"]["FreeFormNumber"] == "555-0111"
    assert again["Fax"]["FreeFormNumber"] == "555-0199"
    assert all(c["PrimaryPhone"]["FreeFormNumber"] == "555-0111" for c in world.objects("Customer"))


async def test_a_refused_item_fails_alone_and_the_run_goes_on(
    world: World, database: Database
) -> None:
    """Books closed in QBO: the invoices dated in the closed period fail with QBO's sentence
    (6210 is that transaction's problem, not the company's), the others are created."""
    prefs = world.read("Preferences", "1")["AccountingInfoPrefs"]
    closing = MACHINE_SHOP_START - timedelta(days=30)
    world.emulator.ui_edit(
        world.realm_id,
        "Preferences",
        "1",
        {"AccountingInfoPrefs": {**prefs, "BookCloseDate": closing.isoformat()}},
    )
    buyer = Customer(id="buyer", name="Buyer of Many")
    invoices = [
        Invoice(
            id=f"inv-{n:02d}",
            customer_id="buyer",
            number=str(5000 + n),
            invoice_date=closing + timedelta(days=-5 if n % 10 == 3 else 5),
            lines=[{"kind": "charge", "description": "Machining", "amount": Decimal("100.00")}],
        )
        for n in range(40)
    ]
    world.put_all([buyer, *invoices])
    report = await bulk_pusher(world, database, machine_shop_settings()).run()
    failed = {r.app_id: r for r in report.failed}
    assert sorted(failed) == ["inv-03", "inv-13", "inv-23", "inv-33"]
    assert all(r.error_code == "6210" and "closed" in (r.message or "") for r in failed.values())
    assert report.count("created") == 37
    assert world.dirty() == {("invoice", app_id) for app_id in failed}


async def test_unchanged_data_sent_again_costs_no_request(world: World, database: Database) -> None:
    """Every record received again unchanged and queued again: each is unchanged, and the
    run sends nothing at all (not even a look-up)."""
    records = machine_shop(200, seed=5)
    settings = machine_shop_settings()
    world.put_all(records)
    first = await bulk_pusher(world, database, settings).run()
    assert first.failed == []
    before = len(world.emulator.request_log(world.realm_id))
    world.put_all(records)
    for record in records:
        world.records.mark_dirty(tenant_id=TENANT, record_type=record.type, app_id=record.id)
    again = await bulk_pusher(world, database, settings).run()
    assert {r.outcome for r in again.results} == {"unchanged"}
    assert len(again.results) == len(records)
    assert len(world.emulator.request_log(world.realm_id)) == before


async def test_after_a_crash_the_open_operations_resume_and_nothing_is_written_twice(
    world: World, database: Database
) -> None:
    """A crash after QBO created the customers and before their links were stored: the
    records are dirty and unlinked, their operations running. The next run finds each
    customer by name, links it, and finishes the same operations (same requestids)."""
    records = customers(35)
    world.put_all(records)
    await bulk_pusher(world, database).run()
    operations = OperationStore(database)
    for record in records:  # the links were never stored; the operations left running
        world.links.unlink(tenant_id=TENANT, record_type="customer", app_id=record.id)
        world.records.mark_dirty(tenant_id=TENANT, record_type="customer", app_id=record.id)
    left = operations.create_many(
        tenant_id=TENANT,
        realm_id=world.realm_id,
        trigger="bulk",
        start=True,
        operations=[PlannedOperation("customer", r.id, "Customer", "create") for r in records],
    )
    report = await bulk_pusher(world, database).run()
    assert report.count("linked") == 35
    assert len(world.objects("Customer")) == 35
    for operation in left:
        resumed = operations.get(tenant_id=TENANT, operation_id=operation.id)
        assert resumed is not None
        assert (resumed.status, resumed.attempts, resumed.action) == ("succeeded", 2, "create")
        assert resumed.request_id == operation.request_id
    assert operations.open_of(tenant_id=TENANT) == {}


#: Intuit's limits with the windows shrunk 20 times: a minute lasts 3 s
SCALE = 20


async def test_at_intuits_limits_the_governor_provokes_no_429(database: Database) -> None:
    """The machine-shop data set through a governor of Intuit's limits, the emulator
    enforcing them, time-scaled: no request is refused, batch requests carry the writes."""
    governor = Governor(QBOLimits(time_scale=SCALE))
    settings = machine_shop_settings()
    async with open_world(
        database, settings, config=EmulatorConfig(time_scale=SCALE), gate=governor
    ) as world:
        world.put_all(machine_shop(300, seed=2))
        started = time.monotonic()
        pusher = bulk_pusher(world, database, settings)
        report = await pusher.run()
        elapsed = time.monotonic() - started
        statuses = Counter(entry["status"] for entry in world.emulator.request_log(world.realm_id))
    await governor.aclose()
    assert report.failed == [] and world.dirty() == set()
    assert statuses[429] == 0, statuses
    assert pusher.stats.batched_writes > 2 * pusher.stats.single_writes, pusher.stats
    assert elapsed < 60


def _auto_pusher(world: World, database: Database) -> BulkPusher:
    return BulkPusher(
        tenant_id=TENANT,
        qbo=world.qbo,
        records=world.records,
        links=world.links,
        settings=TenantSettings(),
        operations=OperationStore(database),
        trigger="auto",
    )


def _shop_invoice(app_id: str, number: str) -> Invoice:
    line = ItemLine(item_id="s1", quantity=Decimal(2), unit_price=Decimal("100.00"))
    return Invoice(
        id=app_id, customer_id="c1", number=number, invoice_date=date(2026, 3, 2), lines=(line,)
    )


async def test_an_auto_run_creates_a_new_invoice_in_one_request(
    world: World, database: Database
) -> None:
    """A save in the app: QBO refuses a taken DocNumber (6140), so an auto run does not look
    it up first; the customer and item are linked already."""
    world.put(Customer(id="c1", name="Acme Tooling"))
    world.put(Item(id="s1", name="Machining", kind="service", sales_price=Decimal("100.00")))
    world.put(_shop_invoice("inv0", "1000"))
    await bulk_pusher(world, database).run()  # QBO now holds invoices: a look-up would run
    world.put(_shop_invoice("inv1", "1001"))
    sent = len(world.emulator.request_log(world.realm_id))
    report = await _auto_pusher(world, database).run(record_types=["invoice"])
    assert [r.outcome for r in report.results] == ["created"]
    requests = list(world.emulator.request_log(world.realm_id))[sent:]
    assert [r["path"].rsplit("/", 1)[-1] for r in requests] == ["invoice"]


async def test_an_auto_run_links_the_invoice_qbo_already_holds_under_its_number(
    world: World, database: Database
) -> None:
    """The bookkeeper typed invoice 1001 into QuickBooks; the app's 1001 is then saved. The
    create is refused (6140), and the per-record path finds 1001 and links it."""
    world.put(Customer(id="c1", name="Acme Tooling"))
    world.put(Item(id="s1", name="Machining", kind="service", sales_price=Decimal("100.00")))
    await bulk_pusher(world, database).run()
    customer, item = world.link("customer", "c1"), world.link("item", "s1")
    assert customer is not None and item is not None
    typed = await world.qbo.invoices.create(
        {
            "DocNumber": "1001",
            "CustomerRef": {"value": customer.qbo_id},
            "Line": [
                {
                    "Amount": 150,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item.qbo_id}},
                }
            ],
        }
    )
    world.put(_shop_invoice("inv1", "1001"))
    report = await _auto_pusher(world, database).run(record_types=["invoice"])
    assert [(r.outcome, r.qbo_id) for r in report.results] == [("linked", str(typed["Id"]))]
    assert [obj["DocNumber"] for obj in world.objects("Invoice")] == ["1001"]
    assert world.read("Invoice", str(typed["Id"]))["TotalAmt"] in (200, Decimal("200.00"))
