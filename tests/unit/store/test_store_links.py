"""Links: save/get/by_qbo, one QBO object per app record, failures, relink, unlink, isolation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    LinkConflictError,
    LinkRecord,
    LinkSave,
    LinkStore,
    TenantNotFoundError,
)
from ledgerbridge.store._tables import Link

TID = "1-6789abcd-0123456789abcdef01234567"


@pytest.fixture
def links(store: ConnectionStore, database: Database, clock: Clock) -> LinkStore:
    """A link store over the two tenants of ``store``, on the test's clock."""
    return LinkStore(database, clock=clock)


def link_invoice(
    links: LinkStore,
    app_id: str = "INV-1001",
    qbo_id: str = "145",
    *,
    tenant_id: str = TENANT,
    sync_token: str = "0",
    pushed_hash: str = "hash-1",
    warning: str | None = None,
) -> LinkRecord:
    return links.save(
        tenant_id=tenant_id,
        record_type="Invoice",
        app_id=app_id,
        qbo_type="Invoice",
        qbo_id=qbo_id,
        sync_token=sync_token,
        pushed_hash=pushed_hash,
        intuit_tid=TID,
        warning=warning,
    )


# -- save / get / by_qbo ------------------------------------------------------------------------
def test_save_then_get_and_by_qbo(links: LinkStore, clock: Clock) -> None:
    """A saved link reads back by app record and by QBO object."""
    saved = link_invoice(links)
    assert saved == LinkRecord(
        tenant_id=TENANT,
        record_type="Invoice",
        app_id="INV-1001",
        qbo_type="Invoice",
        qbo_id="145",
        sync_token="0",
        pushed_hash="hash-1",
        last_result="ok",
        last_error_code=None,
        last_message=None,
        last_intuit_tid=TID,
        warning=None,
        updated_at=clock.now,
    )
    assert saved.linked
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") == saved
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Invoice", qbo_id="145") == saved
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Estimate", qbo_id="145") is None
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-9") is None


def test_save_again_updates_the_token_and_hash_and_replaces_the_warning(
    links: LinkStore, clock: Clock
) -> None:
    """An update push stores the new SyncToken and hash; a push without a warning clears the
    previous one (it was about the previous push)."""
    link_invoice(links, warning="QuickBooks total 100.01 differs from the app's 100.00")
    clock.advance(timedelta(minutes=3))
    updated = link_invoice(links, sync_token="1", pushed_hash="hash-2")
    assert (updated.sync_token, updated.pushed_hash, updated.warning) == ("1", "hash-2", None)
    assert updated.updated_at == clock.now
    warned = link_invoice(links, sync_token="2", warning="Total differs by 0.01")
    assert warned.warning == "Total differs by 0.01"


def test_a_qbo_object_belongs_to_one_app_record(links: LinkStore) -> None:
    """Saving QBO Invoice 145 for a second app record is refused, naming the first; nothing
    changes."""
    first = link_invoice(links, "INV-1001", "145")
    with pytest.raises(LinkConflictError, match="INV-1001") as caught:
        link_invoice(links, "INV-1002", "145")
    assert caught.value.linked_to == ("Invoice", "INV-1001")
    assert (caught.value.qbo_type, caught.value.qbo_id) == ("Invoice", "145")
    assert "INV-1001" in caught.value.user_message
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Invoice", qbo_id="145") == first
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-1002") is None


def test_save_does_not_move_a_linked_record_to_another_object(links: LinkStore) -> None:
    """Pointing a linked record elsewhere takes relink(), not a plain save."""
    first = link_invoice(links, "INV-1001", "145")
    with pytest.raises(LinkConflictError, match="relink") as caught:
        link_invoice(links, "INV-1001", "146")
    assert caught.value.linked_to is None
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") == first


def test_the_database_itself_refuses_a_second_record_on_one_object(
    links: LinkStore, database: Database
) -> None:
    """The unique constraint backs the check (a concurrent writer could pass the check)."""
    with database.transaction() as session:
        session.execute(sa.insert(Link), [_row("INV-1", "145")])
    with (
        pytest.raises(sa.exc.IntegrityError, match=r"(?i)unique"),
        database.transaction() as session,
    ):
        session.execute(sa.insert(Link), [_row("INV-2", "145")])
    with database.transaction() as session:  # many unlinked rows are fine (NULLs differ)
        session.execute(sa.insert(Link), [_row("INV-3", None), _row("INV-4", None)])


def _row(app_id: str, qbo_id: str | None) -> dict[str, object]:
    return {
        "tenant_id": TENANT,
        "record_type": "Invoice",
        "app_id": app_id,
        "qbo_type": None if qbo_id is None else "Invoice",
        "qbo_id": qbo_id,
        "last_result": "ok" if qbo_id else "failed",
        "updated_at": Clock().now,
    }


def test_an_unknown_tenant_is_refused(links: LinkStore) -> None:
    """Links belong to a known tenant."""
    with pytest.raises(TenantNotFoundError):
        link_invoice(links, tenant_id="nobody")
    with pytest.raises(TenantNotFoundError):
        links.record_failure(tenant_id="nobody", record_type="Invoice", app_id="INV-1", message="x")


# -- failures -----------------------------------------------------------------------------------
def test_a_failure_of_an_unlinked_record_is_recorded_without_a_qbo_object(
    links: LinkStore,
) -> None:
    """A create that QBO refused leaves a row for the console: failed, code, sentence."""
    failed = links.record_failure(
        tenant_id=TENANT,
        record_type="PurchaseOrder",
        app_id="PO-7",
        error_code="no_lines",
        message="This purchase order has no item lines and no cost above zero; nothing was sent.",
    )
    assert not failed.linked and failed.qbo_type is None and failed.pushed_hash is None
    assert (failed.last_result, failed.last_error_code) == ("failed", "no_lines")
    assert failed.last_message is not None and "nothing was sent" in failed.last_message
    assert links.get(tenant_id=TENANT, record_type="PurchaseOrder", app_id="PO-7") == failed


def test_a_failure_keeps_what_the_last_push_stored(links: LinkStore) -> None:
    """A refused update leaves QBO as it was: object, SyncToken, pushed hash and warning
    stay; the result, code, message and intuit_tid are the failure's."""
    link_invoice(links, sync_token="3", pushed_hash="hash-3", warning="Total differs by 0.01")
    failed = links.record_failure(
        tenant_id=TENANT,
        record_type="Invoice",
        app_id="INV-1001",
        error_code="6000",
        message="QuickBooks refused the invoice: the customer is inactive.",
        intuit_tid="1-tid-of-the-failure",
    )
    assert (failed.qbo_id, failed.sync_token, failed.pushed_hash) == ("145", "3", "hash-3")
    assert failed.warning == "Total differs by 0.01"
    assert (failed.last_result, failed.last_error_code) == ("failed", "6000")
    assert failed.last_intuit_tid == "1-tid-of-the-failure"
    ok = link_invoice(links, sync_token="4", pushed_hash="hash-4")
    assert (ok.last_result, ok.last_error_code, ok.last_message) == ("ok", None, None)


@pytest.mark.parametrize("result", ["skipped", "waiting"])
def test_skipped_and_waiting_are_recorded_too(links: LinkStore, result: str) -> None:
    """Not eligible, or waiting for the owner (a refund account): shown with the reason."""
    recorded = links.record_failure(
        tenant_id=TENANT,
        record_type="Refund",
        app_id="R-1",
        message="Refunds wait until a refund account is chosen in Settings.",
        result=result,  # type: ignore[arg-type]
    )
    assert recorded.last_result == result and recorded.last_error_code is None


def test_record_failure_refuses_ok(links: LinkStore) -> None:
    """Success is save()'s: it needs the QBO object and the hash pushed."""
    with pytest.raises(ValueError, match="save"):
        links.record_failure(
            tenant_id=TENANT, record_type="Invoice", app_id="INV-1", message="x", result="ok"
        )


# -- relink / unlink ----------------------------------------------------------------------------
def test_relink_points_the_record_at_another_object(links: LinkStore) -> None:
    """The record moves to the new object, waits for a push (no pushed hash, no warning),
    and the old object is free for another record."""
    link_invoice(links, "INV-1001", "145", warning="Total differs by 0.01")
    moved = links.relink(
        tenant_id=TENANT,
        record_type="Invoice",
        app_id="INV-1001",
        qbo_type="Invoice",
        qbo_id="200",
        sync_token="5",
    )
    assert (moved.qbo_id, moved.sync_token, moved.pushed_hash) == ("200", "5", None)
    assert moved.last_result == "waiting" and moved.warning is None
    assert moved.last_message == "Linked to QuickBooks Invoice 200; the next sync updates it."
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Invoice", qbo_id="200") == moved
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Invoice", qbo_id="145") is None
    link_invoice(links, "INV-1002", "145")


def test_relink_links_an_unlinked_record_and_respects_the_one_record_rule(
    links: LinkStore,
) -> None:
    """Re-attaching a record found by DocNumber works without a prior link; an object held
    by another record is refused."""
    link_invoice(links, "INV-1001", "145")
    found = links.relink(
        tenant_id=TENANT,
        record_type="Invoice",
        app_id="INV-1002",
        qbo_type="Invoice",
        qbo_id="146",
        message="Found in QuickBooks by its number 1002.",
    )
    assert found.linked and found.last_message == "Found in QuickBooks by its number 1002."
    with pytest.raises(LinkConflictError) as caught:
        links.relink(
            tenant_id=TENANT,
            record_type="Invoice",
            app_id="INV-1002",
            qbo_type="Invoice",
            qbo_id="145",
        )
    assert caught.value.linked_to == ("Invoice", "INV-1001")
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-1002") == found


def test_unlink_forgets_the_link_once(links: LinkStore) -> None:
    """Unlink removes the row (True), a second unlink finds nothing (False), and the QBO
    object can then be linked to another record."""
    link_invoice(links, "INV-1001", "145")
    assert links.unlink(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001")
    assert not links.unlink(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001")
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") is None
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Invoice", qbo_id="145") is None
    assert link_invoice(links, "INV-1002", "145").app_id == "INV-1002"


# -- list ---------------------------------------------------------------------------------------
def test_list_filters_by_type_and_result_and_pages(links: LinkStore) -> None:
    """Links in (type, app id) order; by type; the error queue; pages with ``after``."""
    link_invoice(links, "INV-2", "2")
    link_invoice(links, "INV-1", "1")
    links.save(
        tenant_id=TENANT,
        record_type="Customer",
        app_id="C-1",
        qbo_type="Customer",
        qbo_id="58",
        sync_token="0",
        pushed_hash="c",
    )
    links.record_failure(tenant_id=TENANT, record_type="Invoice", app_id="INV-3", message="no")

    def keys(found: list[LinkRecord]) -> list[str]:
        return [link.app_id for link in found]

    assert keys(links.list(tenant_id=TENANT)) == ["C-1", "INV-1", "INV-2", "INV-3"]
    assert keys(links.list(tenant_id=TENANT, record_type="Invoice")) == ["INV-1", "INV-2", "INV-3"]
    assert keys(links.list(tenant_id=TENANT, result="failed")) == ["INV-3"]
    assert keys(links.list(tenant_id=TENANT, record_type="Customer", result="failed")) == []
    page = links.list(tenant_id=TENANT, limit=2)
    assert keys(page) == ["C-1", "INV-1"]
    assert keys(links.list(tenant_id=TENANT, after=("Invoice", "INV-1"))) == ["INV-2", "INV-3"]


# -- isolation ----------------------------------------------------------------------------------
def test_tenants_do_not_see_or_change_each_others_links(links: LinkStore) -> None:
    """Globex cannot read, list, unlink or fail Acme's link; both companies may have a QBO
    Invoice 145 of their own."""
    acme = link_invoice(links, "INV-1001", "145")
    assert links.get(tenant_id=OTHER_TENANT, record_type="Invoice", app_id="INV-1001") is None
    assert links.by_qbo(tenant_id=OTHER_TENANT, qbo_type="Invoice", qbo_id="145") is None
    assert links.list(tenant_id=OTHER_TENANT) == []
    assert not links.unlink(tenant_id=OTHER_TENANT, record_type="Invoice", app_id="INV-1001")
    links.record_failure(
        tenant_id=OTHER_TENANT, record_type="Invoice", app_id="INV-1001", message="theirs"
    )
    globex = link_invoice(links, "INV-7", "145", tenant_id=OTHER_TENANT)
    assert globex.qbo_id == "145"
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") == acme
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Invoice", qbo_id="145") == acme
    assert [link.app_id for link in links.list(tenant_id=TENANT)] == ["INV-1001"]


# -- many at once -------------------------------------------------------------------------------
def invoice_saves(count: int, *, first_qbo_id: int = 500) -> list[LinkSave]:
    return [
        LinkSave(
            record_type="Invoice",
            app_id=f"INV-{n}",
            qbo_type="Invoice",
            qbo_id=str(first_qbo_id + n),
            sync_token="0",
            pushed_hash=f"hash-{n}",
            warning="QBO's total differs" if n == 3 else None,
        )
        for n in range(count)
    ]


def test_save_many_saves_a_batch_as_save_would(links: LinkStore) -> None:
    """New and existing links in one call; each reads back as if saved alone."""
    link_invoice(links, app_id="INV-0", qbo_id="500", sync_token="4")
    saved = links.save_many(tenant_id=TENANT, saves=invoice_saves(40))
    assert [link.app_id for link in saved] == [f"INV-{n}" for n in range(40)]
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-0") == saved[0]
    assert saved[0].sync_token == "0" and saved[0].last_intuit_tid is None
    assert links.by_qbo(tenant_id=TENANT, qbo_type="Invoice", qbo_id="539") == saved[39]
    assert saved[3].warning == "QBO's total differs"
    assert all(link.last_result == "ok" for link in saved)


def test_save_many_is_all_or_nothing_on_a_conflict(links: LinkStore) -> None:
    """One QBO object already held by another record: nothing of the batch is saved."""
    link_invoice(links, app_id="INV-OTHER", qbo_id="505")
    with pytest.raises(LinkConflictError) as caught:
        links.save_many(tenant_id=TENANT, saves=invoice_saves(10))
    assert caught.value.linked_to == ("Invoice", "INV-OTHER")
    assert links.get(tenant_id=TENANT, record_type="Invoice", app_id="INV-0") is None


def test_save_many_refuses_one_object_for_two_records_of_the_batch(links: LinkStore) -> None:
    twins = [*invoice_saves(2), replace(invoice_saves(1)[0], app_id="INV-TWIN")]
    with pytest.raises(LinkConflictError):
        links.save_many(tenant_id=TENANT, saves=twins)
    assert links.list(tenant_id=TENANT) == []


def test_save_many_does_not_move_a_linked_record(links: LinkStore) -> None:
    link_invoice(links, app_id="INV-1", qbo_id="77")
    with pytest.raises(LinkConflictError, match="relink"):
        links.save_many(tenant_id=TENANT, saves=invoice_saves(3))


def test_save_many_refuses_an_unknown_tenant(links: LinkStore) -> None:
    with pytest.raises(TenantNotFoundError):
        links.save_many(tenant_id="no-such-tenant", saves=invoice_saves(2))


def test_of_types_reads_every_link_of_the_types_in_one_go(links: LinkStore) -> None:
    links.save_many(tenant_id=TENANT, saves=invoice_saves(3))
    link_invoice(links, app_id="INV-X", qbo_id="9", tenant_id=OTHER_TENANT)
    links.record_failure(tenant_id=TENANT, record_type="Bill", app_id="B-1", message="no")
    found = links.of_types(tenant_id=TENANT, record_types=["Invoice", "Bill"])
    assert sorted(found) == [
        ("Bill", "B-1"),
        ("Invoice", "INV-0"),
        ("Invoice", "INV-1"),
        ("Invoice", "INV-2"),
    ]
    assert not found["Bill", "B-1"].linked
    assert links.of_types(tenant_id=TENANT, record_types=["Vendor"]) == {}
    with pytest.raises(TypeError):
        links.of_types(tenant_id=TENANT, record_types="Invoice")
