"""Intake: records with a content hash, dirty and clean, soft deletes, bulk import, isolation."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    JSONDocument,
    PutResult,
    RecordCounts,
    RecordInput,
    RecordNotFoundError,
    RecordStore,
    TenantNotFoundError,
)


@pytest.fixture
def records(store: ConnectionStore, database: Database, clock: Clock) -> RecordStore:
    """A record store over the two tenants of ``store``, on the test's clock."""
    return RecordStore(database, clock=clock)


def digest(payload: JSONDocument) -> str:
    """A content hash the way the engine makes one: SHA-256 of canonical JSON."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def customer(number: int, **changes: Any) -> JSONDocument:
    payload: JSONDocument = {
        "name": f"Customer {number}",
        "email": f"ap{number}@example.com",
        "billing_address": {"line1": f"{number} Main St", "city": "Dayton"},
        "balance": "0.00",
    }
    payload.update(changes)
    return payload


def put(
    records: RecordStore,
    payload: JSONDocument,
    *,
    app_id: str = "C-1",
    record_type: str = "Customer",
    tenant_id: str = TENANT,
) -> PutResult:
    return records.put(
        tenant_id=tenant_id,
        record_type=record_type,
        app_id=app_id,
        payload=payload,
        content_hash=digest(payload),
    )


# -- put ----------------------------------------------------------------------------------------
def test_a_new_record_is_created_dirty(records: RecordStore, clock: Clock) -> None:
    """The first put stores the document and its hash, dirty, with the clock's time."""
    payload = customer(1, notes="Net 30 — ask for Zoë", tags=["vip", None], active=True)
    result = put(records, payload)
    assert result == PutResult(
        record_type="Customer",
        app_id="C-1",
        outcome="created",
        content_hash=digest(payload),
        dirty=True,
    )
    stored = records.get(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert stored is not None
    assert stored.payload == payload
    assert stored.content_hash == digest(payload)
    assert stored.dirty and not stored.deleted and stored.deleted_at is None
    assert stored.received_at == stored.updated_at == clock.now
    assert records.get(tenant_id=TENANT, record_type="Customer", app_id="C-2") is None
    assert records.get(tenant_id=TENANT, record_type="Vendor", app_id="C-1") is None


def test_the_same_hash_again_is_unchanged_and_stays_clean(
    records: RecordStore, clock: Clock
) -> None:
    """Sending a pushed record again does not make it dirty; only its receipt time moves."""
    payload = customer(1)
    created = put(records, payload)
    assert records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=created.content_hash
    )
    first = clock.now
    clock.advance(timedelta(minutes=5))
    again = put(records, dict(payload))
    assert (again.outcome, again.dirty) == ("unchanged", False)
    stored = records.get(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert stored is not None and not stored.dirty
    assert stored.received_at == clock.now and stored.updated_at == first


def test_a_changed_hash_marks_the_record_dirty(records: RecordStore, clock: Clock) -> None:
    """A new hash replaces the document and makes a clean record dirty again."""
    put(records, customer(1))
    records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=digest(customer(1))
    )
    clock.advance(timedelta(minutes=1))
    changed = customer(1, email="billing@example.com")
    result = put(records, changed)
    assert (result.outcome, result.dirty) == ("changed", True)
    stored = records.get(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert stored is not None
    assert stored.payload == changed and stored.content_hash == digest(changed)
    assert stored.dirty and stored.updated_at == clock.now


def test_an_unchanged_put_leaves_a_dirty_record_dirty(records: RecordStore) -> None:
    """A record not pushed yet stays dirty when sent again unchanged."""
    put(records, customer(1))
    again = put(records, customer(1))
    assert (again.outcome, again.dirty) == ("unchanged", True)


def test_an_unknown_tenant_is_refused(records: RecordStore) -> None:
    """Records belong to a known tenant."""
    with pytest.raises(TenantNotFoundError):
        put(records, customer(1), tenant_id="nobody")


def test_malformed_input_is_refused_before_anything_is_stored(records: RecordStore) -> None:
    """A payload that is not an object, a missing id or hash: clear errors, nothing stored."""
    with pytest.raises(TypeError, match="JSON object"):
        records.put(
            tenant_id=TENANT,
            record_type="Customer",
            app_id="C-1",
            payload=["not", "an", "object"],  # type: ignore[arg-type]
            content_hash="h",
        )
    with pytest.raises(ValueError, match="app_id"):
        records.put(
            tenant_id=TENANT, record_type="Customer", app_id="", payload={}, content_hash="h"
        )
    with pytest.raises(ValueError, match="content hash"):
        records.put(
            tenant_id=TENANT, record_type="Customer", app_id="C-1", payload={}, content_hash=""
        )
    assert records.counts(tenant_id=TENANT) == {}


# -- dirty and clean ----------------------------------------------------------------------------
def test_a_record_changed_during_its_push_stays_dirty(records: RecordStore) -> None:
    """The race: the engine pushes hash 1, the app sends hash 2 meanwhile; marking hash 1
    clean does nothing, and hash 2 is pushed next."""
    put(records, customer(1))
    (pushing,) = records.dirty(tenant_id=TENANT)
    put(records, customer(1, name="Customer One LLC"))  # arrives while the push is in flight
    assert not records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=pushing.content_hash
    )
    (still,) = records.dirty(tenant_id=TENANT)
    assert still.content_hash == digest(customer(1, name="Customer One LLC"))
    assert still.payload["name"] == "Customer One LLC"
    assert records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=still.content_hash
    )
    assert records.dirty(tenant_id=TENANT) == []


def test_mark_clean_of_an_unknown_record_is_false(records: RecordStore) -> None:
    """Nothing to clear, nothing cleared."""
    assert not records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="nope", content_hash="h"
    )


def test_mark_dirty_queues_a_clean_record_again(records: RecordStore) -> None:
    """ "Sync again" in the console: a clean record turns dirty without a change."""
    result = put(records, customer(1))
    records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=result.content_hash
    )
    marked = records.mark_dirty(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert marked.dirty
    assert [r.app_id for r in records.dirty(tenant_id=TENANT)] == ["C-1"]
    with pytest.raises(RecordNotFoundError):
        records.mark_dirty(tenant_id=TENANT, record_type="Customer", app_id="nope")


# -- delete -------------------------------------------------------------------------------------
def test_delete_is_soft_and_dirty(records: RecordStore, clock: Clock) -> None:
    """A deleted record keeps its row and document, gets ``deleted_at``, and waits to be
    pushed (the engine voids it); deleting it again changes nothing."""
    result = put(records, customer(1))
    records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=result.content_hash
    )
    clock.advance(timedelta(hours=1))
    deleted = records.delete(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert deleted.deleted and deleted.deleted_at == clock.now and deleted.dirty
    assert deleted.payload == customer(1)
    assert records.get(tenant_id=TENANT, record_type="Customer", app_id="C-1") == deleted
    assert [r.app_id for r in records.dirty(tenant_id=TENANT)] == ["C-1"]
    # the deletion is pushed: clean
    assert records.mark_clean(
        tenant_id=TENANT,
        record_type="Customer",
        app_id="C-1",
        content_hash=result.content_hash,
        deleted=True,
    )
    clock.advance(timedelta(hours=1))
    again = records.delete(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert not again.dirty and again.deleted_at == deleted.deleted_at


def test_delete_of_an_unknown_record_is_an_error(records: RecordStore) -> None:
    """The host app learns its id is wrong."""
    with pytest.raises(RecordNotFoundError, match="C-404"):
        records.delete(tenant_id=TENANT, record_type="Customer", app_id="C-404")


def test_a_deletion_during_a_push_of_the_record_stays_dirty(records: RecordStore) -> None:
    """The engine pushed the live record; a delete that arrived meanwhile is not lost."""
    result = put(records, customer(1))
    records.delete(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert not records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=result.content_hash
    )
    (pending,) = records.dirty(tenant_id=TENANT)
    assert pending.deleted


def test_a_record_sent_again_after_its_deletion_is_restored(
    records: RecordStore, clock: Clock
) -> None:
    """Sending a deleted record again (same hash) restores it: changed, dirty, not deleted;
    a push of the deletion that raced with it does not clear it."""
    result = put(records, customer(1))
    records.delete(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    records.mark_clean(
        tenant_id=TENANT,
        record_type="Customer",
        app_id="C-1",
        content_hash=result.content_hash,
        deleted=True,
    )
    clock.advance(timedelta(minutes=1))
    back = put(records, customer(1))
    assert (back.outcome, back.dirty) == ("changed", True)
    stored = records.get(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert stored is not None and not stored.deleted and stored.dirty
    assert stored.updated_at == clock.now
    assert not records.mark_clean(
        tenant_id=TENANT,
        record_type="Customer",
        app_id="C-1",
        content_hash=result.content_hash,
        deleted=True,
    )


# -- dirty(), counts() --------------------------------------------------------------------------
def test_dirty_lists_by_type_and_app_id_with_filters_and_pages(records: RecordStore) -> None:
    """Dirty records in (type, app id) order; clean ones left out; filter by type; pages."""
    for app_id in ("C-3", "C-1", "C-2"):
        put(records, customer(int(app_id[-1])), app_id=app_id)
    put(records, {"name": "Endmill 1/2in"}, record_type="Item", app_id="I-1")
    put(records, {"name": "Sandvik"}, record_type="Vendor", app_id="V-1")
    records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-2", content_hash=digest(customer(2))
    )
    records.delete(tenant_id=TENANT, record_type="Vendor", app_id="V-1")

    def keys(found: list[Any]) -> list[tuple[str, str]]:
        return [(r.record_type, r.app_id) for r in found]

    everything = [("Customer", "C-1"), ("Customer", "C-3"), ("Item", "I-1"), ("Vendor", "V-1")]
    assert keys(records.dirty(tenant_id=TENANT)) == everything
    assert keys(records.dirty(tenant_id=TENANT, record_types=["Vendor", "Item"])) == [
        ("Item", "I-1"),
        ("Vendor", "V-1"),
    ]
    first = records.dirty(tenant_id=TENANT, limit=3)
    assert keys(first) == everything[:3]
    last = first[-1]
    assert keys(
        records.dirty(tenant_id=TENANT, limit=3, after=(last.record_type, last.app_id))
    ) == [("Vendor", "V-1")]
    assert keys(records.dirty(tenant_id=TENANT, after=("Customer", "C-1"))) == everything[1:]


def test_dirty_refuses_a_string_for_types_and_a_zero_limit(records: RecordStore) -> None:
    """``record_types="Item"`` would silently mean the types "I", "t", "e", "m"."""
    with pytest.raises(TypeError):
        records.dirty(tenant_id=TENANT, record_types="Item")
    with pytest.raises(ValueError, match="limit"):
        records.dirty(tenant_id=TENANT, limit=0)


def test_counts_per_type_dirty_and_deleted(records: RecordStore) -> None:
    """The console's numbers per record type."""
    for number in (1, 2, 3):
        put(records, customer(number), app_id=f"C-{number}")
    put(records, {"name": "Endmill"}, record_type="Item", app_id="I-1")
    records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-1", content_hash=digest(customer(1))
    )
    records.mark_clean(
        tenant_id=TENANT, record_type="Customer", app_id="C-2", content_hash=digest(customer(2))
    )
    records.delete(tenant_id=TENANT, record_type="Customer", app_id="C-2")
    assert records.counts(tenant_id=TENANT) == {
        "Customer": RecordCounts(total=3, dirty=2, deleted=1),
        "Item": RecordCounts(total=1, dirty=1, deleted=0),
    }
    assert list(records.counts(tenant_id=TENANT)) == ["Customer", "Item"]


# -- put_many -----------------------------------------------------------------------------------
def test_put_many_reports_each_record_in_order(records: RecordStore) -> None:
    """One result per input; a record listed twice is handled as two puts in that order."""
    put(records, customer(1), app_id="C-1")
    put(records, customer(2), app_id="C-2")
    batch = [
        RecordInput("Customer", "C-1", customer(1), digest(customer(1))),
        RecordInput("Customer", "C-2", customer(2, name="Two"), digest(customer(2, name="Two"))),
        RecordInput("Customer", "C-3", customer(3), digest(customer(3))),
        RecordInput("Customer", "C-3", customer(3), digest(customer(3))),
        RecordInput(
            "Customer", "C-3", customer(3, name="Three"), digest(customer(3, name="Three"))
        ),
    ]
    results = records.put_many(tenant_id=TENANT, records=batch)
    assert [(r.app_id, r.outcome) for r in results] == [
        ("C-1", "unchanged"),
        ("C-2", "changed"),
        ("C-3", "created"),
        ("C-3", "unchanged"),
        ("C-3", "changed"),
    ]
    three = records.get(tenant_id=TENANT, record_type="Customer", app_id="C-3")
    assert three is not None and three.payload["name"] == "Three"
    assert three.content_hash == digest(customer(3, name="Three"))
    assert records.put_many(tenant_id=TENANT, records=[]) == []


def test_put_many_is_all_or_nothing(records: RecordStore, database: Database) -> None:
    """The database fails the batch's UPDATE after its INSERT ran: the whole call rolls back,
    new records included; the same batch then goes through."""
    put(records, customer(1), app_id="C-1")
    batch = [
        RecordInput("Customer", "C-1", customer(1, name="Changed"), "changed-hash"),
        RecordInput("Customer", "C-2", customer(2), digest(customer(2))),
    ]

    def fail_updates(
        connection: object,
        cursor: object,
        statement: str,
        parameters: object,
        context: object,
        executemany: bool,
    ) -> None:
        if statement.startswith("UPDATE records"):
            raise RuntimeError("the disk is full")

    sa.event.listen(database.engine, "before_cursor_execute", fail_updates)
    try:
        with pytest.raises(RuntimeError, match="disk is full"):
            records.put_many(tenant_id=TENANT, records=batch)
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", fail_updates)
    assert records.get(tenant_id=TENANT, record_type="Customer", app_id="C-2") is None
    one = records.get(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert one is not None and one.payload == customer(1)
    outcomes = [r.outcome for r in records.put_many(tenant_id=TENANT, records=batch)]
    assert outcomes == ["changed", "created"]


@pytest.mark.parametrize(
    "value", [Decimal("1.10"), float("nan"), {1, 2}], ids=["decimal", "nan", "set"]
)
def test_a_payload_that_is_not_json_fails_the_batch_before_it_starts(
    records: RecordStore, value: object
) -> None:
    """A Decimal, a NaN or a set is refused with the record named; nothing of the batch is
    stored."""
    batch = [
        RecordInput("Customer", "C-1", customer(1), digest(customer(1))),
        RecordInput("Customer", "C-2", customer(2, balance=value), "h2"),
    ]
    with pytest.raises(TypeError, match="Customer 'C-2' is not JSON"):
        records.put_many(tenant_id=TENANT, records=batch)
    assert records.counts(tenant_id=TENANT) == {}
    with pytest.raises(TenantNotFoundError):
        records.put_many(tenant_id="nobody", records=batch[:1])


def test_put_many_of_5000_records(
    records: RecordStore, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bulk import of 5,000 records is one transaction; the same file again changes nothing.

    The time is printed (run with ``-s``), not asserted: machines differ.
    """
    items = [
        {
            "name": f"Part {n:05d}",
            "sku": f"SKU-{n:05d}",
            "kind": "inventory",
            "sales_price": f"{n % 500}.25",
            "purchase_cost": f"{n % 300}.10",
            "quantity_on_hand": str(n % 40),
            "description": "Hardened steel dowel pin, 6 mm x 20 mm, DIN 6325",
        }
        for n in range(5000)
    ]
    batch = [RecordInput("Item", f"I-{n:05d}", p, digest(p)) for n, p in enumerate(items)]
    started = time.perf_counter()
    results = records.put_many(tenant_id=TENANT, records=batch)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = records.put_many(tenant_id=TENANT, records=batch)
    second = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\nput_many 5,000 records ({database.dialect}): "
            f"new {first:.3f} s, unchanged {second:.3f} s"
        )
    assert Counter(r.outcome for r in results) == {"created": 5000}
    assert Counter(r.outcome for r in again) == {"unchanged": 5000}
    assert records.counts(tenant_id=TENANT) == {
        "Item": RecordCounts(total=5000, dirty=5000, deleted=0)
    }
    stored = records.get(tenant_id=TENANT, record_type="Item", app_id="I-04999")
    assert stored is not None and stored.payload == items[4999]


# -- isolation ----------------------------------------------------------------------------------
def test_tenants_do_not_see_or_change_each_others_records(records: RecordStore) -> None:
    """Globex cannot read, list, count, delete, dirty or clean Acme's record; the same app id
    in Globex is a record of its own."""
    acme = put(records, customer(1))
    assert records.get(tenant_id=OTHER_TENANT, record_type="Customer", app_id="C-1") is None
    assert records.dirty(tenant_id=OTHER_TENANT) == []
    assert records.counts(tenant_id=OTHER_TENANT) == {}
    with pytest.raises(RecordNotFoundError):
        records.delete(tenant_id=OTHER_TENANT, record_type="Customer", app_id="C-1")
    with pytest.raises(RecordNotFoundError):
        records.mark_dirty(tenant_id=OTHER_TENANT, record_type="Customer", app_id="C-1")
    assert not records.mark_clean(
        tenant_id=OTHER_TENANT, record_type="Customer", app_id="C-1", content_hash=acme.content_hash
    )
    globex = put(records, customer(1, name="Globex's own"), tenant_id=OTHER_TENANT)
    assert globex.outcome == "created"
    records.mark_clean(
        tenant_id=OTHER_TENANT,
        record_type="Customer",
        app_id="C-1",
        content_hash=globex.content_hash,
    )
    mine = records.get(tenant_id=TENANT, record_type="Customer", app_id="C-1")
    assert mine is not None and mine.payload == customer(1) and mine.dirty and not mine.deleted
    theirs = records.get(tenant_id=OTHER_TENANT, record_type="Customer", app_id="C-1")
    assert theirs is not None and theirs.payload["name"] == "Globex's own" and not theirs.dirty


def test_mark_clean_many_clears_what_was_pushed_and_keeps_what_changed(
    records: RecordStore,
) -> None:
    """The bulk push marks a batch at once, with mark_clean's condition for each record: one
    changed meanwhile, or deleted, stays dirty; another tenant's record is not touched."""
    pushed = {n: put(records, customer(n), app_id=f"C-{n}").content_hash for n in range(5)}
    put(records, customer(1, name="Changed meanwhile"), app_id="C-1")
    records.delete(tenant_id=TENANT, record_type="Customer", app_id="C-2")
    put(records, customer(3), app_id="C-3", tenant_id=OTHER_TENANT)
    records.mark_clean_many(
        tenant_id=TENANT, records=[("Customer", f"C-{n}", pushed[n]) for n in range(5)]
    )
    records.mark_clean_many(tenant_id=TENANT, records=[])
    assert [r.app_id for r in records.dirty(tenant_id=TENANT)] == ["C-1", "C-2"]
    assert [r.app_id for r in records.dirty(tenant_id=OTHER_TENANT)] == ["C-3"]
