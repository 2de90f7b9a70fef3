"""Server rules of sales forms, provoked over HTTP (QBO-REFERENCE.md 1.8, 4, 6 and 8)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from emukit import (
    BAD_PROPERTY,
    BUSINESS,
    CHECKING,
    INACTIVE,
    REQUIRED,
    TOO_LONG,
    Realm,
    amounts,
    delete,
    fault_of,
    invoice,
    length_detail,
    ok,
    qty_on_hand,
    read,
    ref,
    sales_form,
    sales_line,
    sparse,
    stale_detail,
)

Obj = dict[str, Any]


def subtotal_line(obj: Obj) -> Obj:
    lines = [line for line in obj["Line"] if line["DetailType"] == "SubTotalLineDetail"]
    assert len(lines) == 1, obj["Line"]
    return lines[0]


def customer_balance(realm: Realm, customer: Obj) -> Decimal:
    return amounts(read(realm, "Customer", customer["Id"]), "Balance")[0]


# -- 9. totals computed by the server ------------------------------------------------------


def test_invoice_server_defaults(realm: Realm, acme: Obj) -> None:
    """A minimal invoice gets TxnDate today, DueDate by Net 30, DocNumber, statuses, tax code."""
    created = invoice(realm, acme["Id"], sales_line(100))
    today = realm.emulator.clock.today()
    assert created["TxnDate"] == today.isoformat()
    assert created["DueDate"] == (today + timedelta(days=30)).isoformat()
    assert created["SalesTermRef"] == {"value": "3", "name": "Net 30"}
    assert created["DocNumber"] == "1001"
    assert (created["PrintStatus"], created["EmailStatus"]) == ("NeedToPrint", "NotSet")
    assert created["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert created["CustomerRef"] == {"value": acme["Id"], "name": "Acme Fabrication"}
    first = created["Line"][0]
    assert (first["Id"], first["LineNum"]) == ("1", 1)
    assert first["SalesItemLineDetail"]["TaxCodeRef"] == ref("NON")
    assert first["SalesItemLineDetail"]["ItemRef"] == {"value": "1", "name": "Services"}
    assert amounts(created, "TotalAmt", "Balance") == (100, 100)


def test_due_date_follows_the_terms_sent(realm: Realm, acme: Obj) -> None:
    """SalesTermRef Net 15 on 2025-01-10 makes the DueDate 2025-01-25."""
    created = invoice(
        realm, acme["Id"], sales_line(10), TxnDate="2025-01-10", SalesTermRef=ref("2")
    )
    assert created["DueDate"] == "2025-01-25"


def test_client_totals_are_ignored(realm: Realm, acme: Obj) -> None:
    """TotalAmt and Balance sent by the client are replaced by the computed values."""
    created = invoice(realm, acme["Id"], sales_line(100), sales_line(50), TotalAmt=999, Balance=5)
    assert amounts(created, "TotalAmt", "Balance") == (150, 150)


def test_subtotal_line_added_by_server(realm: Realm, acme: Obj) -> None:
    """The server appends a SubTotalLineDetail line (no Id) summing the item lines."""
    created = invoice(realm, acme["Id"], sales_line(40), sales_line("60.25"))
    line = subtotal_line(created)
    assert created["Line"][-1] == line
    assert "Id" not in line and "LineNum" not in line
    assert amounts(line, "Amount") == (Decimal("100.25"),)


def test_client_subtotal_line_is_replaced(realm: Realm, acme: Obj) -> None:
    """A SubTotalLineDetail line sent by a client is dropped for the server's own."""
    sent = {"Amount": 5, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    created = invoice(realm, acme["Id"], sales_line(70), sent)
    assert amounts(subtotal_line(created), "Amount") == (70,)
    assert amounts(created, "TotalAmt") == (70,)


def test_description_only_lines_do_not_count(realm: Realm, acme: Obj) -> None:
    """DescriptionOnly lines are 0 in the subtotal and the total (8.4)."""
    note = {"Amount": 5, "DetailType": "DescriptionOnly", "Description": "Delivered Tuesday"}
    created = invoice(realm, acme["Id"], sales_line(100), note)
    assert amounts(subtotal_line(created), "Amount") == (100,)
    assert amounts(created, "TotalAmt", "Balance") == (100, 100)


def test_percent_discount(realm: Realm, acme: Obj) -> None:
    """A 10 % DiscountLineDetail takes 10 % of the subtotal off the total."""
    discount = {
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
    }
    created = invoice(realm, acme["Id"], sales_line(50), sales_line(70), discount)
    line = next(x for x in created["Line"] if x["DetailType"] == "DiscountLineDetail")
    assert amounts(line, "Amount") == (12,)
    assert amounts(created, "TotalAmt", "Balance") == (108, 108)


def test_subtotal_line_comes_before_the_discount(realm: Realm, acme: Obj) -> None:
    """Lines come back as items, SubTotal, discount: QBO's order, which SDK tests index."""
    discount = {"Amount": 5, "DetailType": "DiscountLineDetail", "DiscountLineDetail": {}}
    created = invoice(realm, acme["Id"], discount, sales_line(40))
    kinds = [line["DetailType"] for line in created["Line"]]
    assert kinds == ["SalesItemLineDetail", "SubTotalLineDetail", "DiscountLineDetail"]
    assert amounts(created, "TotalAmt") == (35,)


def test_amount_discount(realm: Realm, acme: Obj) -> None:
    """A DiscountLineDetail with an Amount takes that amount off the total."""
    discount = {"Amount": 15, "DetailType": "DiscountLineDetail", "DiscountLineDetail": {}}
    created = invoice(realm, acme["Id"], sales_line(100), discount)
    assert amounts(created, "TotalAmt") == (85,)


def test_only_one_discount_line(realm: Realm, acme: Obj) -> None:
    """Two discount lines are refused (6000)."""
    discount = {"Amount": 1, "DetailType": "DiscountLineDetail", "DiscountLineDetail": {}}
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(100), discount, discount]}
    assert fault_of(realm.post("invoice", body))[:3] == (400, "6000", BUSINESS)


def test_total_tax_added_to_total(realm: Realm, acme: Obj) -> None:
    """TxnTaxDetail.TotalTax is added to TotalAmt and Balance."""
    created = invoice(realm, acme["Id"], sales_line(100), TxnTaxDetail={"TotalTax": "8.25"})
    assert amounts(created["TxnTaxDetail"], "TotalTax") == (Decimal("8.25"),)
    assert amounts(created, "TotalAmt", "Balance") == (Decimal("108.25"), Decimal("108.25"))


def test_deposit_lowers_balance(realm: Realm, acme: Obj) -> None:
    """Balance = TotalAmt - Deposit (8.4: TotalAmt 52, Deposit 12, Balance 40)."""
    created = invoice(realm, acme["Id"], sales_line(52), Deposit=12)
    assert amounts(created, "TotalAmt", "Deposit", "Balance") == (52, 12, 40)


def test_invoice_raises_customer_balance(realm: Realm, acme: Obj) -> None:
    """The customer's Balance grows by each invoice's open balance."""
    invoice(realm, acme["Id"], sales_line(100))
    invoice(realm, acme["Id"], sales_line("20.50"))
    assert customer_balance(realm, acme) == Decimal("120.50")


def test_sales_receipt_balance_is_zero(realm: Realm, acme: Obj) -> None:
    """A sales receipt is paid at once: Balance 0, deposited to Undeposited Funds."""
    receipt = sales_form(realm, "SalesReceipt", acme["Id"], sales_line(30))
    assert amounts(receipt, "TotalAmt", "Balance") == (30, 0)
    assert receipt["DepositToAccountRef"] == {"value": "3", "name": "Undeposited Funds"}


# -- 5, 6, 7. required fields, strict JSON, references -------------------------------------


@pytest.mark.parametrize("entity", ["Invoice", "Estimate", "CreditMemo"])
def test_sales_form_without_customer_is_2020(realm: Realm, entity: str) -> None:
    """Invoice, Estimate and CreditMemo need a CustomerRef."""
    fault = fault_of(realm.post(entity.lower(), {"Line": [sales_line(10)]}))
    assert fault == (
        400,
        "2020",
        REQUIRED,
        "Required parameter CustomerRef is missing in the request",
        "CustomerRef",
    )


@pytest.mark.parametrize("lines", [None, []])
def test_invoice_without_lines_is_2020(realm: Realm, acme: Obj, lines: list[Obj] | None) -> None:
    """An invoice needs at least one Line."""
    body: Obj = {"CustomerRef": ref(acme["Id"])}
    if lines is not None:
        body["Line"] = lines
    fault = fault_of(realm.post("invoice", body))
    assert fault[:3] == (400, "2020", REQUIRED)
    assert fault.element == "Line"


def test_refund_receipt_without_deposit_account_is_2020(realm: Realm, acme: Obj) -> None:
    """A refund receipt needs the account the money comes from (DepositToAccountRef)."""
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)]}
    fault = fault_of(realm.post("refundreceipt", body))
    assert fault[:3] == (400, "2020", REQUIRED)
    assert fault.element == "DepositToAccountRef"


def test_unknown_property_is_2010_with_recorded_detail(realm: Realm, acme: Obj) -> None:
    """An unknown top-level property is refused with the recorded Jackson Detail."""
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)], "BadJson": "x"}
    fault = fault_of(realm.post("invoice", body))
    assert fault[:3] == (400, "2010", BAD_PROPERTY)
    assert fault.detail.startswith(
        'Property Name:Unrecognized field "BadJson" (class com.intuit.schema.finance.v3.Invoice),'
        " not marked as ignorable ("
    )
    assert fault.detail.endswith(" known properties: ...) specified is unsupported or invalid")


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (sales_line(10, qty=1, price="abc"), {}),
        (sales_line("ten"), {}),
        (sales_line(10, qty="two", price=5), {}),
        (sales_line(10), {"TxnDate": "yesterday"}),
        (sales_line(10), {"Deposit": "lots"}),
        (sales_line(10), {"AllowOnlinePayment": "sometimes"}),
    ],
)
def test_wrong_value_type_is_2010(realm: Realm, acme: Obj, line: Obj, fields: Obj) -> None:
    """A value that is not of the property's type ("abc" for UnitPrice...) is 2010."""
    body = {"CustomerRef": ref(acme["Id"]), "Line": [line], **fields}
    assert fault_of(realm.post("invoice", body))[:3] == (400, "2010", BAD_PROPERTY)


def test_unknown_line_detail_type_is_2170(realm: Realm, acme: Obj) -> None:
    """A sales line with a purchase-side DetailType is an invalid enumeration value."""
    line = {"Amount": 5, "DetailType": "AccountBasedExpenseLineDetail"}
    fault = fault_of(realm.post("invoice", {"CustomerRef": ref(acme["Id"]), "Line": [line]}))
    assert fault[:3] == (400, "2170", "Invalid Enumeration")


def test_missing_customer_is_2500(realm: Realm) -> None:
    """A CustomerRef to a customer that does not exist is 2500 Invalid Reference Id."""
    fault = fault_of(realm.post("invoice", {"CustomerRef": ref("999"), "Line": [sales_line(1)]}))
    assert fault[:3] == (400, "2500", "Invalid Reference Id")
    assert fault.element == "CustomerRef"


def test_missing_item_is_2500(realm: Realm, acme: Obj) -> None:
    """An ItemRef to an item that does not exist is 2500, naming the line element."""
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(1, item="999")]}
    fault = fault_of(realm.post("invoice", body))
    assert fault[:3] == (400, "2500", "Invalid Reference Id")
    assert fault.element == "Line.SalesItemLineDetail.ItemRef"


def test_inactive_customer_is_610(realm: Realm, acme: Obj) -> None:
    """An invoice for an inactive customer: 610 Object Not Found with the recorded Detail."""
    ok(sparse(realm, "Customer", acme, Active=False), "Customer")
    fault = fault_of(
        realm.post("invoice", {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(1)]})
    )
    assert fault[:4] == (400, "610", "Object Not Found", INACTIVE)


def test_inactive_item_is_610(realm: Realm, acme: Obj, bracket: Obj) -> None:
    """A line using an inactive item: 610 Object Not Found with the recorded Detail."""
    ok(sparse(realm, "Item", bracket, Active=False), "Item")
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(25, item=bracket["Id"])]}
    assert fault_of(realm.post("invoice", body))[:4] == (400, "610", "Object Not Found", INACTIVE)


def test_reading_a_deleted_transaction_is_610(realm: Realm, acme: Obj) -> None:
    """GET of a deleted invoice: 610 "Another user has deleted this transaction." (6)."""
    created = invoice(realm, acme["Id"])
    ok(delete(realm, "Invoice", created), "Invoice")
    fault = fault_of(realm.get(f"invoice/{created['Id']}"))
    assert fault[:4] == (
        400,
        "610",
        "Object Not Found",
        "Object Not Found : Another user has deleted this transaction.",
    )


def test_reading_a_missing_transaction_is_610(realm: Realm) -> None:
    """GET of an invoice Id that never existed is 610 Object Not Found."""
    assert fault_of(realm.get("invoice/4242"))[:3] == (400, "610", "Object Not Found")


# -- 8. Amount = Qty x UnitPrice -----------------------------------------------------------


def test_amount_not_qty_times_price_is_6070(realm: Realm, acme: Obj) -> None:
    """Amount 1861.07 with Qty 1 x UnitPrice 1861.08 is refused with 6070."""
    line = sales_line("1861.07", qty=1, price="1861.08")
    fault = fault_of(realm.post("invoice", {"CustomerRef": ref(acme["Id"]), "Line": [line]}))
    assert fault == (
        400,
        "6070",
        "Amount calculation incorrect in the request",
        "Amount is not equal to UnitPrice * Qty. Supplied value:1,861.07",
        "Amount",
    )


@pytest.mark.parametrize(
    ("qty", "price", "amount", "accepted"),
    [
        ("0.5", "0.25", "0.13", True),  # 0.125 rounds half-up to 0.13
        ("0.5", "0.25", "0.12", False),  # ... not half-even to 0.12
        (3, "3.335", "10.01", True),
        (3, "3.335", "10.00", False),
        (4, "12.5", 50, True),
    ],
)
def test_qty_times_price_rounds_half_up_to_cents(
    realm: Realm, acme: Obj, qty: object, price: object, amount: object, accepted: bool
) -> None:
    """Qty x UnitPrice is rounded half-up to cents before it is compared with Amount."""
    line = sales_line(amount, qty=qty, price=price)
    response = realm.post("invoice", {"CustomerRef": ref(acme["Id"]), "Line": [line]})
    if accepted:
        assert amounts(ok(response, "Invoice"), "TotalAmt") == (Decimal(str(amount)),)
    else:
        assert fault_of(response)[:2] == (400, "6070")


def test_zero_qty_and_price_with_amount_accepted(realm: Realm, acme: Obj) -> None:
    """Qty 0 and UnitPrice 0 with an Amount (what python-quickbooks sends) is accepted."""
    created = invoice(realm, acme["Id"], sales_line(75, qty=0, price=0))
    assert amounts(created, "TotalAmt") == (75,)


def test_amount_only_line_keeps_no_qty(realm: Realm, acme: Obj) -> None:
    """With only an Amount the server keeps it and omits Qty and UnitPrice (8.4)."""
    detail = invoice(realm, acme["Id"], sales_line(100))["Line"][0]["SalesItemLineDetail"]
    assert "Qty" not in detail and "UnitPrice" not in detail


# -- 10. inventory quantities --------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "moved"),
    [("Invoice", -3), ("SalesReceipt", -3), ("CreditMemo", 3), ("RefundReceipt", 3)],
)
def test_sales_forms_move_qty_on_hand(
    realm: Realm, acme: Obj, bracket: Obj, entity: str, moved: int
) -> None:
    """Sales take stock out, credit memos and refunds bring it back; delete undoes it."""
    extra = {"DepositToAccountRef": ref(CHECKING)} if entity == "RefundReceipt" else {}
    line = sales_line(75, item=bracket["Id"], qty=3, price=25)
    created = sales_form(realm, entity, acme["Id"], line, **extra)
    assert qty_on_hand(realm, bracket["Id"]) == 10 + moved
    ok(delete(realm, entity, created), entity)
    assert qty_on_hand(realm, bracket["Id"]) == 10


@pytest.mark.parametrize(
    ("entity", "params"),
    [
        ("Invoice", {"operation": "void"}),
        ("SalesReceipt", {"operation": "update", "include": "void"}),
    ],
)
def test_void_gives_stock_back(
    realm: Realm, acme: Obj, bracket: Obj, entity: str, params: dict[str, str]
) -> None:
    """Voiding an invoice or a sales receipt returns its quantities to stock."""
    line = sales_line(50, item=bracket["Id"], qty=2, price=25)
    created = sales_form(realm, entity, acme["Id"], line)
    assert qty_on_hand(realm, bracket["Id"]) == 8
    body = {"Id": created["Id"], "SyncToken": created["SyncToken"], "sparse": True}
    ok(realm.post(entity.lower(), body, **params), entity)
    assert qty_on_hand(realm, bracket["Id"]) == 10


def test_updating_line_qty_moves_the_difference(realm: Realm, acme: Obj, bracket: Obj) -> None:
    """Changing a line's Qty from 3 to 5 takes two more out of stock."""
    created = invoice(realm, acme["Id"], sales_line(75, item=bracket["Id"], qty=3, price=25))
    line = {**created["Line"][0], "Amount": 125}
    line["SalesItemLineDetail"] = {**line["SalesItemLineDetail"], "Qty": 5}
    ok(sparse(realm, "Invoice", created, Line=[line]), "Invoice")
    assert qty_on_hand(realm, bracket["Id"]) == 5


# -- 11. DocNumber -------------------------------------------------------------------------


def test_doc_numbers_are_assigned_in_sequence(realm: Realm, acme: Obj) -> None:
    """Without a DocNumber (CustomTxnNumbers false) sales forms are numbered 1001, 1002..."""
    first = invoice(realm, acme["Id"])
    second = sales_form(realm, "SalesReceipt", acme["Id"], sales_line(5))
    assert (first["DocNumber"], second["DocNumber"]) == ("1001", "1002")


def test_auto_numbering_continues_after_a_client_number(realm: Realm, acme: Obj) -> None:
    """After a client sends DocNumber 5000 the next automatic number is 5001."""
    invoice(realm, acme["Id"], DocNumber="5000")
    assert invoice(realm, acme["Id"])["DocNumber"] == "5001"


def test_custom_txn_numbers_turns_auto_numbering_off(realm: Realm, acme: Obj) -> None:
    """With Preferences CustomTxnNumbers true a form without DocNumber gets none."""
    prefs = ok(realm.get("preferences"), "Preferences")
    custom = {**prefs["SalesFormsPrefs"], "CustomTxnNumbers": True}
    realm.emulator.ui_edit(realm.realm_id, "Preferences", "1", {"SalesFormsPrefs": custom})
    assert "DocNumber" not in invoice(realm, acme["Id"])


def test_duplicate_doc_number_across_sales_forms_is_6140(realm: Realm, acme: Obj) -> None:
    """An invoice reusing a credit memo's DocNumber: 6140 naming the credit memo."""
    memo = sales_form(realm, "CreditMemo", acme["Id"], sales_line(10), DocNumber="1234")
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)], "DocNumber": "1234"}
    fault = fault_of(realm.post("invoice", body))
    assert fault == (
        400,
        "6140",
        "Duplicate Doc Num",
        "Duplicate Document Number Error : You must specify a different number. This number has "
        "already been used. DocNumber=1234 is assigned to TxnType=Credit Memo with "
        f"TxnId={memo['Id']}",
        "DocNumber",
    )


def test_allowduplicatedocnum_accepts_a_duplicate(realm: Realm, acme: Obj) -> None:
    """?include=allowduplicatedocnum skips the duplicate DocNumber check."""
    invoice(realm, acme["Id"], DocNumber="77")
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)], "DocNumber": "77"}
    second = ok(realm.post("invoice", body, include="allowduplicatedocnum"), "Invoice")
    assert second["DocNumber"] == "77"


def test_deleting_an_allowed_duplicate_keeps_the_original_number_taken(
    realm: Realm, acme: Obj
) -> None:
    """After the duplicate is deleted, the original still holds the DocNumber (6140)."""
    original = invoice(realm, acme["Id"], DocNumber="77")
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)], "DocNumber": "77"}
    duplicate = ok(realm.post("invoice", body, include="allowduplicatedocnum"), "Invoice")
    ok(delete(realm, "Invoice", duplicate), "Invoice")
    fault = fault_of(realm.post("invoice", body))
    assert fault[:3] == (400, "6140", "Duplicate Doc Num")
    assert fault.detail.endswith(f"TxnType=Invoice with TxnId={original['Id']}")


def test_updating_a_form_keeps_its_own_doc_number(realm: Realm, acme: Obj) -> None:
    """An update that keeps the DocNumber is not a duplicate of itself."""
    created = invoice(realm, acme["Id"], DocNumber="88")
    updated = ok(sparse(realm, "Invoice", created, PrivateNote="rush"), "Invoice")
    assert (updated["DocNumber"], updated["SyncToken"]) == ("88", "1")


def test_doc_number_over_21_characters_is_2050(realm: Realm, acme: Obj) -> None:
    """A 45-character DocNumber: 2050 with the recorded Min:0 Max:21 Detail."""
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(1)], "DocNumber": "D" * 45}
    fault = fault_of(realm.post("invoice", body))
    assert fault == (400, "2050", TOO_LONG, length_detail(21, 45), "DocNumber")


# -- 12. estimates -------------------------------------------------------------------------


def test_invoice_linking_an_estimate_closes_it(realm: Realm, acme: Obj) -> None:
    """Linking an estimate closes it and the estimate links the invoice back."""
    estimate = sales_form(realm, "Estimate", acme["Id"], sales_line(100))
    assert estimate["TxnStatus"] == "Pending"
    link = [{"TxnId": estimate["Id"], "TxnType": "Estimate"}]
    created = invoice(realm, acme["Id"], sales_line(100), LinkedTxn=link)
    assert created["LinkedTxn"] == link
    closed = read(realm, "Estimate", estimate["Id"])
    assert closed["TxnStatus"] == "Closed"
    assert closed["LinkedTxn"] == [{"TxnId": created["Id"], "TxnType": "Invoice"}]
    assert closed["SyncToken"] == "1"


def test_linking_a_missing_estimate_is_6000(realm: Realm, acme: Obj) -> None:
    """Linking Estimate 75 that does not exist: 6000 with the recorded Detail."""
    body = {
        "CustomerRef": ref(acme["Id"]),
        "Line": [sales_line(10)],
        "LinkedTxn": [{"TxnId": "75", "TxnType": "Estimate"}],
    }
    fault = fault_of(realm.post("invoice", body))
    assert fault[:4] == (
        400,
        "6000",
        BUSINESS,
        "Business Validation Error: The entity Estimate 75 that you are trying to link does not "
        "exist.",
    )


def test_deleting_the_invoice_reopens_the_estimate(realm: Realm, acme: Obj) -> None:
    """When the linking invoice is deleted the estimate is Pending again, unlinked."""
    estimate = sales_form(realm, "Estimate", acme["Id"], sales_line(100))
    link = [{"TxnId": estimate["Id"], "TxnType": "Estimate"}]
    created = invoice(realm, acme["Id"], sales_line(100), LinkedTxn=link)
    ok(delete(realm, "Invoice", created), "Invoice")
    reopened = read(realm, "Estimate", estimate["Id"])
    assert (reopened["TxnStatus"], reopened["LinkedTxn"]) == ("Pending", [])


# -- 14. void and delete -------------------------------------------------------------------


def test_void_invoice(realm: Realm, acme: Obj) -> None:
    """?operation=void zeroes amounts and Balance, notes "Voided", SyncToken +1, keeps it."""
    created = invoice(realm, acme["Id"], sales_line(60, qty=2, price=30), sales_line(40))
    body = {"Id": created["Id"], "SyncToken": created["SyncToken"]}
    voided = ok(realm.post("invoice", body, operation="void"), "Invoice")
    assert voided["SyncToken"] == "1"
    assert voided["PrivateNote"] == "Voided"
    assert amounts(voided, "TotalAmt", "Balance") == (0, 0)
    assert all(Decimal(str(line["Amount"])) == 0 for line in voided["Line"])
    assert read(realm, "Invoice", created["Id"]) == voided
    assert customer_balance(realm, acme) == 0


def test_void_with_stale_sync_token_is_5010(realm: Realm, acme: Obj) -> None:
    """Void checks the SyncToken like any write."""
    created = invoice(realm, acme["Id"])
    ok(sparse(realm, "Invoice", created, PrivateNote="changed"), "Invoice")
    body = {"Id": created["Id"], "SyncToken": "0"}
    fault = fault_of(realm.post("invoice", body, operation="void"))
    assert fault[:4] == (400, "5010", "Stale Object Error", stale_detail("Emulator User"))


def test_void_sales_receipt_through_update_include_void(realm: Realm, acme: Obj) -> None:
    """A SalesReceipt is voided with ?operation=update&include=void and a sparse body."""
    receipt = sales_form(realm, "SalesReceipt", acme["Id"], sales_line(30))
    body = {"Id": receipt["Id"], "SyncToken": receipt["SyncToken"], "sparse": True}
    voided = ok(
        realm.post("salesreceipt", body, operation="update", include="void"), "SalesReceipt"
    )
    assert (voided["PrivateNote"], voided["SyncToken"]) == ("Voided", "1")
    assert amounts(voided, "TotalAmt") == (0,)


def test_estimate_cannot_be_voided(realm: Realm, acme: Obj) -> None:
    """Only invoices, sales receipts and payments void: an estimate is Unsupported (500)."""
    estimate = sales_form(realm, "Estimate", acme["Id"], sales_line(10))
    body = {"Id": estimate["Id"], "SyncToken": estimate["SyncToken"]}
    assert fault_of(realm.post("estimate", body, operation="void"))[:3] == (
        400,
        "500",
        "Unsupported Operation",
    )


def test_delete_returns_the_deleted_envelope(realm: Realm, acme: Obj) -> None:
    """?operation=delete answers {"Invoice":{"domain":"QBO","status":"Deleted","Id":...}}."""
    created = invoice(realm, acme["Id"])
    response = delete(realm, "Invoice", created)
    assert response.status_code == 200
    body = response.json()
    assert body["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": created["Id"]}
    assert set(body) == {"Invoice", "time"}
    assert customer_balance(realm, acme) == 0


def test_delete_with_only_id_and_sync_token(realm: Realm, acme: Obj) -> None:
    """A delete may send the whole object (as pyqb does); only Id and SyncToken matter."""
    created = invoice(realm, acme["Id"])
    response = realm.post("invoice", created, operation="delete")
    assert ok(response, "Invoice")["status"] == "Deleted"


def test_delete_with_stale_sync_token_is_5010(realm: Realm, acme: Obj) -> None:
    """A delete with an old SyncToken is 5010 and deletes nothing."""
    created = invoice(realm, acme["Id"])
    ok(sparse(realm, "Invoice", created, PrivateNote="changed"), "Invoice")
    fault = fault_of(delete(realm, "Invoice", created))
    assert fault[:3] == (400, "5010", "Stale Object Error")
    assert read(realm, "Invoice", created["Id"])["SyncToken"] == "1"


def test_update_of_transaction_lines_keeps_line_ids(realm: Realm, acme: Obj) -> None:
    """A line sent with its Id keeps it; a line without Id gets a new one."""
    created = invoice(realm, acme["Id"], sales_line(10))
    kept = created["Line"][0]
    updated = ok(sparse(realm, "Invoice", created, Line=[kept, sales_line(5)]), "Invoice")
    assert [line.get("Id") for line in updated["Line"]] == ["1", "2", None]
    assert amounts(updated, "TotalAmt") == (15,)


def test_invoice_link_is_read_with_include_invoice_link(realm: Realm, acme: Obj) -> None:
    """include=invoiceLink adds the pay link to an invoice payable online with an e-mail."""
    created = invoice(
        realm,
        acme["Id"],
        sales_line(100),
        AllowOnlineCreditCardPayment=True,
        BillEmail={"Address": "ap@acme.example"},
    )
    plain = realm.get(f"invoice/{created['Id']}").json()["Invoice"]
    linked = realm.get(f"invoice/{created['Id']}", include="invoiceLink").json()["Invoice"]
    assert "InvoiceLink" not in plain
    assert linked["InvoiceLink"].startswith("https://")


def test_new_company_has_email_message_preferences(realm: Realm) -> None:
    """Preferences carry the default e-mail subjects and messages of a new company."""
    prefs = realm.get("preferences").json()["Preferences"]["EmailMessagesPrefs"]
    assert set(prefs) == {
        "InvoiceMessage",
        "EstimateMessage",
        "SalesReceiptMessage",
        "StatementMessage",
    }
    assert prefs["EstimateMessage"]["Subject"].startswith("Estimate")
