"""The sync start date dates customers and projects by their creation time.

That is the app's ``created_at`` when it sends one, else when ledgerbridge first received the
record, which later puts do not move (``StoredRecord.first_received_at``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pushkit import TENANT, World

from ledgerbridge.model import (
    Customer,
    Project,
    RecordValidationError,
    TenantSettings,
    content_hash,
    parse_record,
)
from ledgerbridge.store import Database, RecordStore

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

NOW = datetime.now(UTC)
START = (NOW - timedelta(days=3)).date()


def _received_long_ago(database: Database, record: Customer) -> None:
    """The app sent ``record`` ten days ago (a store whose clock is ten days back)."""
    RecordStore(database, clock=lambda: NOW - timedelta(days=10)).put(
        tenant_id=TENANT,
        record_type=record.type,
        app_id=record.id,
        payload=record.model_dump(mode="json"),
        content_hash=content_hash(record),
    )


async def test_a_customer_sent_again_keeps_its_first_reception_date(
    world: World, database: Database
) -> None:
    """First received before the start date, changed and sent again today: still skipped."""
    world.with_settings(TenantSettings(sync_start_date=START))
    _received_long_ago(database, Customer(id="c1", name="Acme Tooling"))
    world.put(Customer(id="c1", name="Acme Tooling", phone="555-0100"))
    stored = world.records.get(tenant_id=TENANT, record_type="customer", app_id="c1")
    assert stored is not None and stored.received_at > stored.first_received_at
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "skipped"
    first = (NOW - timedelta(days=10)).date()
    assert result.message == (
        f"Not sent to QuickBooks: the customer was created on {first}, before the sync start "
        f"date {START}."
    )
    assert world.emulator.request_log(world.realm_id) == []


async def test_the_apps_creation_time_wins_over_the_first_reception(
    world: World, database: Database
) -> None:
    """created_at after the start date pushes a customer first received before it; one
    created before it is skipped although received today."""
    world.with_settings(TenantSettings(sync_start_date=START))
    new = datetime.combine(START + timedelta(days=1), datetime.min.time(), UTC)
    _received_long_ago(database, Customer(id="c1", name="Acme Tooling", created_at=new))
    old = datetime.combine(START - timedelta(days=1), datetime.min.time(), UTC)
    world.put(Customer(id="c2", name="Beta Castings", created_at=old))
    assert (await world.pusher.push("customer", "c1")).outcome == "created"
    skipped = await world.pusher.push("customer", "c2")
    assert skipped.outcome == "skipped"
    assert skipped.message is not None and f"created on {old.date()}" in skipped.message
    assert [c["DisplayName"] for c in world.objects("Customer")] == ["Acme Tooling"]


async def test_a_project_is_dated_by_its_creation_time(world: World) -> None:
    """A project at the trigger stage but created before the start date is skipped."""
    settings = TenantSettings(sync_start_date=START, customer_object="sub_customer_per_project")
    world.with_settings(settings)
    world.put(Customer(id="c1", name="Acme Tooling"))
    created = datetime.combine(START, datetime.min.time(), UTC) - timedelta(hours=1)
    world.put(Project(id="p1", customer_id="c1", name="Gearbox", created_at=created))
    world.put(Project(id="p2", customer_id="c1", name="Spindle"))
    skipped = await world.pusher.push("project", "p1")
    assert skipped.outcome == "skipped"
    assert skipped.message is not None and "the project was created on" in skipped.message
    assert (await world.pusher.push("project", "p2")).outcome == "created"


def test_a_creation_time_without_a_time_zone_is_refused() -> None:
    """A naive created_at would be read in some zone: refused, naming the field."""
    customer = {"type": "customer", "id": "c1", "name": "Acme"}
    with pytest.raises(RecordValidationError, match="created_at"):
        parse_record({**customer, "created_at": "2026-01-05T09:00:00"})
    parsed = parse_record({**customer, "created_at": "2026-01-05T09:00:00-05:00"})
    assert isinstance(parsed, Customer) and parsed.created_at is not None
    assert parsed.created_at.astimezone(UTC).date() == date(2026, 1, 5)
