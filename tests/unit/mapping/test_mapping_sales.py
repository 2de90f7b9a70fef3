"""Sales orders, invoices, credit memos and refunds as QBO sales forms (QBO-REFERENCE.md 8)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from mapkit import CUSTOMER, HOURS, SERVICE, STOCK, Books

from ledgerbridge.mapping import (
    MappingError,
    QBORef,
    SettingRequiredError,
    SkipRecordError,
    UnresolvedReferenceError,
    close_estimate,
    expected_total,
    map_credit_memo,
    map_invoice,
    map_refund,
    map_sales_order,
    other_estimates,
)
from ledgerbridge.model import (
    CreditMemo,
    Invoice,
    Refund,
    SalesOrder,
    TenantSettings,
    parse_record,
)

Obj = dict[str, Any]


def order(number: str = "1001", **changes: Any) -> SalesOrder:
    record = parse_record(
        {
            "type": "sales_order",
            "id": f"so-{number}",
            "customer_id": CUSTOMER,
            "number": number,
            "order_date": "2026-03-01",
            "due_date": "2026-03-20",
            "lines": [
                {
                    "item_id": STOCK,
                    "description": "Bracket, zinc",
                    "quantity": "3",
                    "unit_price": "12.335",
                },
                {"item_id": HOURS, "quantity": "1.25", "unit_price": "80", "taxable": True},
                {"description": "Rush fee", "amount": "25.00"},
            ],
            "discount": {"percent": "10"},
            "tax": "4.10",
            "memo": "Thank you for your order",
            **changes,
        }
    )
    assert isinstance(record, SalesOrder)
    return record


def invoice(**changes: Any) -> Invoice:
    obj: Obj = {
        "type": "invoice",
        "id": "inv-1",
        "customer_id": CUSTOMER,
        "number": "INV-77",
        "invoice_date": "2026-03-02",
        "lines": [{"item_id": SERVICE, "quantity": "2", "unit_price": "50"}],
        **changes,
    }
    record = parse_record(obj)
    assert isinstance(record, Invoice)
    return record


def test_sales_order_is_an_accepted_estimate(settings: TenantSettings, books: Books) -> None:
    """TxnStatus Accepted, AcceptedDate, dates, DocNumber, lines, discount, tax, memo."""
    record = order()
    payload = map_sales_order(record, settings=settings, refs=books.refs)
    assert (payload["TxnStatus"], payload["AcceptedDate"]) == ("Accepted", "2026-03-01")
    assert (payload["DocNumber"], payload["TxnDate"], payload["DueDate"]) == (
        "1001",
        "2026-03-01",
        "2026-03-20",
    )
    assert payload["CustomerMemo"] == {"value": "Thank you for your order"}
    assert payload["TxnTaxDetail"] == {"TotalTax": Decimal("4.10")}
    estimate = books.create("Estimate", payload)
    assert estimate["TxnStatus"] == "Accepted"
    assert estimate["TotalAmt"] == record.total == expected_total(payload)


def test_item_line_amount_is_rounded_per_line(settings: TenantSettings, books: Books) -> None:
    """Amount = round_half_up(Qty x UnitPrice, 2): 3 x 12.335 = 37.005 -> 37.01."""
    line = map_sales_order(order(), settings=settings, refs=books.refs)["Line"][0]
    assert line == {
        "Description": "Bracket, zinc",
        "Amount": Decimal("37.01"),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {
            "ItemRef": books.refs.item(STOCK).payload(),
            "Qty": Decimal("3"),
            "UnitPrice": Decimal("12.335"),
            "TaxCodeRef": {"value": "NON"},
        },
    }


def test_taxable_lines_carry_tax(settings: TenantSettings, books: Books) -> None:
    """taxable true is the US TAX code; a mapped app tax code wins."""
    lines = map_sales_order(order(), settings=settings, refs=books.refs)["Line"]
    assert lines[1]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}


def test_app_tax_codes_are_translated(books: Books) -> None:
    """tax_codes maps the app's code to a QBO one, resolved through Refs."""
    settings = TenantSettings(tax_codes={"STATE": "TAX"})
    record = order(lines=[{"item_id": SERVICE, "unit_price": 10, "tax_code": "STATE"}])
    line = map_sales_order(record, settings=settings, refs=books.refs)["Line"][0]
    assert line["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    unknown = order(lines=[{"item_id": SERVICE, "unit_price": 10, "tax_code": "GST"}])
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_sales_order(unknown, settings=settings, refs=books.refs)
    assert caught.value.field == "lines[0].tax_code"


def test_charge_lines_sit_on_the_charge_item_and_count(
    settings: TenantSettings, books: Books
) -> None:
    """A miscellaneous charge is an Amount-only SalesItemLineDetail on the charge item."""
    payload = map_sales_order(order(), settings=settings, refs=books.refs)
    charge = payload["Line"][2]
    assert charge == {
        "Description": "Rush fee",
        "Amount": Decimal("25.00"),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {
            "ItemRef": books.refs.qbo_item("Services").payload(),
            "TaxCodeRef": {"value": "NON"},
        },
    }
    estimate = books.create("Estimate", payload)
    subtotal = next(x for x in estimate["Line"] if x["DetailType"] == "SubTotalLineDetail")
    assert subtotal["Amount"] == Decimal("162.01")  # 37.01 + 100.00 + 25.00


def test_charge_item_must_be_resolved(settings: TenantSettings, books: Books) -> None:
    """Without the charge item in Refs, the error names the charge_item setting."""
    refs = dataclasses.replace(books.refs, qbo_items={})
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_sales_order(order(), settings=settings, refs=refs)
    assert caught.value.field == "charge_item"


def test_percent_and_amount_discounts(settings: TenantSettings, books: Books) -> None:
    """Percent-based with DiscountPercent; a fixed amount with PercentBased false."""
    percent = map_sales_order(order(), settings=settings, refs=books.refs)["Line"][-1]
    assert percent == {
        "Amount": Decimal("16.20"),
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": Decimal("10")},
    }
    fixed = map_sales_order(order(discount={"amount": "7.5"}), settings=settings, refs=books.refs)
    assert fixed["Line"][-1] == {
        "Amount": Decimal("7.50"),
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": False},
    }
    assert books.create("Estimate", fixed)["TotalAmt"] == Decimal("158.61")


def test_zero_discount_adds_no_line(settings: TenantSettings, books: Books) -> None:
    """A 0 % discount is no discount line at all."""
    payload = map_sales_order(order(discount={"percent": 0}), settings=settings, refs=books.refs)
    assert all(line["DetailType"] != "DiscountLineDetail" for line in payload["Line"])


def test_project_documents_go_to_the_sub_customer(books: Books) -> None:
    """In sub-customer mode a document with a project is for the project's sub-customer."""
    books.add("projects", "p-1", QBORef("999", "Acme - Kitchen"))
    settings = TenantSettings(customer_object="sub_customer_per_project")
    record = order(project_id="p-1")
    payload = map_sales_order(record, settings=settings, refs=books.refs)
    assert payload["CustomerRef"] == {"value": "999"}
    plain = map_sales_order(record, settings=TenantSettings(), refs=books.refs)
    assert plain["CustomerRef"] == books.refs.customer(CUSTOMER).payload()


def test_doc_number_template_and_limit(books: Books) -> None:
    """The template shapes DocNumber; over 21 characters is refused naming number."""
    settings = TenantSettings(doc_number_templates={"sales_order": "SO-2026-{number}"})
    payload = map_sales_order(order("123456"), settings=settings, refs=books.refs)
    assert payload["DocNumber"] == "SO-2026-123456"
    with pytest.raises(MappingError) as caught:
        map_sales_order(order("12345678901234"), settings=settings, refs=books.refs)
    assert caught.value.field == "number"
    assert "22 characters long and QuickBooks allows 21" in str(caught.value)


def test_no_number_lets_qbo_number(settings: TenantSettings, books: Books) -> None:
    """Without a number, no DocNumber is sent and QBO assigns the next one."""
    record = order().model_copy(update={"number": None})
    payload = map_sales_order(record, settings=settings, refs=books.refs)
    assert "DocNumber" not in payload
    assert books.create("Estimate", payload)["DocNumber"]


def test_invoice_payload(settings: TenantSettings, books: Books) -> None:
    """Customer, DocNumber, dates, terms, lines and tax; QBO's total equals ours."""
    record = invoice(due_date="2026-04-01", terms="Net 30", tax="8.25", memo="Due in 30 days")
    payload = map_invoice(record, settings=settings, refs=books.refs)
    assert payload["SalesTermRef"] == books.refs.term("Net 30").payload()
    assert (payload["DocNumber"], payload["TxnDate"], payload["DueDate"]) == (
        "INV-77",
        "2026-03-02",
        "2026-04-01",
    )
    assert "LinkedTxn" not in payload and "PrivateNote" not in payload
    created = books.create("Invoice", payload)
    assert created["TotalAmt"] == record.total == Decimal("108.25")


def test_unresolved_term_names_terms(settings: TenantSettings, books: Books) -> None:
    """Terms QBO does not have are for the engine to resolve (or create)."""
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_invoice(invoice(terms="Net 45"), settings=settings, refs=books.refs)
    assert (caught.value.field, caught.value.app_id, caught.value.kind) == (
        "terms",
        "Net 45",
        "term",
    )


def test_invoice_links_its_sales_orders_estimate(settings: TenantSettings, books: Books) -> None:
    """One sales order: LinkedTxn to its Estimate, which QBO then closes."""
    estimate = books.create(
        "Estimate", map_sales_order(order(), settings=settings, refs=books.refs)
    )
    books.add("estimates", "so-1001", QBORef(estimate["Id"], estimate["DocNumber"]))
    payload = map_invoice(invoice(sales_order_ids=["so-1001"]), settings=settings, refs=books.refs)
    assert payload["LinkedTxn"] == [{"TxnId": estimate["Id"], "TxnType": "Estimate"}]
    assert "PrivateNote" not in payload
    books.create("Invoice", payload)
    assert books.read("Estimate", estimate["Id"])["TxnStatus"] == "Closed"


def test_invoice_billing_several_sales_orders(settings: TenantSettings, books: Books) -> None:
    """Links the first estimate, notes every order, and names the others to close."""
    ids = []
    for number in ("1001", "1002", "1003"):
        created = books.create(
            "Estimate", map_sales_order(order(number), settings=settings, refs=books.refs)
        )
        books.add("estimates", f"so-{number}", QBORef(created["Id"], created["DocNumber"]))
        ids.append(created["Id"])
    record = invoice(
        sales_order_ids=["so-1001", "so-1002", "so-1003"],
        lines=[order().lines[0], order().lines[2], order().lines[1]],
        discount={"amount": "12.00"},
        tax="9.99",
    )
    payload = map_invoice(record, settings=settings, refs=books.refs)
    assert payload["LinkedTxn"] == [{"TxnId": ids[0], "TxnType": "Estimate"}]
    assert payload["PrivateNote"] == "Bills sales orders 1001, 1002, 1003."
    created = books.create("Invoice", payload)
    assert created["TotalAmt"] == record.total == expected_total(payload)
    others = other_estimates(record, settings=settings, refs=books.refs)
    assert [ref.value for ref in others] == ids[1:]
    for ref in others:
        token = books.read("Estimate", ref.value)["SyncToken"]
        books.ledger.update("Estimate", close_estimate(qbo_id=ref.value, sync_token=token))
    assert {books.read("Estimate", i)["TxnStatus"] for i in ids} == {"Closed"}


def test_sales_orders_must_be_resolved_when_enabled(settings: TenantSettings, books: Books) -> None:
    """An unsynced sales order is an UnresolvedReferenceError on sales_order_ids[i]."""
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_invoice(invoice(sales_order_ids=["so-x"]), settings=settings, refs=books.refs)
    assert caught.value.field == "sales_order_ids[0]"


def test_sales_orders_disabled_link_nothing(books: Books) -> None:
    """Without sales-order sync there are no estimates: no link, the note lists app ids."""
    settings = TenantSettings(enabled_types=frozenset({"customer", "item", "invoice"}))
    payload = map_invoice(
        invoice(sales_order_ids=["so-a", "so-b"]), settings=settings, refs=books.refs
    )
    assert "LinkedTxn" not in payload
    assert payload["PrivateNote"] == "Bills sales orders so-a, so-b."
    books.create("Invoice", payload)


def test_zero_invoices_are_skipped_unless_enabled(books: Books) -> None:
    """A $0 invoice is a SkipRecordError by default and sent with sync_zero_invoices."""
    record = invoice(lines=[{"item_id": SERVICE, "quantity": 1, "unit_price": 0}])
    with pytest.raises(SkipRecordError, match=r"\$0"):
        map_invoice(record, settings=TenantSettings(), refs=books.refs)
    payload = map_invoice(record, settings=TenantSettings(sync_zero_invoices=True), refs=books.refs)
    assert books.create("Invoice", payload)["TotalAmt"] == Decimal(0)


def test_long_texts_are_clipped(settings: TenantSettings, books: Books) -> None:
    """Memo to 1000 (CustomerMemo), descriptions to 4000, ellipsis at the cut."""
    record = invoice(
        memo="m" * 1500,
        lines=[{"item_id": SERVICE, "unit_price": 1, "description": "d" * 5000}],
    )
    payload = map_invoice(record, settings=settings, refs=books.refs)
    assert len(payload["CustomerMemo"]["value"]) == 1000
    assert len(payload["Line"][0]["Description"]) == 4000
    assert payload["Line"][0]["Description"].endswith("…")
    books.create("Invoice", payload)


def test_unresolved_item_names_the_line(settings: TenantSettings, books: Books) -> None:
    """An item not in QBO yet is reported on lines[i].item_id."""
    record = invoice(
        lines=[{"item_id": SERVICE, "unit_price": 1}, {"item_id": "new-part", "unit_price": 2}]
    )
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_invoice(record, settings=settings, refs=books.refs)
    assert (caught.value.field, caught.value.app_id) == ("lines[1].item_id", "new-part")
    assert "lines[1].item_id: the item 'new-part' has no QuickBooks record" in str(caught.value)


def test_credit_memo_with_lines(settings: TenantSettings, books: Books) -> None:
    """Returned lines as a CreditMemo; QBO's remaining credit is its total."""
    record = CreditMemo(
        id="cm-1",
        customer_id=CUSTOMER,
        number="CM-1",
        credit_date=date(2026, 3, 9),
        lines=order().lines[:1],
        memo="Returned one bracket",
    )
    payload = map_credit_memo(record, settings=settings, refs=books.refs)
    assert "PrivateNote" not in payload
    created = books.create("CreditMemo", payload)
    assert created["TotalAmt"] == created["RemainingCredit"] == record.total == Decimal("37.01")


def test_store_credit_memo(settings: TenantSettings, books: Books) -> None:
    """Store credit as an amount: one "Store credit" line on the charge item, noted as such."""
    record = CreditMemo(
        id="cm-2",
        customer_id=CUSTOMER,
        credit_date=date(2026, 3, 9),
        store_credit=True,
        amount=Decimal("40.00"),
    )
    payload = map_credit_memo(record, settings=settings, refs=books.refs)
    assert payload["Line"][0]["Description"] == "Store credit"
    assert payload["PrivateNote"] == "Store credit."
    assert books.create("CreditMemo", payload)["RemainingCredit"] == Decimal("40.00")


def test_refund_receipt_from_the_refund_account(settings: TenantSettings, books: Books) -> None:
    """DepositToAccountRef is the refund account; method and reference go along."""
    record = Refund(
        id="r-1",
        customer_id=CUSTOMER,
        refund_date=date(2026, 3, 10),
        amount=Decimal("15.00"),
        method="Check",
        reference="1042",
        memo="Damaged in transit",
    )
    payload = map_refund(record, settings=settings, refs=books.refs)
    assert payload["DepositToAccountRef"] == books.refs.account("Checking", field="x").payload()
    assert payload["PaymentMethodRef"] == books.refs.payment_method("Check").payload()
    assert (payload["PaymentRefNum"], payload["PrivateNote"]) == ("1042", "Damaged in transit")
    assert payload["Line"][0]["Description"] == "Refund"
    assert books.create("RefundReceipt", payload)["TotalAmt"] == Decimal("15.00")


def test_refund_with_lines(settings: TenantSettings, books: Books) -> None:
    """Refunded lines are sent as they are; their total is the refund amount."""
    lines = order().lines[:1]
    record = Refund(
        id="r-2",
        customer_id=CUSTOMER,
        refund_date=date(2026, 3, 10),
        amount=Decimal("37.01"),
        lines=lines,
    )
    payload = map_refund(record, settings=settings, refs=books.refs)
    assert books.create("RefundReceipt", payload)["TotalAmt"] == Decimal("37.01")


def test_refund_waits_for_the_refund_account(books: Books) -> None:
    """No refund account: a SettingRequiredError naming refund_account; the refund waits."""
    record = Refund(id="r", customer_id=CUSTOMER, refund_date=date(2026, 3, 10), amount=Decimal(5))
    with pytest.raises(SettingRequiredError) as caught:
        map_refund(record, settings=TenantSettings(), refs=books.refs)
    assert caught.value.setting == "refund_account"
    assert "refund account is not set" in caught.value.user_message


def test_refund_account_must_be_resolved(books: Books) -> None:
    """A refund account QBO does not have is unresolved, on refund_account."""
    record = Refund(id="r", customer_id=CUSTOMER, refund_date=date(2026, 3, 10), amount=Decimal(5))
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_refund(record, settings=TenantSettings(refund_account="Petty Cash"), refs=books.refs)
    assert caught.value.field == "refund_account"
