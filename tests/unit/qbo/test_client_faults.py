"""QBOClient against every fault the emulator can inject and every error QBO answers: which
class is raised, what is retried, and that retried writes happen exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from qbokit import (
    FAST,
    EmulatorTokens,
    RecordingGate,
    log_entries,
    no_faults_left,
    request_ids,
    sales_line,
)

from ledgerbridge.emulator import Emulator
from ledgerbridge.qbo import (
    Action,
    AuthenticationError,
    AuthorizationError,
    BatchItem,
    BooksClosedError,
    DuplicateDocNumberError,
    DuplicateNameError,
    InvalidGrantError,
    NotFoundError,
    QBOClient,
    RetryPolicy,
    ServerError,
    StaleObjectError,
    SubscriptionEndedError,
    ThrottledError,
    TransportError,
    UncertainOutcomeError,
    ValidationError,
    select,
)
from support import CLIENT_ID, Served

Connect = Callable[..., AbstractAsyncContextManager[QBOClient]]
Obj = dict[str, Any]

pytestmark = pytest.mark.anyio

#: a client timeout far below the injected hang, so that the hang is what the client sees
SHORT_TIMEOUT = 0.3
HANG_SECONDS = 1.0


async def count_named(qbo: QBOClient, name: str) -> int:
    return await qbo.customers.count(select("Customer").where_eq(DisplayName=name))


def statuses(emulator: Emulator, realm_id: str, path: str = "") -> list[int]:
    return [e["status"] for e in log_entries(emulator, realm_id, path)]


# -- retried, then recovered ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["http_500", "http_502", "http_503", "http_504"])
async def test_server_errors_are_retried_with_the_same_requestid(
    qbo: QBOClient, emulator: Emulator, realm_id: str, kind: str
) -> None:
    """Two 5xx answers, then success: one customer, one requestid on all three attempts."""
    emulator.faults.arm(kind, count=2, realm_id=realm_id, path="/customer")
    with no_faults_left(emulator):
        customer = await qbo.customers.create({"DisplayName": "Retried"})
    entries = log_entries(emulator, realm_id, "/customer")
    assert [e["status"] for e in entries] == [int(kind[-3:])] * 2 + [200]
    [request_id] = set(request_ids(entries))
    assert request_id is not None
    assert customer["DisplayName"] == "Retried"
    assert await count_named(qbo, "Retried") == 1


async def test_server_errors_on_reads_are_retried(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    emulator.faults.arm("http_503", count=2, realm_id=realm_id)
    info = await qbo.company_info()
    assert info["CompanyName"] == "Test Machine Shop"
    assert statuses(emulator, realm_id) == [503, 503, 200]


async def test_retry_budget_runs_out_into_a_visible_error(
    connect: Connect, emulator: Emulator, realm_id: str
) -> None:
    """After max_attempts sends the last error is raised, with its attempts counted."""
    emulator.faults.arm("http_503", count=10, realm_id=realm_id)
    async with connect(retry=RetryPolicy(max_attempts=3, backoff_base=0.01, jitter=False)) as qbo:
        with pytest.raises(ServerError) as caught:
            await qbo.customers.create({"DisplayName": "Never"})
    error = caught.value
    assert (error.status, error.attempts, error.action) == (503, 3, Action.RETRY)
    assert error.intuit_tid == log_entries(emulator, realm_id)[-1]["intuit_tid"]
    assert len(set(request_ids(log_entries(emulator, realm_id)))) == 1
    assert statuses(emulator, realm_id) == [503] * 3


async def test_max_attempts_one_turns_retries_off(
    connect: Connect, emulator: Emulator, realm_id: str
) -> None:
    emulator.faults.arm("http_500", realm_id=realm_id)
    async with connect(retry=RetryPolicy(max_attempts=1)) as qbo:
        with pytest.raises(ServerError) as caught:
            await qbo.company_info()
    assert caught.value.attempts == 1 and caught.value.code == "10000"
    assert statuses(emulator, realm_id) == [500]


async def test_injected_429_waits_and_pauses_the_realm(
    qbo: QBOClient, emulator: Emulator, realm_id: str, gate: RecordingGate
) -> None:
    """A 429 without Retry-After waits throttle_wait and pauses every request of the realm."""
    emulator.faults.arm("http_429", count=2, realm_id=realm_id)
    started = time.monotonic()
    await qbo.company_info()
    assert time.monotonic() - started >= 2 * FAST.throttle_wait
    assert gate.pauses == [(realm_id, FAST.throttle_wait)] * 2
    assert statuses(emulator, realm_id) == [429, 429, 200]


async def test_real_throttle_honours_retry_after(
    qbo: QBOClient, emulator: Emulator, realm_id: str, gate: RecordingGate
) -> None:
    """Over the per-second limit the emulator answers 429 with Retry-After: 1; the client
    waits that long (pausing the realm) and gets through."""
    emulator.configure(limits={"requests_per_second": 2})
    started = time.monotonic()
    for _ in range(3):
        await qbo.company_info()
    assert time.monotonic() - started >= 1.0
    assert gate.pauses == [(realm_id, 1.0)]
    assert statuses(emulator, realm_id) == [200, 200, 429, 200]


async def test_throttling_that_never_ends_raises_throttled(
    connect: Connect, emulator: Emulator, realm_id: str, gate: RecordingGate
) -> None:
    emulator.faults.arm("http_429", count=5, realm_id=realm_id)
    async with connect(retry=RetryPolicy(max_attempts=3, throttle_wait=0.01)) as qbo:
        with pytest.raises(ThrottledError) as caught:
            await qbo.customers.query()
    assert (caught.value.code, caught.value.retry_after, caught.value.attempts) == ("3001", None, 3)
    assert len(gate.pauses) == 3


async def test_hang_on_a_write_is_uncertain_then_retried_once_committed(
    connect: Connect, served: Served, emulator: Emulator, realm_id: str
) -> None:
    """A write that times out may have been committed: it is retried with the same
    requestid, and QBO ends up with exactly one customer."""
    emulator.faults.arm("hang", realm_id=realm_id, path="/customer", seconds=HANG_SECONDS)
    async with connect(served=served, timeout=SHORT_TIMEOUT) as qbo:
        customer = await qbo.customers.create({"DisplayName": "Patient"})
        assert await count_named(qbo, "Patient") == 1
    ids = request_ids(log_entries(emulator, realm_id, "/customer"))
    assert customer["DisplayName"] == "Patient"
    assert len(set(ids)) == 1


async def test_hang_without_retries_raises_uncertain_outcome(
    connect: Connect, served: Served, emulator: Emulator, realm_id: str
) -> None:
    emulator.faults.arm("hang", realm_id=realm_id, path="/customer", seconds=HANG_SECONDS)
    async with connect(
        served=served, timeout=SHORT_TIMEOUT, retry=RetryPolicy(max_attempts=1)
    ) as qbo:
        with pytest.raises(UncertainOutcomeError) as caught:
            await qbo.customers.create({"DisplayName": "Unsure"})
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


async def test_hang_on_a_read_is_a_plain_transport_error(
    connect: Connect, served: Served, emulator: Emulator, realm_id: str
) -> None:
    """A read that times out changed nothing: a TransportError, not an uncertain outcome."""
    emulator.faults.arm("hang", realm_id=realm_id, seconds=HANG_SECONDS)
    async with connect(
        served=served, timeout=SHORT_TIMEOUT, retry=RetryPolicy(max_attempts=1)
    ) as qbo:
        with pytest.raises(TransportError) as caught:
            await qbo.company_info()
    assert type(caught.value) is TransportError


async def test_dropped_connection_is_retried(
    connect: Connect, served: Served, emulator: Emulator, realm_id: str
) -> None:
    emulator.faults.arm("drop", count=2, realm_id=realm_id)
    async with connect(served=served) as qbo:
        info = await qbo.company_info()
    assert info["CompanyName"] == "Test Machine Shop"
    assert len(log_entries(emulator, realm_id)) == 3


async def test_dropped_write_without_retries_is_uncertain(
    connect: Connect, served: Served, emulator: Emulator, realm_id: str
) -> None:
    """The client cannot tell a drop before the write from one after it."""
    emulator.faults.arm("drop", realm_id=realm_id, path="/customer")
    async with connect(served=served, retry=RetryPolicy(max_attempts=1)) as qbo:
        with pytest.raises(UncertainOutcomeError):
            await qbo.customers.create({"DisplayName": "Dropped"})
        assert await count_named(qbo, "Dropped") == 0  # this time nothing ran


async def test_committed_response_lost_is_replayed_not_duplicated(
    connect: Connect, served: Served, emulator: Emulator, realm_id: str
) -> None:
    """The write happens, its answer is lost; the retry with the same requestid gets the
    first answer replayed: exactly ONE object exists afterwards."""
    emulator.faults.arm("committed_response_lost", realm_id=realm_id, path="/customer")
    async with connect(served=served) as qbo:
        customer = await qbo.customers.create({"DisplayName": "Exactly Once"})
        assert await count_named(qbo, "Exactly Once") == 1
        assert (await qbo.customers.read(customer["Id"]))["SyncToken"] == "0"
    creates = [e for e in log_entries(emulator, realm_id, "/customer") if e["method"] == "POST"]
    assert len(creates) == 2
    assert len(set(request_ids(creates))) == 1


async def test_committed_response_lost_as_504_is_replayed(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """Same, when the lost answer comes back as a gateway 504 (in-process)."""
    customer = await qbo.customers.create({"DisplayName": "Buyer"})
    emulator.faults.arm(
        "committed_response_lost", realm_id=realm_id, path="/invoice", respond="504"
    )
    invoice = await qbo.invoices.create(
        {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line("75.00")]}
    )
    assert await qbo.invoices.count() == 1
    assert invoice["TotalAmt"] == 75
    assert statuses(emulator, realm_id, "/invoice") == [504, 200]


async def test_committed_batch_is_replayed_not_duplicated(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    emulator.faults.arm("committed_response_lost", realm_id=realm_id, path="/batch$", respond="504")
    items = [
        BatchItem("create", "Customer", body={"DisplayName": f"Batched {n}"}) for n in range(4)
    ]
    results = await qbo.batch(items)
    assert all(r.ok for r in results)
    assert await qbo.customers.count() == 4
    assert len(set(request_ids(log_entries(emulator, realm_id, "/batch")))) == 1


# -- authentication ------------------------------------------------------------------------------


async def test_expired_access_token_refreshes_once(
    qbo: QBOClient, emulator: Emulator, realm_id: str, tokens: EmulatorTokens
) -> None:
    old = tokens.current
    emulator.faults.arm("access_token_expired", realm_id=realm_id)
    customer = await qbo.customers.create({"DisplayName": "After Refresh"})
    assert customer["DisplayName"] == "After Refresh"
    assert tokens.refreshes == 1 and tokens.rejected == [old]
    assert statuses(emulator, realm_id) == [401, 200]
    assert len(set(request_ids(log_entries(emulator, realm_id)))) == 1


async def test_refresh_not_counted_against_a_budget_of_one(
    connect: Connect, emulator: Emulator, realm_id: str, tokens: EmulatorTokens
) -> None:
    """Refreshing after a 401 is part of authenticating, even with retries off."""
    emulator.faults.arm("access_token_expired", realm_id=realm_id)
    async with connect(retry=RetryPolicy(max_attempts=1)) as qbo:
        await qbo.company_info()
    assert tokens.refreshes == 1


async def test_a_second_401_after_refresh_raises_authentication(
    qbo: QBOClient, emulator: Emulator, realm_id: str, tokens: EmulatorTokens
) -> None:
    emulator.faults.arm("access_token_expired", count=2, realm_id=realm_id)
    with pytest.raises(AuthenticationError) as caught:
        await qbo.company_info()
    error = caught.value
    assert (error.status, error.code, error.attempts, error.action) == (
        401,
        "3200",
        2,
        Action.RECONNECT,
    )
    assert tokens.refreshes == 1
    assert error.intuit_tid is not None


async def test_revoked_connection_raises_invalid_grant(
    qbo: QBOClient, emulator: Emulator, realm_id: str, tokens: EmulatorTokens
) -> None:
    """The app was disconnected: 401, the refresh is refused, and the caller must reconnect."""
    emulator.faults.arm("refresh_token_revoked", realm_id=realm_id)
    with pytest.raises(InvalidGrantError) as caught:
        await qbo.customers.query()
    assert caught.value.action is Action.RECONNECT
    assert caught.value.attempts == 1
    assert tokens.refreshes == 1
    assert statuses(emulator, realm_id) == [401]


async def test_token_of_another_company_is_authorization_error(
    connect: Connect, emulator: Emulator, tokens: EmulatorTokens
) -> None:
    """A valid token used for a company it was not issued for: 403 / 3100, no refresh."""
    other = emulator.create_company("Other Shop")
    async with connect(realm=other) as qbo:
        with pytest.raises(AuthorizationError) as caught:
            await qbo.company_info()
    assert (caught.value.status, caught.value.code) == (403, "3100")
    assert tokens.refreshes == 0
    assert [e["status"] for e in emulator.request_log(other)] == [403]


# -- the company refuses -------------------------------------------------------------------------


async def test_subscription_ended_stops_without_retry(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    emulator.faults.arm("subscription_ended", realm_id=realm_id)
    with pytest.raises(SubscriptionEndedError) as caught:
        await qbo.customers.create({"DisplayName": "Lapsed"})
    assert (caught.value.code, caught.value.action) == ("6190", Action.STOP)
    assert statuses(emulator, realm_id) == [400]


async def test_subscription_ended_with_http_200(
    connect: Connect, emulator: Emulator, realm_id: str
) -> None:
    """QBO has sent 6190 with HTTP 200 (section 1.9): the Fault still raises."""

    def as_200(request: httpx.Request, response: httpx.Response, body: bytes) -> httpx.Response:
        return httpx.Response(200, headers=response.headers, content=body, request=request)

    emulator.faults.arm("subscription_ended", realm_id=realm_id)
    async with connect(rewrite=as_200) as qbo:
        with pytest.raises(SubscriptionEndedError) as caught:
            await qbo.customers.create({"DisplayName": "Lapsed"})
    assert caught.value.status == 200


async def test_books_closed_fault(qbo: QBOClient, emulator: Emulator, realm_id: str) -> None:
    emulator.faults.arm("books_closed", realm_id=realm_id)
    with pytest.raises(BooksClosedError) as caught:
        await qbo.customers.query()
    assert caught.value.code == "6210"


async def test_closing_the_books_for_real_raises_6210(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """A closing date set "in the QBO UI" refuses transactions dated on or before it."""
    customer = await qbo.customers.create({"DisplayName": "Late"})
    emulator.ui_edit(
        realm_id, "Preferences", "1", {"AccountingInfoPrefs": {"BookCloseDate": "2025-12-31"}}
    )
    with pytest.raises(BooksClosedError) as caught:
        await qbo.invoices.create(
            {
                "CustomerRef": {"value": customer["Id"]},
                "TxnDate": "2025-06-30",
                "Line": [sales_line("9.00")],
            }
        )
    assert caught.value.intuit_tid is not None and caught.value.element == "TxnDate"
    after = await qbo.invoices.create(
        {
            "CustomerRef": {"value": customer["Id"]},
            "TxnDate": "2026-01-02",
            "Line": [sales_line("9.00")],
        }
    )
    assert after["TxnDate"] == "2026-01-02"


# -- resolve and fix-the-data errors are raised at once ------------------------------------------


async def test_stale_sync_token_after_a_ui_edit(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    customer = await qbo.customers.create({"DisplayName": "Contested"})
    emulator.ui_edit(realm_id, "Customer", customer["Id"], {"Notes": "edited by a person"})
    with pytest.raises(StaleObjectError) as caught:
        await qbo.customers.update({"Id": customer["Id"], "SyncToken": "0", "Notes": "ours"})
    error = caught.value
    assert (error.status, error.code, error.action, error.attempts) == (
        400,
        "5010",
        Action.RESOLVE,
        1,
    )
    assert error.intuit_tid == log_entries(emulator, realm_id)[-1]["intuit_tid"]
    assert "QuickBooks User" in (error.detail or "")


async def test_duplicate_name(qbo: QBOClient, emulator: Emulator, realm_id: str) -> None:
    """Customers, vendors and employees share one namespace (6240)."""
    await qbo.vendors.create({"DisplayName": "Shared Name"})
    with pytest.raises(DuplicateNameError) as caught:
        await qbo.customers.create({"DisplayName": "Shared Name"})
    assert caught.value.code == "6240"
    assert statuses(emulator, realm_id, "/customer") == [400]


async def test_duplicate_doc_number(qbo: QBOClient) -> None:
    customer = await qbo.customers.create({"DisplayName": "Numbered"})
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "DocNumber": "INV-7",
        "Line": [sales_line("1.00")],
    }
    await qbo.invoices.create(body)
    with pytest.raises(DuplicateDocNumberError) as caught:
        await qbo.invoices.create(body)
    assert (caught.value.code, caught.value.element) == ("6140", "DocNumber")


async def test_reference_to_a_missing_object_is_not_found_2500(qbo: QBOClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await qbo.invoices.create(
            {"CustomerRef": {"value": "424242"}, "Line": [sales_line("1.00")]}
        )
    assert caught.value.code == "2500"


async def test_reference_to_an_inactive_object_is_not_found_610(qbo: QBOClient) -> None:
    customer = await qbo.customers.create({"DisplayName": "Gone Away"})
    await qbo.customers.deactivate(customer["Id"], customer["SyncToken"])
    with pytest.raises(NotFoundError) as caught:
        await qbo.invoices.create(
            {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line("1.00")]}
        )
    assert caught.value.code == "610"


@pytest.mark.parametrize(
    ("entity", "body", "code"),
    [
        ("invoices", {"Line": [sales_line("1.00")]}, "2020"),  # no CustomerRef
        ("customers", {"DisplayName": "X", "Unheard": 1}, "2010"),
        ("customers", {"DisplayName": "x" * 501}, "2050"),
        ("customers", {"DisplayName": "Colon: not allowed"}, "2050"),
    ],
)
async def test_validation_errors_are_raised_at_once(
    qbo: QBOClient, emulator: Emulator, realm_id: str, entity: str, body: Obj, code: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await getattr(qbo, entity).create(body)
    assert (caught.value.code, caught.value.action) == (code, Action.FIX_DATA)
    assert len(log_entries(emulator, realm_id)) == 1


async def test_invalid_id_is_2030(qbo: QBOClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await qbo.customers.read("1.5")
    assert (caught.value.code, caught.value.element) == ("2030", "Id")


async def test_amount_mismatch_is_6070(qbo: QBOClient) -> None:
    customer = await qbo.customers.create({"DisplayName": "Arithmetic"})
    line = sales_line("10.00")
    line["SalesItemLineDetail"].update({"Qty": 3, "UnitPrice": 3})
    with pytest.raises(ValidationError) as caught:
        await qbo.invoices.create({"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    assert caught.value.code == "6070"


async def test_business_rule_is_6000(qbo: QBOClient) -> None:
    """Deleting an invoice that a payment links is refused by a business rule."""
    customer = await qbo.customers.create({"DisplayName": "Paid Up"})
    invoice = await qbo.invoices.create(
        {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line("5.00")]}
    )
    await qbo.payments.create(
        {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": 5,
            "Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        }
    )
    fresh = await qbo.invoices.read(invoice["Id"])
    with pytest.raises(ValidationError) as caught:
        await qbo.invoices.delete(fresh["Id"], fresh["SyncToken"])
    assert caught.value.code == "6000"


async def test_query_error_is_4001(qbo: QBOClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await qbo.query("SELECT * FROM Customer STARTPOSITION 0")
    assert caught.value.code == "4001"


# -- batch under faults --------------------------------------------------------------------------


async def test_batch_recovers_from_a_503_with_one_requestid(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    emulator.faults.arm("http_503", realm_id=realm_id, path="/batch$")
    results = await qbo.batch([BatchItem("create", "Vendor", body={"DisplayName": "V1"})])
    assert results[0].ok
    batches = log_entries(emulator, realm_id, "/batch")
    assert [e["status"] for e in batches] == [503, 200]
    assert len(set(request_ids(batches))) == 1


async def test_batch_stopped_by_the_company_fails_every_item_without_raising(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """A Stop error on one chunk is each item's result, and later chunks are not sent."""
    emulator.faults.arm("subscription_ended", realm_id=realm_id, path="/batch$")
    items = [BatchItem("create", "Vendor", body={"DisplayName": f"V{n}"}) for n in range(40)]
    results = await qbo.batch(items)
    assert len(results) == 40
    assert all(isinstance(r.error, SubscriptionEndedError) for r in results)
    assert len(log_entries(emulator, realm_id, "/batch")) == 1


async def test_batch_chunk_out_of_retries_fails_its_items_only(
    connect: Connect, emulator: Emulator, realm_id: str
) -> None:
    """A chunk whose retries run out gives its error to its items; the next chunk still runs."""
    emulator.faults.arm("http_502", count=2, realm_id=realm_id, path="/batch$")
    items = [BatchItem("create", "Vendor", body={"DisplayName": f"V{n}"}) for n in range(4)]
    async with connect(retry=RetryPolicy(max_attempts=2, backoff_base=0.01)) as qbo:
        results = await qbo.batch(items, chunk_size=2)
        assert await qbo.vendors.count() == 2
    assert [type(r.error) for r in results] == [ServerError, ServerError, type(None), type(None)]
    assert results[0].error is not None and results[0].error.attempts == 2


async def test_client_over_a_real_socket_works_end_to_end(
    served: Served, emulator: Emulator, realm_id: str
) -> None:
    """The client without any transport of ours: a real TCP connection to the emulator."""
    tokens = EmulatorTokens(emulator, CLIENT_ID, realm_id)
    async with QBOClient(realm_id, base_url=f"{served.url}/v3", tokens=tokens) as qbo:
        created = await qbo.customers.create({"DisplayName": "Over TCP"})
        assert (await qbo.customers.read(created["Id"]))["DisplayName"] == "Over TCP"
