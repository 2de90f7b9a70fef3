"""Payments and credit memos applied to invoices, provoked over HTTP (QBO-REFERENCE.md 8.4-8.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from emukit import (
    BUSINESS,
    REQUIRED,
    Realm,
    amounts,
    applied,
    delete,
    fault_of,
    invoice,
    ok,
    payment,
    read,
    ref,
    sales_form,
    sales_line,
    sparse,
)

Obj = dict[str, Any]


def balance(realm: Realm, entity: str, obj: Obj) -> Decimal:
    return amounts(read(realm, entity, obj["Id"]), "Balance")[0]


def payment_links(realm: Realm, entity: str, obj: Obj) -> list[Obj]:
    links = read(realm, entity, obj["Id"]).get("LinkedTxn", [])
    return [link for link in links if link["TxnType"] == "Payment"]


def test_one_payment_across_several_invoices(realm: Realm, acme: Obj) -> None:
    """A payment with one line per invoice pays each; each invoice links the payment."""
    first = invoice(realm, acme["Id"], sales_line(100))
    second = invoice(realm, acme["Id"], sales_line(50))
    paid = payment(realm, acme["Id"], 150, applied(100, first["Id"]), applied(50, second["Id"]))
    assert amounts(paid, "TotalAmt", "UnappliedAmt") == (150, 0)
    link = {"TxnId": paid["Id"], "TxnType": "Payment"}
    for inv in (first, second):
        assert balance(realm, "Invoice", inv) == 0
        assert payment_links(realm, "Invoice", inv) == [link]
        assert read(realm, "Invoice", inv["Id"])["SyncToken"] == "1"
    assert amounts(read(realm, "Customer", acme["Id"]), "Balance") == (0,)


def test_partial_payment_leaves_a_balance(realm: Realm, acme: Obj) -> None:
    """Paying 40 of 100 leaves Balance 60 on the invoice and on the customer."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    payment(realm, acme["Id"], 40, applied(40, inv["Id"]))
    assert balance(realm, "Invoice", inv) == 60
    assert balance(realm, "Customer", acme) == 60


def test_unapplied_amount(realm: Realm, acme: Obj) -> None:
    """UnappliedAmt = TotalAmt - amounts applied to invoices."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    paid = payment(realm, acme["Id"], "150.50", applied(100, inv["Id"]))
    assert amounts(paid, "UnappliedAmt") == (Decimal("50.50"),)
    assert balance(realm, "Customer", acme) == Decimal("-50.50")


def test_payment_without_lines_is_all_unapplied(realm: Realm, acme: Obj) -> None:
    """A payment with no lines is recorded as unapplied credit (Line [], UnappliedAmt = total)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    paid = realm.create("Payment", {"CustomerRef": ref(acme["Id"]), "TotalAmt": 25})
    assert paid["Line"] == []
    assert amounts(paid, "TotalAmt", "UnappliedAmt") == (25, 25)
    assert paid["DepositToAccountRef"] == {"value": "3", "name": "Undeposited Funds"}
    assert balance(realm, "Invoice", inv) == 100
    assert payment_links(realm, "Invoice", inv) == []


def test_client_unapplied_amount_is_ignored(realm: Realm, acme: Obj) -> None:
    """UnappliedAmt is read-only: the server computes it."""
    body = {"CustomerRef": ref(acme["Id"]), "TotalAmt": 25, "UnappliedAmt": 3}
    assert amounts(realm.create("Payment", body), "UnappliedAmt") == (25,)


def test_credit_memo_applied_through_a_payment(realm: Realm, acme: Obj) -> None:
    """A payment line linking a CreditMemo uses the credit: both balances fall, both link it."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    memo = sales_form(realm, "CreditMemo", acme["Id"], sales_line(30))
    assert amounts(memo, "Balance", "RemainingCredit") == (30, 30)
    assert balance(realm, "Customer", acme) == 70
    paid = payment(
        realm, acme["Id"], 70, applied(100, inv["Id"]), applied(30, memo["Id"], "CreditMemo")
    )
    assert amounts(paid, "UnappliedAmt") == (0,)
    assert balance(realm, "Invoice", inv) == 0
    assert amounts(read(realm, "CreditMemo", memo["Id"]), "Balance", "RemainingCredit") == (0, 0)
    link = [{"TxnId": paid["Id"], "TxnType": "Payment"}]
    assert payment_links(realm, "Invoice", inv) == link
    assert payment_links(realm, "CreditMemo", memo) == link
    assert balance(realm, "Customer", acme) == 0


def test_credit_memo_alone_pays_an_invoice(realm: Realm, acme: Obj) -> None:
    """A zero-total payment applying a credit memo to an invoice lowers the invoice by it."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    memo = sales_form(realm, "CreditMemo", acme["Id"], sales_line(30))
    payment(realm, acme["Id"], 0, applied(30, inv["Id"]), applied(30, memo["Id"], "CreditMemo"))
    assert balance(realm, "Invoice", inv) == 70
    assert balance(realm, "CreditMemo", memo) == 0


def test_deleting_the_payment_restores_balances(realm: Realm, acme: Obj) -> None:
    """Deleting a payment gives the invoices their balance back and drops the links."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    paid = payment(realm, acme["Id"], 60, applied(60, inv["Id"]))
    ok(delete(realm, "Payment", paid), "Payment")
    assert balance(realm, "Invoice", inv) == 100
    assert payment_links(realm, "Invoice", inv) == []
    assert balance(realm, "Customer", acme) == 100


def test_voiding_the_payment_restores_balances(realm: Realm, acme: Obj) -> None:
    """?operation=update&include=void: TotalAmt 0, no lines, "Voided"; invoices reopen."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    paid = payment(realm, acme["Id"], 100, applied(100, inv["Id"]))
    body = {"Id": paid["Id"], "SyncToken": paid["SyncToken"], "sparse": True}
    voided = ok(realm.post("payment", body, operation="update", include="void"), "Payment")
    assert (voided["Line"], voided["PrivateNote"], voided["SyncToken"]) == ([], "Voided", "1")
    assert amounts(voided, "TotalAmt") == (0,)
    assert balance(realm, "Invoice", inv) == 100
    assert payment_links(realm, "Invoice", inv) == []
    assert balance(realm, "Customer", acme) == 100


def test_reducing_a_payment_line_gives_the_difference_back(realm: Realm, acme: Obj) -> None:
    """Updating a payment's lines re-applies them: 100 applied, then 30, leaves 70 open."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    paid = payment(realm, acme["Id"], 100, applied(100, inv["Id"]))
    ok(sparse(realm, "Payment", paid, TotalAmt=30, Line=[applied(30, inv["Id"])]), "Payment")
    assert balance(realm, "Invoice", inv) == 70


def test_over_applying_to_an_invoice_is_6000(realm: Realm, acme: Obj) -> None:
    """A line applying more than the invoice's open balance is refused (6000)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    body = {"CustomerRef": ref(acme["Id"]), "TotalAmt": 150, "Line": [applied(150, inv["Id"])]}
    fault = fault_of(realm.post("payment", body))
    assert fault[:3] == (400, "6000", BUSINESS)
    assert fault.detail.startswith("Business Validation Error: ")
    assert balance(realm, "Invoice", inv) == 100


def test_applying_more_than_the_payment_total_is_6000(realm: Realm, acme: Obj) -> None:
    """Lines applying more than TotalAmt are refused (6000)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    body = {"CustomerRef": ref(acme["Id"]), "TotalAmt": 50, "Line": [applied(80, inv["Id"])]}
    assert fault_of(realm.post("payment", body))[:3] == (400, "6000", BUSINESS)


def test_second_payment_cannot_exceed_what_is_left(realm: Realm, acme: Obj) -> None:
    """After 80 of 100 is paid, applying 30 more is an over-application (6000)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    payment(realm, acme["Id"], 80, applied(80, inv["Id"]))
    body = {"CustomerRef": ref(acme["Id"]), "TotalAmt": 30, "Line": [applied(30, inv["Id"])]}
    assert fault_of(realm.post("payment", body))[:3] == (400, "6000", BUSINESS)


def test_invoice_with_payments_cannot_be_deleted(realm: Realm, acme: Obj) -> None:
    """Deleting an invoice that a payment still pays is refused (6000)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    payment(realm, acme["Id"], 10, applied(10, inv["Id"]))
    fault = fault_of(delete(realm, "Invoice", read(realm, "Invoice", inv["Id"])))
    assert fault[:3] == (400, "6000", BUSINESS)
    assert balance(realm, "Invoice", inv) == 90


def test_invoice_total_cannot_drop_below_payments(realm: Realm, acme: Obj) -> None:
    """An invoice update leaving less than what was paid is refused (6000)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    payment(realm, acme["Id"], 80, applied(80, inv["Id"]))
    current = read(realm, "Invoice", inv["Id"])
    response = sparse(realm, "Invoice", current, Line=[sales_line(50)])
    assert fault_of(response)[:3] == (400, "6000", BUSINESS)


def test_invoice_update_keeps_payment_links(realm: Realm, acme: Obj) -> None:
    """Payment links are server-owned: a full update without LinkedTxn keeps them."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    paid = payment(realm, acme["Id"], 40, applied(40, inv["Id"]))
    current = read(realm, "Invoice", inv["Id"])
    updated = ok(sparse(realm, "Invoice", current, LinkedTxn=[], PrivateNote="x"), "Invoice")
    assert updated["LinkedTxn"] == [{"TxnId": paid["Id"], "TxnType": "Payment"}]
    assert amounts(updated, "Balance") == (60,)


def test_linking_a_missing_invoice_is_6000(realm: Realm, acme: Obj) -> None:
    """A payment line linking Invoice 75 that does not exist: 6000 naming it."""
    body = {"CustomerRef": ref(acme["Id"]), "TotalAmt": 5, "Line": [applied(5, "75")]}
    fault = fault_of(realm.post("payment", body))
    assert fault[:4] == (
        400,
        "6000",
        BUSINESS,
        "Business Validation Error: The entity Invoice 75 that you are trying to link does not "
        "exist.",
    )


def test_paying_another_customers_invoice_is_6000(realm: Realm, acme: Obj) -> None:
    """A payment can only pay invoices of its own customer."""
    other = realm.create("Customer", {"DisplayName": "Other Co"})
    inv = invoice(realm, other["Id"], sales_line(100))
    body = {"CustomerRef": ref(acme["Id"]), "TotalAmt": 5, "Line": [applied(5, inv["Id"])]}
    assert fault_of(realm.post("payment", body))[:3] == (400, "6000", BUSINESS)


@pytest.mark.parametrize(
    ("body", "missing"),
    [({"TotalAmt": 5}, "CustomerRef"), ({"CustomerRef": {"value": "1"}}, "TotalAmt")],
)
def test_payment_required_fields_are_2020(realm: Realm, acme: Obj, body: Obj, missing: str) -> None:
    """A payment needs CustomerRef and TotalAmt."""
    fault = fault_of(realm.post("payment", body))
    assert fault == (
        400,
        "2020",
        REQUIRED,
        f"Required parameter {missing} is missing in the request",
        missing,
    )


def test_negative_payment_is_6000(realm: Realm, acme: Obj) -> None:
    """A payment amount can't be negative."""
    body = {"CustomerRef": ref(acme["Id"]), "TotalAmt": -5}
    assert fault_of(realm.post("payment", body))[:3] == (400, "6000", BUSINESS)


def test_invoice_with_payments_cannot_be_voided(realm: Realm, acme: Obj) -> None:
    """Voiding an invoice a payment still pays is refused like a delete (6000)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    payment(realm, acme["Id"], 40, applied(40, inv["Id"]))
    current = read(realm, "Invoice", inv["Id"])
    body = {"Id": current["Id"], "SyncToken": current["SyncToken"]}
    fault = fault_of(realm.post("invoice", body, operation="void"))
    assert fault[:3] == (400, "6000", BUSINESS)
    assert balance(realm, "Invoice", inv) == 60


def test_credit_memo_applied_by_a_payment_cannot_be_deleted(realm: Realm, acme: Obj) -> None:
    """A credit memo a payment uses must be unlinked before it is deleted (6000)."""
    inv = invoice(realm, acme["Id"], sales_line(100))
    memo = sales_form(realm, "CreditMemo", acme["Id"], sales_line(30))
    payment(realm, acme["Id"], 0, applied(30, inv["Id"]), applied(30, memo["Id"], "CreditMemo"))
    fault = fault_of(delete(realm, "CreditMemo", read(realm, "CreditMemo", memo["Id"])))
    assert fault[:3] == (400, "6000", BUSINESS)
