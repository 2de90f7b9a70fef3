"""Operations: the durable write log, its transitions, one requestid per operation, open_for."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    InvalidTransitionError,
    OperationNotFoundError,
    OperationOutcome,
    OperationPendingError,
    OperationRecord,
    OperationStore,
    PlannedOperation,
    TenantNotFoundError,
)
from ledgerbridge.store._tables import Operation

REALM = "9130357766291734"
HEX32 = re.compile(r"[0-9a-f]{32}")
BODY = {"CustomerRef": {"value": "58"}, "DocNumber": "1001", "Line": []}


@pytest.fixture
def operations(store: ConnectionStore, database: Database, clock: Clock) -> OperationStore:
    """An operation store over the two tenants of ``store``, on the test's clock."""
    return OperationStore(database, clock=clock)


def queue(
    operations: OperationStore,
    app_id: str = "INV-1001",
    *,
    tenant_id: str = TENANT,
    record_type: str = "Invoice",
    run_id: str | None = None,
) -> OperationRecord:
    return operations.create(
        tenant_id=tenant_id,
        realm_id=REALM,
        record_type=record_type,
        app_id=app_id,
        qbo_type="Invoice",
        action="create",
        trigger="manual",
        run_id=run_id,
    )


# -- create -------------------------------------------------------------------------------------
def test_create_queues_with_a_request_id_made_once(
    operations: OperationStore, clock: Clock
) -> None:
    """A new operation is queued, with its own id and requestid (32 hex), no attempt yet."""
    created = operations.create(
        tenant_id=TENANT,
        realm_id=REALM,
        record_type="Invoice",
        app_id="INV-1001",
        qbo_type="Invoice",
        action="create",
        trigger="bulk",
        run_id="run-1",
        payload=BODY,
    )
    assert created.status == "queued" and not created.finished
    assert HEX32.fullmatch(created.id) and HEX32.fullmatch(created.request_id)
    assert created.id != created.request_id
    assert (created.attempts, created.created_at) == (0, clock.now)
    assert created.started_at is None and created.finished_at is None
    assert (created.realm_id, created.trigger, created.run_id) == (REALM, "bulk", "run-1")
    assert created.payload == BODY
    assert operations.get(tenant_id=TENANT, operation_id=created.id) == created
    assert operations.get(tenant_id=TENANT, operation_id="0" * 32) is None


def test_create_refuses_unknown_actions_triggers_and_tenants(operations: OperationStore) -> None:
    """Typos in what the engine records are errors, not rows."""
    arguments = {
        "tenant_id": TENANT,
        "realm_id": REALM,
        "record_type": "Invoice",
        "app_id": "INV-1",
        "qbo_type": "Invoice",
        "action": "create",
        "trigger": "manual",
    }
    with pytest.raises(ValueError, match="action"):
        operations.create(**{**arguments, "action": "upsert"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trigger"):
        operations.create(**{**arguments, "trigger": "cron"})  # type: ignore[arg-type]
    with pytest.raises(TenantNotFoundError):
        operations.create(**{**arguments, "tenant_id": "nobody"})  # type: ignore[arg-type]


# -- transitions --------------------------------------------------------------------------------
def test_an_operation_runs_and_succeeds(operations: OperationStore, clock: Clock) -> None:
    """start: running, one attempt, the body sent; succeed: QBO's Id and SyncToken, done."""
    created = queue(operations)
    clock.advance(timedelta(seconds=1))
    running = operations.start(tenant_id=TENANT, operation_id=created.id, payload=BODY)
    assert (running.status, running.attempts, running.started_at) == ("running", 1, clock.now)
    assert running.payload == BODY
    clock.advance(timedelta(seconds=1))
    done = operations.succeed(
        tenant_id=TENANT,
        operation_id=created.id,
        qbo_id="145",
        sync_token="0",
        intuit_tid="1-abc",
        message="Created in QuickBooks as invoice 1001.",
    )
    assert (done.status, done.qbo_id, done.sync_token, done.intuit_tid) == (
        "succeeded",
        "145",
        "0",
        "1-abc",
    )
    assert done.finished and done.finished_at == clock.now
    assert done.request_id == created.request_id
    assert operations.get(tenant_id=TENANT, operation_id=created.id) == done


def test_a_retry_reuses_the_request_id(operations: OperationStore) -> None:
    """A throttled attempt is requeued with its reason; the next attempt counts up and
    carries the same requestid, so QBO can never write the invoice twice."""
    created = queue(operations)
    operations.start(tenant_id=TENANT, operation_id=created.id)
    waiting = operations.requeue(
        tenant_id=TENANT,
        operation_id=created.id,
        error_code="throttled",
        message="QuickBooks is busy; trying again in a minute.",
        intuit_tid="1-429",
    )
    assert (waiting.status, waiting.error_code, waiting.attempts) == ("queued", "throttled", 1)
    again = operations.start(tenant_id=TENANT, operation_id=created.id)
    assert (again.attempts, again.request_id) == (2, created.request_id)
    done = operations.succeed(tenant_id=TENANT, operation_id=created.id, qbo_id="145")
    assert done.error_code is None and done.message is None and done.attempts == 2


@pytest.mark.parametrize("started", [False, True], ids=["queued", "running"])
def test_fail_and_skip_end_a_queued_or_running_operation(
    operations: OperationStore, started: bool
) -> None:
    """A mapping refusal fails a queued operation, a QBO refusal a running one; either can be
    skipped. Both keep the sentence for the shop owner."""
    failing, skipping = queue(operations, "PO-7"), queue(operations, "PO-8")
    if started:
        operations.start(tenant_id=TENANT, operation_id=failing.id)
        operations.start(tenant_id=TENANT, operation_id=skipping.id)
    failed = operations.fail(
        tenant_id=TENANT,
        operation_id=failing.id,
        error_code="6000",
        message="QuickBooks refused the purchase order: the vendor is inactive.",
        intuit_tid="1-tid",
    )
    assert (failed.status, failed.error_code, failed.intuit_tid) == ("failed", "6000", "1-tid")
    assert failed.finished_at is not None and failed.message is not None
    skipped = operations.skip(
        tenant_id=TENANT, operation_id=skipping.id, message="Created before the sync start date."
    )
    assert skipped.status == "skipped" and skipped.message == "Created before the sync start date."
    assert skipped.finished


Step = Callable[[OperationStore, str], OperationRecord]


def start(operations: OperationStore, operation_id: str) -> OperationRecord:
    return operations.start(tenant_id=TENANT, operation_id=operation_id)


def requeue(operations: OperationStore, operation_id: str) -> OperationRecord:
    return operations.requeue(tenant_id=TENANT, operation_id=operation_id)


def succeed(operations: OperationStore, operation_id: str) -> OperationRecord:
    return operations.succeed(tenant_id=TENANT, operation_id=operation_id, qbo_id="1")


def fail(operations: OperationStore, operation_id: str) -> OperationRecord:
    return operations.fail(tenant_id=TENANT, operation_id=operation_id, message="x")


def skip(operations: OperationStore, operation_id: str) -> OperationRecord:
    return operations.skip(tenant_id=TENANT, operation_id=operation_id, message="x")


@pytest.mark.parametrize(
    ("path", "step", "current", "target"),
    [
        ([], succeed, "queued", "succeeded"),
        ([], requeue, "queued", "queued"),
        ([start], start, "running", "running"),
        ([start, succeed], start, "succeeded", "running"),
        ([start, succeed], fail, "succeeded", "failed"),
        ([start, succeed], succeed, "succeeded", "succeeded"),
        ([fail], start, "failed", "running"),
        ([fail], requeue, "failed", "queued"),
        ([skip], skip, "skipped", "skipped"),
        ([start, skip], succeed, "skipped", "succeeded"),
    ],
)
def test_invalid_transitions_are_refused(
    operations: OperationStore, path: list[Step], step: Step, current: str, target: str
) -> None:
    """Out-of-order steps raise an error naming both statuses, and change nothing."""
    created = queue(operations)
    for earlier in path:
        earlier(operations, created.id)
    before = operations.get(tenant_id=TENANT, operation_id=created.id)
    with pytest.raises(InvalidTransitionError, match=f"is {current}: it cannot become {target}"):
        step(operations, created.id)
    assert operations.get(tenant_id=TENANT, operation_id=created.id) == before


def test_a_transition_of_an_unknown_operation_is_an_error(operations: OperationStore) -> None:
    """No row, no step."""
    with pytest.raises(OperationNotFoundError):
        operations.start(tenant_id=TENANT, operation_id="0" * 32)


def test_of_workers_starting_one_operation_exactly_one_wins(
    operations: OperationStore,
) -> None:
    """Eight threads start the same queued operation at once: one attempt, seven refusals."""
    created = queue(operations)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            operations.start(tenant_id=TENANT, operation_id=created.id)
        except InvalidTransitionError:
            outcomes.append("refused")
        else:
            outcomes.append("started")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["started"]
    stored = operations.get(tenant_id=TENANT, operation_id=created.id)
    assert stored is not None and stored.attempts == 1


def test_of_concurrent_creates_for_one_record_exactly_one_is_queued(
    operations: OperationStore,
) -> None:
    """Eight planners queue the same invoice at once: one operation, seven refusals that
    name it."""
    barrier = threading.Barrier(8)
    created: list[OperationRecord] = []
    pending: list[str | None] = []

    def planner() -> None:
        barrier.wait()
        try:
            created.append(queue(operations))
        except OperationPendingError as exc:
            pending.append(exc.operation_id)

    threads = [threading.Thread(target=planner) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == 1 and pending == [created[0].id] * 7
    assert operations.list(tenant_id=TENANT) == created


# -- open_for -----------------------------------------------------------------------------------
def test_open_for_finds_the_unfinished_operation_of_a_record(operations: OperationStore) -> None:
    """Queued or running: found; finished: not."""
    assert operations.open_for(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") is None
    created = queue(operations)
    found = operations.open_for(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001")
    assert found == created
    running = operations.start(tenant_id=TENANT, operation_id=created.id)
    assert (
        operations.open_for(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") == running
    )
    assert operations.open_for(tenant_id=TENANT, record_type="Invoice", app_id="INV-1002") is None
    operations.succeed(tenant_id=TENANT, operation_id=created.id, qbo_id="145")
    assert operations.open_for(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") is None


def test_a_record_has_one_unfinished_operation_at_a_time(operations: OperationStore) -> None:
    """A second create while one is open is refused, naming the open one; once that one is
    finished, the next operation gets a new requestid."""
    first = queue(operations)
    with pytest.raises(OperationPendingError) as caught:
        queue(operations)
    assert caught.value.operation_id == first.id
    queue(operations, "INV-1002")  # another record is independent
    operations.start(tenant_id=TENANT, operation_id=first.id)
    with pytest.raises(OperationPendingError):
        queue(operations)
    operations.fail(tenant_id=TENANT, operation_id=first.id, message="fix the customer")
    second = queue(operations)
    assert second.request_id != first.request_id


def test_the_database_itself_allows_one_open_operation_per_record(
    operations: OperationStore, database: Database
) -> None:
    """The partial unique index backs the check: a second open row is refused, a finished
    one is not."""
    first = queue(operations)
    row = {
        "tenant_id": TENANT,
        "realm_id": REALM,
        "record_type": "Invoice",
        "app_id": "INV-1001",
        "qbo_type": "Invoice",
        "action": "update",
        "trigger": "auto",
        "attempts": 0,
        "created_at": Clock().now,
    }
    with (
        pytest.raises(sa.exc.IntegrityError, match=r"(?i)unique"),
        database.transaction() as session,
    ):
        session.execute(
            sa.insert(Operation),
            [{**row, "id": "a" * 32, "request_id": "b" * 32, "status": "queued"}],
        )
    with database.transaction() as session:
        session.execute(
            sa.insert(Operation),
            [{**row, "id": "c" * 32, "request_id": "d" * 32, "status": "succeeded"}],
        )
    assert operations.open_for(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001") == first


def test_after_a_crash_the_open_operation_resumes_with_its_request_id(
    operations: OperationStore, database: Database, clock: Clock
) -> None:
    """A worker died mid-attempt; a new process finds the running operation and retries it
    under the same requestid instead of creating the invoice a second time."""
    created = queue(operations)
    operations.start(tenant_id=TENANT, operation_id=created.id, payload=BODY)
    restarted = OperationStore(database, clock=clock)  # a new process, the same database
    found = restarted.open_for(tenant_id=TENANT, record_type="Invoice", app_id="INV-1001")
    assert found is not None and found.status == "running" and found.payload == BODY
    restarted.requeue(
        tenant_id=TENANT, operation_id=found.id, message="The worker stopped mid-request."
    )
    again = restarted.start(tenant_id=TENANT, operation_id=found.id)
    assert (again.request_id, again.attempts) == (created.request_id, 2)


# -- list ---------------------------------------------------------------------------------------
def test_list_is_newest_first_with_filters(operations: OperationStore, clock: Clock) -> None:
    """Newest first; by status, record type, app id and run."""
    made = []
    for number in range(4):
        record_type = "Invoice" if number % 2 else "Customer"
        made.append(queue(operations, f"X-{number}", record_type=record_type, run_id="run-1"))
        clock.advance(timedelta(seconds=1))
    other_run = queue(operations, "X-9", run_id="run-2")
    operations.start(tenant_id=TENANT, operation_id=made[0].id)

    def ids(found: list[OperationRecord]) -> list[str]:
        return [op.app_id for op in found]

    assert ids(operations.list(tenant_id=TENANT)) == ["X-9", "X-3", "X-2", "X-1", "X-0"]
    assert ids(operations.list(tenant_id=TENANT, status="running")) == ["X-0"]
    assert ids(operations.list(tenant_id=TENANT, record_type="Customer")) == ["X-2", "X-0"]
    assert ids(operations.list(tenant_id=TENANT, app_id="X-1")) == ["X-1"]
    assert ids(operations.list(tenant_id=TENANT, run_id="run-2")) == [other_run.app_id]
    assert ids(operations.list(tenant_id=TENANT, run_id="run-1", status="queued", limit=2)) == [
        "X-3",
        "X-2",
    ]
    with pytest.raises(ValueError, match="limit"):
        operations.list(tenant_id=TENANT, limit=0)


def test_list_pages_without_losing_operations_of_the_same_moment(
    operations: OperationStore,
) -> None:
    """Seven operations created at one instant, read three at a time with ``before``: each
    exactly once."""
    made = {queue(operations, f"B-{number}").id for number in range(7)}
    seen: list[str] = []
    before = None
    while True:
        page = operations.list(tenant_id=TENANT, limit=3, before=before)
        if not page:
            break
        seen += [op.id for op in page]
        before = page[-1].id
    assert len(seen) == 7 and set(seen) == made
    with pytest.raises(OperationNotFoundError):
        operations.list(tenant_id=TENANT, before="0" * 32)


# -- isolation ----------------------------------------------------------------------------------
def test_tenants_do_not_see_or_change_each_others_operations(
    operations: OperationStore,
) -> None:
    """Globex cannot read, list, find, page from or move Acme's operation, and has open
    operations of its own for the same app ids."""
    acme = queue(operations)
    assert operations.get(tenant_id=OTHER_TENANT, operation_id=acme.id) is None
    assert operations.list(tenant_id=OTHER_TENANT) == []
    assert (
        operations.open_for(tenant_id=OTHER_TENANT, record_type="Invoice", app_id="INV-1001")
        is None
    )
    with pytest.raises(OperationNotFoundError):
        operations.list(tenant_id=OTHER_TENANT, before=acme.id)
    for step in (
        lambda: operations.start(tenant_id=OTHER_TENANT, operation_id=acme.id),
        lambda: operations.succeed(tenant_id=OTHER_TENANT, operation_id=acme.id, qbo_id="1"),
        lambda: operations.fail(tenant_id=OTHER_TENANT, operation_id=acme.id, message="x"),
        lambda: operations.skip(tenant_id=OTHER_TENANT, operation_id=acme.id, message="x"),
        lambda: operations.requeue(tenant_id=OTHER_TENANT, operation_id=acme.id),
    ):
        with pytest.raises(OperationNotFoundError):
            step()
    globex = queue(operations, tenant_id=OTHER_TENANT)
    assert globex.id != acme.id and globex.request_id != acme.request_id
    assert operations.get(tenant_id=TENANT, operation_id=acme.id) == acme
    assert operations.list(tenant_id=TENANT) == [acme]


# -- many at once -------------------------------------------------------------------------------
def wave(count: int, record_type: str = "Invoice") -> list[PlannedOperation]:
    return [
        PlannedOperation(
            record_type, f"INV-{n}", "Invoice", "create", payload={"DocNumber": str(n)}
        )
        for n in range(count)
    ]


def test_create_many_stores_a_wave_started_with_a_request_id_each(
    operations: OperationStore, clock: Clock
) -> None:
    created = operations.create_many(
        tenant_id=TENANT,
        realm_id=REALM,
        trigger="bulk",
        operations=wave(3),
        run_id="r1",
        start=True,
    )
    assert [op.app_id for op in created] == ["INV-0", "INV-1", "INV-2"]
    assert len({op.request_id for op in created}) == 3
    assert all(HEX32.fullmatch(op.request_id) for op in created)
    for op in created:
        assert operations.get(tenant_id=TENANT, operation_id=op.id) == op
        assert (op.status, op.attempts, op.started_at, op.trigger) == (
            "running",
            1,
            clock.now,
            "bulk",
        )
    queued = operations.create_many(
        tenant_id=TENANT, realm_id=REALM, trigger="bulk", operations=wave(1, "Bill")
    )
    assert (queued[0].status, queued[0].attempts, queued[0].started_at) == ("queued", 0, None)


def test_create_many_refuses_a_record_with_an_open_operation_and_stores_none(
    operations: OperationStore,
) -> None:
    queue(operations, app_id="INV-1")
    with pytest.raises(OperationPendingError):
        operations.create_many(tenant_id=TENANT, realm_id=REALM, trigger="bulk", operations=wave(3))
    with pytest.raises(OperationPendingError):
        operations.create_many(
            tenant_id=TENANT, realm_id=REALM, trigger="bulk", operations=[*wave(1), *wave(1)]
        )
    with pytest.raises(TenantNotFoundError):
        operations.create_many(
            tenant_id="nobody", realm_id=REALM, trigger="bulk", operations=wave(1)
        )
    assert [op.app_id for op in operations.list(tenant_id=TENANT)] == ["INV-1"]


def test_finish_many_applies_each_outcome_with_the_transition_rules(
    operations: OperationStore, clock: Clock
) -> None:
    ops = operations.create_many(
        tenant_id=TENANT, realm_id=REALM, trigger="bulk", operations=wave(4), start=True
    )
    clock.advance(timedelta(seconds=2))
    operations.finish_many(
        tenant_id=TENANT,
        outcomes=[
            OperationOutcome(ops[0].id, "succeeded", qbo_id="145", sync_token="0"),
            OperationOutcome(ops[1].id, "failed", error_code="6000", message="Fix the lines."),
            OperationOutcome(ops[2].id, "skipped", message="Unchanged."),
            OperationOutcome(ops[3].id, "queued", error_code="3001", message="Busy."),
        ],
    )
    got = [operations.get(tenant_id=TENANT, operation_id=op.id) for op in ops]
    assert [(op.status if op else None) for op in got] == [
        "succeeded",
        "failed",
        "skipped",
        "queued",
    ]
    assert got[0] is not None and (got[0].qbo_id, got[0].finished_at) == ("145", clock.now)
    assert got[3] is not None and got[3].finished_at is None
    assert list(operations.open_of(tenant_id=TENANT)) == [("Invoice", "INV-3")]
    with pytest.raises(InvalidTransitionError):  # succeeded is final; nothing of the call applies
        operations.finish_many(
            tenant_id=TENANT,
            outcomes=[
                OperationOutcome(ops[3].id, "failed", message="Gave up."),
                OperationOutcome(ops[0].id, "failed", message="No."),
            ],
        )
    assert operations.open_of(tenant_id=TENANT)["Invoice", "INV-3"].status == "queued"
    with pytest.raises(ValueError, match="qbo_id"):
        OperationOutcome(ops[3].id, "succeeded")


def test_open_of_finds_the_unfinished_operations_of_some_types(operations: OperationStore) -> None:
    queue(operations, app_id="INV-1")
    queue(operations, app_id="C-1", record_type="Customer")
    queue(operations, app_id="INV-2", tenant_id=OTHER_TENANT)
    assert sorted(operations.open_of(tenant_id=TENANT)) == [
        ("Customer", "C-1"),
        ("Invoice", "INV-1"),
    ]
    assert list(operations.open_of(tenant_id=TENANT, record_types=["Invoice"])) == [
        ("Invoice", "INV-1")
    ]


def test_restart_many_begins_another_attempt_with_the_same_request_id(
    operations: OperationStore,
) -> None:
    """After a crash: a running operation is requeued and started again, a queued one
    started; both keep their requestid. A finished one cannot be restarted."""
    running = operations.create_many(
        tenant_id=TENANT, realm_id=REALM, trigger="bulk", operations=wave(1), start=True
    )[0]
    queued = queue(operations, app_id="INV-9")
    operations.restart_many(tenant_id=TENANT, operation_ids=[running.id, queued.id])
    again = [operations.get(tenant_id=TENANT, operation_id=op.id) for op in (running, queued)]
    assert [(op.status, op.attempts) for op in again if op] == [("running", 2), ("running", 1)]
    assert [op.request_id for op in again if op] == [running.request_id, queued.request_id]
    operations.finish_many(
        tenant_id=TENANT, outcomes=[OperationOutcome(running.id, "succeeded", qbo_id="1")]
    )
    with pytest.raises(InvalidTransitionError):
        operations.restart_many(tenant_id=TENANT, operation_ids=[running.id])
    with pytest.raises(OperationNotFoundError):
        operations.restart_many(tenant_id=TENANT, operation_ids=["no-such-operation"])
