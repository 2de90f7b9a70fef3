"""The inbound store: notifications once, versions once, QBO-owned records, atomic changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from storekit import OTHER_TENANT, TENANT, Clock, make_grant

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    EventStore,
    InboundChange,
    InboundStore,
    LinkConflictError,
    LinkMatch,
    LinkStore,
    NewEvent,
    ObjectVersion,
    OperationStore,
    OwnedRecordConflictError,
    OwnedWrite,
    RecordStore,
)


@pytest.fixture
def inbound(store: ConnectionStore, database: Database, clock: Clock) -> InboundStore:
    return InboundStore(database, clock=clock)


def _owned(name: str = "Beta") -> OwnedWrite:
    app_id = "qbo-customer-58"
    payload = {"type": "customer", "id": app_id, "name": name}
    return OwnedWrite("customer", app_id, payload, content_hash=f"hash-{name}")


def _change(
    token: str | None,
    *,
    qbo_id: str = "58",
    owned: OwnedWrite | None = None,
    match: LinkMatch | None = None,
) -> InboundChange:
    version = ObjectVersion("Customer", qbo_id, token, deleted=token is None)
    event = NewEvent("qbo.changed", "customer", None, "Customer", qbo_id, {"token": token})
    return InboundChange(version, (event,), owned=owned, match=match)


def test_a_notification_is_stored_once(inbound: InboundStore, clock: Clock) -> None:
    first = inbound.receive(b'{"eventNotifications": []}')
    again = inbound.receive(b'{"eventNotifications": []}')
    assert (first.duplicate, again.duplicate, again.id) == (False, True, first.id)
    assert inbound.pending() == [first.id]
    assert inbound.pending(received_before=clock() - timedelta(seconds=1)) == []
    inbound.finish(first.id, error="unreadable")
    stored = inbound.notification(first.id)
    assert stored is not None and (stored.status, stored.attempts) == ("failed", 1)
    assert inbound.receive(b'{"eventNotifications": []}').status == "failed"
    assert inbound.pending() == []


def test_a_version_is_applied_once_and_a_deletion_is_final(
    inbound: InboundStore, database: Database
) -> None:
    assert inbound.apply(tenant_id=TENANT, changes=[_change("3")]) == ["applied"]
    assert inbound.apply(tenant_id=TENANT, changes=[_change("3"), _change("2")]) == [
        "stale",
        "stale",
    ]
    assert inbound.apply(tenant_id=TENANT, changes=[_change("10")]) == ["applied"]
    assert inbound.apply(tenant_id=TENANT, changes=[_change(None)]) == ["applied"]
    assert inbound.apply(tenant_id=TENANT, changes=[_change("11")]) == ["stale"]
    assert inbound.apply(tenant_id=OTHER_TENANT, changes=[_change("3")]) == ["applied"]
    feed = EventStore(database).read(tenant_id=TENANT)
    assert [event.data["token"] for event in feed] == ["3", "10", None]


def test_a_qbo_owned_record_is_stored_clean_and_linked(
    inbound: InboundStore, database: Database
) -> None:
    """Never dirty, linked at its hash: the pusher has nothing to send for it."""
    inbound.apply(tenant_id=TENANT, changes=[_change("0", owned=_owned())])
    record = RecordStore(database).get(
        tenant_id=TENANT, record_type="customer", app_id="qbo-customer-58"
    )
    link = LinkStore(database).get(
        tenant_id=TENANT, record_type="customer", app_id="qbo-customer-58"
    )
    assert record is not None and not record.dirty and record.content_hash == "hash-Beta"
    assert link is not None and (link.qbo_id, link.sync_token) == ("58", "0")
    assert link.pushed_hash == "hash-Beta" and link.last_result == "ok"
    mark = inbound.owned(tenant_id=TENANT, record_type="customer", app_id="qbo-customer-58")
    assert mark is not None and mark.qbo_id == "58"
    assert RecordStore(database).dirty(tenant_id=TENANT) == []


def test_once_the_app_changes_it_qbo_no_longer_overwrites_it(
    inbound: InboundStore, database: Database
) -> None:
    inbound.apply(tenant_id=TENANT, changes=[_change("0", owned=_owned())])
    records = RecordStore(database)
    records.put(
        tenant_id=TENANT,
        record_type="customer",
        app_id="qbo-customer-58",
        payload={"name": "Beta (the app's)"},
        content_hash="hash-app",
    )
    outcome = inbound.apply(tenant_id=TENANT, changes=[_change("1", owned=_owned(name="B2"))])
    assert outcome == ["adopted"]
    record = records.get(tenant_id=TENANT, record_type="customer", app_id="qbo-customer-58")
    assert record is not None and record.payload["name"] == "Beta (the app's)"
    assert len(EventStore(database).read(tenant_id=TENANT)) == 2  # the change is still news


def test_conflicts_roll_the_whole_call_back(inbound: InboundStore, database: Database) -> None:
    """An app record with the id, or a QBO object another record holds: nothing written."""
    RecordStore(database).put(
        tenant_id=TENANT,
        record_type="customer",
        app_id="qbo-customer-58",
        payload={"name": "the app's own"},
        content_hash="h",
    )
    with pytest.raises(OwnedRecordConflictError):
        inbound.apply(
            tenant_id=TENANT, changes=[_change("0", qbo_id="9"), _change("0", owned=_owned())]
        )
    LinkStore(database).save(
        tenant_id=TENANT,
        record_type="customer",
        app_id="c-1",
        qbo_type="Customer",
        qbo_id="70",
        sync_token="0",
        pushed_hash="h",
    )
    match = LinkMatch("customer", "c-2", "linked by name")
    with pytest.raises(LinkConflictError):
        inbound.apply(tenant_id=TENANT, changes=[_change("0", qbo_id="70", match=match)])
    assert EventStore(database).read(tenant_id=TENANT) == []
    assert inbound.processed(tenant_id=TENANT, qbo_type="Customer", qbo_ids=["9", "70"]) == {}


def test_a_match_links_the_app_record_for_its_next_push(
    inbound: InboundStore, database: Database
) -> None:
    match = LinkMatch("customer", "c-1", "linked by name")
    inbound.apply(tenant_id=TENANT, changes=[_change("4", match=match)])
    link = LinkStore(database).get(tenant_id=TENANT, record_type="customer", app_id="c-1")
    assert link is not None and (link.qbo_id, link.sync_token) == ("58", "4")
    assert link.pushed_hash is None and link.last_result == "waiting"
    found = inbound.links(tenant_id=TENANT, qbo_type="Customer", qbo_ids=["58", "59"])
    assert list(found) == ["58"] and found["58"].app_id == "c-1"


def test_the_bookmark_never_moves_back_for_one_company(
    inbound: InboundStore, store: ConnectionStore, clock: Clock
) -> None:
    connection = store.save_connection(
        tenant_id=TENANT,
        environment="emulator",
        realm_id="9130001",
        company_name="Acme",
        grant=make_grant("a"),
    )
    later, earlier = clock() + timedelta(minutes=5), clock()
    save = inbound.save_bookmark
    save(connection_id=connection.id, tenant_id=TENANT, realm_id="9130001", changed_since=later)
    kept = save(
        connection_id=connection.id, tenant_id=TENANT, realm_id="9130001", changed_since=earlier
    )
    assert kept == later
    moved = save(
        connection_id=connection.id, tenant_id=TENANT, realm_id="9130002", changed_since=earlier
    )
    assert moved == earlier  # another company: a bookmark of its own
    (found,) = inbound.realm_connections("9130001")
    assert (found.tenant_id, found.connection_id) == (TENANT, connection.id)
    assert inbound.realm_connections("404") == []


def test_the_write_log_answers_whether_ledgerbridge_wrote_a_version(
    inbound: InboundStore, database: Database
) -> None:
    operations = OperationStore(database)
    operation = operations.create(
        tenant_id=TENANT,
        realm_id="9130001",
        record_type="customer",
        app_id="c-1",
        qbo_type="Customer",
        action="update",
        trigger="manual",
    )
    operations.start(tenant_id=TENANT, operation_id=operation.id)
    operations.succeed(tenant_id=TENANT, operation_id=operation.id, qbo_id="58", sync_token="3")

    def wrote(tenant_id: str, sync_token: str) -> bool:
        return inbound.wrote(
            tenant_id=tenant_id, qbo_type="Customer", qbo_id="58", sync_token=sync_token
        )

    assert wrote(TENANT, "3")
    assert not wrote(TENANT, "4")
    assert not wrote(OTHER_TENANT, "3")


def test_old_handled_notifications_are_pruned(inbound: InboundStore, clock: Clock) -> None:
    """Processed and failed notifications go after a while; one still waiting stays."""
    done, failed = inbound.receive(b"[1]"), inbound.receive(b"[2]")
    waiting = inbound.receive(b"[3]")
    inbound.finish(done.id)
    inbound.finish(failed.id, error="unreadable")
    assert inbound.prune(older_than=timedelta(days=7)) == 0
    clock.advance(timedelta(days=8))
    assert inbound.prune(older_than=timedelta(days=7)) == 2
    assert inbound.notification(done.id) is None and inbound.pending() == [waiting.id]
