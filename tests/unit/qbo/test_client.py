"""QBOClient against the emulator: namespaces, the wire it speaks, paging, CDC and batch."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from qbokit import EmulatorTokens, RecordingGate, log_entries, params, request_ids, sales_line

from ledgerbridge.emulator import Emulator, create_app
from ledgerbridge.qbo import (
    BatchItem,
    DuplicateNameError,
    NotFoundError,
    QBOClient,
    RequestGate,
    StaleObjectError,
    TokenSource,
    ValidationError,
    select,
)

Connect = Callable[..., AbstractAsyncContextManager[QBOClient]]
Obj = dict[str, Any]

pytestmark = pytest.mark.anyio


async def new_customer(qbo: QBOClient, name: str = "Acme Fabrication", **fields: Any) -> Obj:
    return await qbo.customers.create({"DisplayName": name, **fields})


async def new_invoice(qbo: QBOClient, customer: Obj, amount: str = "100.00", **fields: Any) -> Obj:
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(amount)], **fields}
    return await qbo.invoices.create(body)


async def test_test_doubles_fit_the_protocols(tokens: EmulatorTokens, gate: RecordingGate) -> None:
    """The test token source and gate satisfy the contracts of docs/design/qbo-client.md."""
    assert isinstance(tokens, TokenSource)
    assert isinstance(gate, RequestGate)


async def test_every_request_sends_minorversion_75(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    customer = await new_customer(qbo)
    await qbo.customers.read(customer["Id"])
    await qbo.customers.query()
    await qbo.company_info()
    await qbo.preferences()
    await qbo.cdc(["Customer"], datetime.now().astimezone() - timedelta(hours=1))
    await qbo.batch([BatchItem("query", query=select("Customer"))])
    entries = log_entries(emulator, realm_id)
    assert len(entries) == 7
    assert all(params(e).get("minorversion") == "75" for e in entries)


async def test_writes_carry_a_uuid_requestid_and_reads_none(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """A write gets a fresh 32-hex requestid per call; reads and queries get none."""
    first = await new_customer(qbo, "First")
    await new_customer(qbo, "Second")
    await qbo.customers.read(first["Id"])
    await qbo.customers.count()
    ids = request_ids(log_entries(emulator, realm_id))
    assert ids[2:] == [None, None]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i or "") for i in ids[:2])
    assert ids[0] != ids[1]


async def test_caller_request_id_is_used(qbo: QBOClient, emulator: Emulator, realm_id: str) -> None:
    """The engine's durable operation id goes out as the requestid, and QBO replays it."""
    first = await qbo.customers.create({"DisplayName": "Replayed"}, request_id="op-000123")
    again = await qbo.customers.create({"DisplayName": "Replayed"}, request_id="op-000123")
    assert again == first  # replayed by QBO: no second customer, no 6240
    assert request_ids(log_entries(emulator, realm_id, "/customer")) == ["op-000123"] * 2
    assert await qbo.customers.count(select("Customer").where_eq(DisplayName="Replayed")) == 1


async def test_request_id_longer_than_50_is_refused(qbo: QBOClient) -> None:
    with pytest.raises(ValueError, match="50"):
        await qbo.customers.create({"DisplayName": "X"}, request_id="x" * 51)


async def test_every_request_goes_through_the_gate(
    qbo: QBOClient, gate: RecordingGate, emulator: Emulator, realm_id: str
) -> None:
    customer = await new_customer(qbo)
    await qbo.customers.read(customer["Id"])
    await qbo.batch([BatchItem("query", query=select("Customer"))])
    assert gate.slots == [(realm_id, False), (realm_id, False), (realm_id, True)]
    assert len(log_entries(emulator, realm_id)) == 3
    assert gate.open_slots == 0


async def test_name_list_create_read_update_deactivate(qbo: QBOClient) -> None:
    customer = await new_customer(qbo, Notes="key account", CompanyName="Acme Inc")
    assert customer["SyncToken"] == "0"
    read = await qbo.customers.read(customer["Id"])
    assert read["DisplayName"] == "Acme Fabrication"

    sparse = await qbo.customers.update(
        {"Id": read["Id"], "SyncToken": read["SyncToken"], "Notes": "changed"}
    )
    assert (sparse["Notes"], sparse["CompanyName"], sparse["SyncToken"]) == (
        "changed",
        "Acme Inc",
        "1",
    )
    full = await qbo.customers.update(
        {"Id": read["Id"], "SyncToken": "1", "DisplayName": "Acme Fabrication"}, sparse=False
    )
    assert "CompanyName" not in full and "Notes" not in full  # a full update clears them

    gone = await qbo.customers.deactivate(full["Id"], full["SyncToken"])
    assert gone["Active"] is False
    assert gone["DisplayName"] == "Acme Fabrication (deleted)"
    assert await qbo.customers.count() == 0  # hidden from default queries
    assert await qbo.customers.count(select("Customer").where("Active", "IN", [True, False])) == 1


async def test_update_and_create_check_the_body(qbo: QBOClient) -> None:
    """An Id-less update would silently create; an Id in a create would update."""
    with pytest.raises(ValueError, match="Id and SyncToken"):
        await qbo.customers.update({"DisplayName": "No Id"})
    with pytest.raises(ValueError, match="update"):
        await qbo.customers.create({"Id": "1", "DisplayName": "Has Id"})


async def test_invoice_void_and_delete(qbo: QBOClient) -> None:
    customer = await new_customer(qbo)
    invoice = await new_invoice(qbo, customer, "250.00")
    assert invoice["TotalAmt"] == Decimal("250.00")
    voided = await qbo.invoices.void(invoice["Id"], invoice["SyncToken"])
    assert (voided["TotalAmt"], voided["PrivateNote"]) == (0, "Voided")

    other = await new_invoice(qbo, customer)
    stub = await qbo.invoices.delete(other["Id"], other["SyncToken"])
    assert (stub["status"], stub["Id"]) == ("Deleted", other["Id"])
    with pytest.raises(NotFoundError) as caught:
        await qbo.invoices.read(other["Id"])
    assert caught.value.code == "610"


async def test_payment_and_sales_receipt_void_with_include(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """Payment and SalesReceipt are voided with ?operation=update&include=void (section 4.4)."""
    customer = await new_customer(qbo)
    invoice = await new_invoice(qbo, customer, "100.00")
    payment = await qbo.payments.create(
        {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": Decimal("100.00"),
            "Line": [
                {
                    "Amount": Decimal("100.00"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                }
            ],
        }
    )
    assert (await qbo.invoices.read(invoice["Id"]))["Balance"] == 0
    voided = await qbo.payments.void(payment["Id"], payment["SyncToken"])
    assert voided["TotalAmt"] == 0
    assert (await qbo.invoices.read(invoice["Id"]))["Balance"] == Decimal("100.00")

    receipt = await qbo.sales_receipts.create(
        {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line("40.00")]}
    )
    assert (await qbo.sales_receipts.void(receipt["Id"], receipt["SyncToken"]))["TotalAmt"] == 0
    voids = [params(e) for e in log_entries(emulator, realm_id) if "include" in params(e)]
    assert [(p["operation"], p["include"]) for p in voids] == [("update", "void")] * 2


async def test_every_namespace_reads_and_queries(qbo: QBOClient) -> None:
    """Each entity ledgerbridge uses has a namespace that QBO (the emulator) serves."""
    namespaces = {
        "accounts": "Account",
        "customers": "Customer",
        "vendors": "Vendor",
        "employees": "Employee",
        "items": "Item",
        "payment_methods": "PaymentMethod",
        "terms": "Term",
        "tax_codes": "TaxCode",
        "classes": "Class",
        "departments": "Department",
        "estimates": "Estimate",
        "invoices": "Invoice",
        "sales_receipts": "SalesReceipt",
        "credit_memos": "CreditMemo",
        "refund_receipts": "RefundReceipt",
        "payments": "Payment",
        "purchase_orders": "PurchaseOrder",
        "bills": "Bill",
        "inventory_adjustments": "InventoryAdjustment",
    }
    for attribute, entity in namespaces.items():
        resource = getattr(qbo, attribute)
        assert resource.entity == entity
        page = await resource.query(max_results=5)
        assert page.entity == entity and page.is_last is (len(page.items) < 5)
    services = (await qbo.items.query(select("Item").where_eq(Name="Services"))).items[0]
    assert (await qbo.items.read(services["Id"]))["Name"] == "Services"
    assert (await qbo.tax_codes.read("NON"))["Taxable"] is False


async def test_name_lists_have_no_delete_and_tax_codes_no_writes(qbo: QBOClient) -> None:
    assert not hasattr(qbo.customers, "delete")
    assert not hasattr(qbo.invoices, "deactivate")
    assert not hasattr(qbo.tax_codes, "create")
    assert not hasattr(qbo.estimates, "void")


async def test_money_stays_decimal_both_ways(qbo: QBOClient) -> None:
    """Amounts go out as their digits and come back as Decimal (no float anywhere)."""
    customer = await new_customer(qbo)
    invoice = await qbo.invoices.create(
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": Decimal("1861.07"),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": "1"},
                        "Qty": 3,
                        "UnitPrice": Decimal("620.3566666666"),
                    },
                },
                sales_line("0.10"),
                sales_line("0.20"),
            ],
        }
    )
    assert invoice["TotalAmt"] == Decimal("1861.37")
    assert isinstance(invoice["Line"][0]["Amount"], Decimal)
    assert invoice["Line"][0]["SalesItemLineDetail"]["UnitPrice"] == Decimal("620.3566666666")


async def test_a_float_is_refused_before_sending(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        await qbo.customers.create({"DisplayName": "Float", "Balance": 1.5})
    assert log_entries(emulator, realm_id) == []


async def test_company_info_and_preferences(qbo: QBOClient, realm_id: str) -> None:
    info = await qbo.company_info()
    assert info["CompanyName"] == "Test Machine Shop"
    preferences = await qbo.preferences()
    assert "SalesFormsPrefs" in preferences


async def test_raw_query(qbo: QBOClient) -> None:
    await new_customer(qbo, "Raw")
    response = await qbo.query("select * from Customer where DisplayName = 'Raw'")
    assert [c["DisplayName"] for c in response["Customer"]] == ["Raw"]
    assert await qbo.query("select * from Customer where DisplayName = 'Nobody'") == {}


async def test_paging_2500_customers(qbo: QBOClient, emulator: Emulator, realm_id: str) -> None:
    """iterate() yields every row once, in pages of 1000 until a short page (section 3.3)."""
    ledger = emulator.ledger(realm_id)
    for n in range(2500):
        ledger.create("Customer", {"DisplayName": f"Customer {n:04d}"})
    seen = [row["Id"] async for row in qbo.customers.iterate()]
    assert len(seen) == len(set(seen)) == 2500
    queries = log_entries(emulator, realm_id, "/query")
    assert len(queries) == 3
    assert await qbo.customers.count() == 2500
    page = await qbo.customers.query(start_position=2001)
    assert (len(page.items), page.is_last, page.next_start) == (500, True, 2501)


async def test_iterate_with_a_filter_and_small_pages(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    ledger = emulator.ledger(realm_id)
    for n in range(25):
        ledger.create("Customer", {"DisplayName": f"{'Even' if n % 2 == 0 else 'Odd'} {n:02d}"})
    query = select("Customer").where("DisplayName", "LIKE", "Even%").order_by("DisplayName")
    names = [row["DisplayName"] async for row in qbo.customers.iterate(query, page_size=5)]
    assert names == [f"Even {n:02d}" for n in range(0, 25, 2)]
    assert len(log_entries(emulator, realm_id, "/query")) == 3  # 5, 5, 3


async def test_cdc_returns_changes_and_deleted_stubs(qbo: QBOClient) -> None:
    since = datetime.now().astimezone() - timedelta(minutes=5)
    customer = await new_customer(qbo)
    kept = await new_invoice(qbo, customer)
    dropped = await new_invoice(qbo, customer)
    await qbo.invoices.delete(dropped["Id"], dropped["SyncToken"])
    changed = await qbo.cdc(["Customer", "Invoice", "Vendor"], since)
    assert set(changed) == {"Customer", "Invoice", "Vendor"}
    assert [c["Id"] for c in changed["Customer"]] == [customer["Id"]]
    invoices = {i["Id"]: i for i in changed["Invoice"]}
    assert invoices[kept["Id"]]["TotalAmt"] == Decimal("100.00")
    assert invoices[dropped["Id"]]["status"] == "Deleted"
    assert changed["Vendor"] == []


async def test_cdc_needs_an_aware_datetime(qbo: QBOClient) -> None:
    with pytest.raises(ValueError, match="time zone"):
        await qbo.cdc(["Customer"], datetime(2026, 1, 1))


async def test_batch_of_70_in_three_requests(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """70 items go as 30 + 30 + 10; results come back in item order with their bIds."""
    items = [BatchItem("create", "Customer", body={"DisplayName": f"Batch {n}"}) for n in range(70)]
    results = await qbo.batch(items)
    batches = log_entries(emulator, realm_id, "/batch")
    assert len(batches) == 3
    assert len({params(b)["requestid"] for b in batches}) == 3
    assert [r.item for r in results] == items
    assert [r.value["DisplayName"] for r in results if r.value] == [f"Batch {n}" for n in range(70)]
    assert len({r.bid for r in results}) == 70 and all(len(r.bid) <= 10 for r in results)
    assert await qbo.customers.count() == 70


async def test_batch_item_faults_are_results_not_exceptions(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """Each failing item carries its own translated error; the others succeed."""
    taken = await new_customer(qbo, "Taken")
    stale = await new_customer(qbo, "Stale")
    emulator.ui_edit(realm_id, "Customer", stale["Id"], {"Notes": "edited in QBO"})
    customer = await new_customer(qbo, "Buyer")
    invoice = await new_invoice(qbo, customer)
    await qbo.invoices.delete(invoice["Id"], invoice["SyncToken"])
    items = [
        BatchItem("create", "Customer", body={"DisplayName": "Fresh"}, bid="fresh"),
        BatchItem("create", "Customer", body={"DisplayName": "Taken"}),
        BatchItem("update", "Customer", body={"Id": stale["Id"], "SyncToken": "0", "Notes": "x"}),
        BatchItem("delete", "Invoice", body={"Id": invoice["Id"], "SyncToken": "0"}),
        BatchItem("create", "Invoice", body={"Line": [sales_line("5.00")]}),
        BatchItem("query", query=select("Customer").where_eq(DisplayName="Taken")),
        BatchItem("void", "Invoice", body={"Id": "999999", "SyncToken": "0"}),
    ]
    results = await qbo.batch(items)
    assert results[0].ok and results[0].bid == "fresh"
    assert results[0].unwrap()["DisplayName"] == "Fresh"
    assert isinstance(results[1].error, DuplicateNameError)
    assert isinstance(results[2].error, StaleObjectError)
    assert isinstance(results[3].error, NotFoundError)
    assert isinstance(results[4].error, ValidationError) and results[4].error.code == "2020"
    assert results[5].value == {
        "Customer": [await qbo.customers.read(taken["Id"])],
        "startPosition": 1,
        "maxResults": 1,
    }
    assert results[6].error is not None
    assert all(r.error.intuit_tid for r in results if r.error)
    with pytest.raises(DuplicateNameError):
        results[1].unwrap()


async def test_batch_unsupported_entity_is_code_500(qbo: QBOClient) -> None:
    """An entity QBO does not serve: Unsupported Operation (code 500), a ValidationError."""
    [result] = await qbo.batch([BatchItem("create", "JournalEntry", body={"Line": []})])
    assert isinstance(result.error, ValidationError) and result.error.code == "500"


async def test_batch_results_are_matched_by_bid(connect: Connect) -> None:
    """QBO's answer order is not relied on: a reversed answer still lands on the right items."""

    def reverse(
        request: httpx.Request, response: httpx.Response, body: bytes
    ) -> httpx.Response | None:
        if not request.url.path.endswith("/batch"):
            return None
        document = json.loads(body)
        document["BatchItemResponse"].reverse()
        return httpx.Response(200, headers=response.headers, json=document, request=request)

    async with connect(rewrite=reverse) as qbo:
        items = [
            BatchItem("create", "Vendor", body={"DisplayName": f"Vendor {n}"}) for n in range(5)
        ]
        results = await qbo.batch(items)
    assert [r.unwrap()["DisplayName"] for r in results] == [f"Vendor {n}" for n in range(5)]


async def test_batch_bids_are_checked(qbo: QBOClient) -> None:
    with pytest.raises(ValueError, match="unique"):
        await qbo.batch([BatchItem("query", query="select * from Item", bid="same")] * 2)
    with pytest.raises(ValueError, match="10"):
        BatchItem("query", query="select * from Item", bid="eleven-char")
    with pytest.raises(ValueError, match="Id and SyncToken"):
        BatchItem("delete", "Invoice", body={"Id": "1"})
    with pytest.raises(ValueError, match="chunk_size"):
        await qbo.batch([], chunk_size=31)


async def test_batch_chunk_size_is_configurable(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    items = [BatchItem("query", query=select("Item")) for _ in range(7)]
    results = await qbo.batch(items, chunk_size=3)
    assert len(log_entries(emulator, realm_id, "/batch")) == 3
    assert all(r.ok for r in results)


async def test_debug_log_has_no_tokens_or_bodies(
    qbo: QBOClient,
    tokens: EmulatorTokens,
    caplog: pytest.LogCaptureFixture,
    emulator: Emulator,
    realm_id: str,
) -> None:
    """One DEBUG line per request: method, path, status, intuit_tid, time; no secrets, no data."""
    with caplog.at_level(logging.DEBUG, logger="ledgerbridge.qbo"):
        await new_customer(qbo, "Secret Name Ltd")
        await qbo.customers.query(select("Customer").where_eq(DisplayName="Secret Name Ltd"))
    lines = [r.getMessage() for r in caplog.records if r.name == "ledgerbridge.qbo"]
    assert len(lines) == 2
    [create_entry, query_entry] = log_entries(emulator, realm_id)
    for line, (method_path, entry) in zip(
        lines, [("POST customer", create_entry), ("POST query", query_entry)], strict=True
    ):
        assert line.startswith(
            f"{method_path} -> 200 realm={realm_id} intuit_tid={entry['intuit_tid']}"
        )
    text = "\n".join(lines)
    assert tokens.current not in text and "Secret" not in text


async def test_own_http_client_is_left_open(
    emulator: Emulator, realm_id: str, tokens: EmulatorTokens
) -> None:
    """A client given ``http`` does not close it; one that made its own does."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(emulator)))
    async with QBOClient(realm_id, base_url="http://qbo.test/v3", tokens=tokens, http=http) as qbo:
        await qbo.company_info()
    assert not http.is_closed
    await http.aclose()
    with pytest.raises(ValueError, match="not both"):
        QBOClient(
            realm_id,
            base_url="http://qbo.test/v3",
            tokens=tokens,
            http=http,
            transport=httpx.ASGITransport(app=create_app(emulator)),
        )


async def test_batch_when_admitted_takes_its_items_once_the_slot_is_held(
    qbo: QBOClient, emulator: Emulator, realm_id: str, gate: RecordingGate
) -> None:
    """``take`` runs with the gate's slot held; its items go out under the requestid given."""
    held_while_taking: list[int] = []

    def take() -> list[BatchItem]:
        held_while_taking.append(gate.open_slots)
        return [BatchItem("create", "Vendor", body={"DisplayName": f"Late {n}"}) for n in range(3)]

    results = await qbo.batch_when_admitted(take, request_id="b" * 36)
    assert held_while_taking == [1]
    assert [r.unwrap()["DisplayName"] for r in results] == ["Late 0", "Late 1", "Late 2"]
    [sent] = log_entries(emulator, realm_id, "/batch")
    assert params(sent)["requestid"] == "b" * 36


async def test_batch_when_admitted_sends_nothing_when_nothing_is_left(
    qbo: QBOClient, emulator: Emulator, realm_id: str, gate: RecordingGate
) -> None:
    assert await qbo.batch_when_admitted(list) == []
    assert log_entries(emulator, realm_id, "/batch") == []
    assert gate.slots == [(realm_id, True)] and gate.open_slots == 0


async def test_batch_when_admitted_refuses_more_than_30_items(qbo: QBOClient) -> None:
    items = [BatchItem("query", query="select * from Item")] * 31
    with pytest.raises(ValueError, match="30"):
        await qbo.batch_when_admitted(lambda: items)


async def test_send_runs_one_batch_item_as_the_plain_request(
    qbo: QBOClient, emulator: Emulator, realm_id: str
) -> None:
    """Each operation of a batch item, sent alone through its entity's namespace."""
    customer = await qbo.send(BatchItem("create", "Customer", body={"DisplayName": "Alone"}))
    renamed = await qbo.send(
        BatchItem(
            "update",
            "Customer",
            body={"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Notes": "sent alone"},
        ),
        request_id="send-update",
    )
    invoice = await new_invoice(qbo, customer)
    voided = await qbo.send(BatchItem("void", "Invoice", body=invoice))
    found = await qbo.send(BatchItem("query", query=select("Customer").where_eq(Id=customer["Id"])))
    assert renamed["Notes"] == "sent alone" and renamed["DisplayName"] == "Alone"
    assert voided["TotalAmt"] == 0
    assert found["Customer"][0]["Notes"] == "sent alone"
    assert "send-update" in request_ids(log_entries(emulator, realm_id, "/customer"))
    with pytest.raises(ValueError, match="does not delete Customer"):
        await qbo.send(BatchItem("delete", "Customer", body={"Id": "1", "SyncToken": "0"}))
