"""Sync turned off (the console's Disable): nothing is requested or run, records wait, the
connection stays; turned on again, the waiting records go out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobkit import TENANT, Shop, drain_here, open_shop

from ledgerbridge.engine import (
    Selection,
    SyncError,
    SyncRuntime,
    request_auto_sync,
    request_run,
    schedule_due,
    sweep,
)
from ledgerbridge.model import TenantSettings
from ledgerbridge.store import TokenGrant
from support import Served

pytestmark = pytest.mark.integration

OFF = TenantSettings(sync_enabled=False, auto_sync=frozenset({"customer"}), schedule_minutes=1)


@pytest.fixture
def shop(tmp_path: Path, served: Served) -> Iterator[Shop]:
    with open_shop(tmp_path, served) as opened:
        opened.connect(TENANT)
        yield opened


def test_sync_off_refuses_runs_and_leaves_auto_sync_sweeper_and_schedule_idle(shop: Shop) -> None:
    """No trigger requests a run for a tenant whose sync is off; the records stay dirty."""
    shop.configure(TENANT, OFF)
    shop.put_customers(TENANT, 2, ago=timedelta(minutes=5))
    runtime = SyncRuntime(shop.settings)
    try:
        with pytest.raises(SyncError, match="off"):
            request_run(runtime, TENANT, "manual", Selection(records=(("customer", "c0"),)))
        assert request_auto_sync(runtime, TENANT, [("customer", "c0")]) is None
        assert sweep(runtime, grace=timedelta(0)).requested == ()
        assert schedule_due(runtime).requested == ()
    finally:
        runtime.database.dispose()
    assert shop.runs_of(TENANT) == []
    assert shop.dirty(TENANT) == 2


def test_a_run_queued_before_sync_was_turned_off_fails_saying_so(shop: Shop) -> None:
    """Turned off while a run waited: the run ends failed with the reason, nothing is sent."""
    realm_id = shop.connect(TENANT)
    shop.put_customers(TENANT, 1)
    runtime = SyncRuntime(shop.settings)
    try:
        request_run(runtime, TENANT, "bulk")
    finally:
        runtime.database.dispose()
    shop.configure(TENANT, OFF)
    drain_here(shop.settings, TENANT)
    (run,) = shop.runs_of(TENANT)
    assert run.status == "failed"
    assert "Sync is off" in (run.error or "")
    assert not shop.names(realm_id)
    shop.configure(TENANT, TenantSettings())
    runtime = SyncRuntime(shop.settings)
    try:
        request_run(runtime, TENANT, "bulk")
    finally:
        runtime.database.dispose()
    drain_here(shop.settings, TENANT)
    assert shop.names(realm_id)[f"{TENANT} customer 0"] == 1


@pytest.mark.parametrize(("time_scale", "status"), [(1.0, "expiring"), (10.0, "connected")])
def test_the_five_year_cap_warning_shrinks_with_the_emulators_time_scale(
    shop: Shop, time_scale: float, status: str
) -> None:
    """Ten real days before the cap: a month's warning at Intuit's pace, but 100 company
    days away under an emulator ten times faster, whose warning is three real days."""
    now = datetime.now(UTC)
    grant = TokenGrant(
        access_token="access",
        refresh_token="refresh",
        access_expires_at=now + timedelta(minutes=50),
        refresh_expires_at=now + timedelta(days=10),
        hard_expires_at=now + timedelta(days=10),
    )
    runtime = SyncRuntime(shop.settings.model_copy(update={"qbo_time_scale": time_scale}))
    try:
        saved = runtime.connections.save_connection(
            tenant_id=TENANT,
            environment="emulator",
            realm_id="9130",
            company_name="Scaled Co",
            grant=grant,
        )
    finally:
        runtime.database.dispose()
    assert saved.status == status
