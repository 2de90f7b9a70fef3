"""Payments: full, partial, split, overpaid, never applied twice (QBO-REFERENCE.md 8.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapkit import CUSTOMER, SERVICE, Books

from ledgerbridge.mapping import (
    MappingError,
    QBORef,
    SkipRecordError,
    UnresolvedReferenceError,
    cap_applications,
    map_invoice,
    map_payment,
)
from ledgerbridge.model import Application, Invoice, Payment, TenantSettings, parse_record


def payment(**changes: Any) -> Payment:
    record = parse_record(
        {
            "type": "payment",
            "id": "pay-1",
            "customer_id": CUSTOMER,
            "payment_date": "2026-03-20",
            "amount": "150.00",
            "method": "Check",
            "reference": "5531",
            **changes,
        }
    )
    assert isinstance(record, Payment)
    return record


def issue_invoices(books: Books, settings: TenantSettings, *totals: str) -> list[str]:
    """Create invoices of the given totals; returns their QBO Ids (app ids inv-1, inv-2...)."""
    ids = []
    for index, total in enumerate(totals, start=1):
        record = parse_record(
            {
                "type": "invoice",
                "id": f"inv-{index}",
                "customer_id": CUSTOMER,
                "invoice_date": "2026-03-02",
                "lines": [{"item_id": SERVICE, "quantity": 1, "unit_price": total}],
            }
        )
        assert isinstance(record, Invoice)
        created = books.create("Invoice", map_invoice(record, settings=settings, refs=books.refs))
        books.add("invoices", record.id, QBORef(created["Id"]))
        ids.append(created["Id"])
    return ids


def test_payment_split_across_invoices_with_credit(settings: TenantSettings, books: Books) -> None:
    """One line per invoice, LinkedTxn Invoice; the rest stays as unapplied credit."""
    ids = issue_invoices(books, settings, "60.00", "70.00")
    record = payment(
        applications=[{"invoice_id": "inv-1", "amount": 60}, {"invoice_id": "inv-2", "amount": 50}]
    )
    payload = map_payment(record, settings=settings, refs=books.refs)
    assert payload["Line"] == [
        {"Amount": Decimal("60.00"), "LinkedTxn": [{"TxnId": ids[0], "TxnType": "Invoice"}]},
        {"Amount": Decimal("50.00"), "LinkedTxn": [{"TxnId": ids[1], "TxnType": "Invoice"}]},
    ]
    assert (payload["TotalAmt"], payload["PaymentRefNum"], payload["TxnDate"]) == (
        Decimal("150.00"),
        "5531",
        "2026-03-20",
    )
    assert payload["PaymentMethodRef"] == books.refs.payment_method("Check").payload()
    assert (
        payload["DepositToAccountRef"]
        == books.refs.account("Undeposited Funds", field="x").payload()
    )
    created = books.create("Payment", payload)
    assert created["UnappliedAmt"] == record.credit == Decimal("40.00")
    assert books.read("Invoice", ids[0])["Balance"] == Decimal("0.00")
    assert books.read("Invoice", ids[1])["Balance"] == Decimal("20.00")


def test_payment_without_applications_is_all_credit(settings: TenantSettings, books: Books) -> None:
    """No lines: QBO records the whole amount as credit."""
    payload = map_payment(payment(), settings=settings, refs=books.refs)
    assert payload["Line"] == []
    assert books.create("Payment", payload)["UnappliedAmt"] == Decimal("150.00")


def test_deposit_account_and_method_per_settings(books: Books) -> None:
    """Cash deposits to Checking and maps to QBO's Cash method by the tenant's settings."""
    settings = TenantSettings.model_validate(
        {
            "deposit_accounts": {"cash": "Checking"},
            "payment_methods": {"Till": {"qbo_method": "Cash"}},
        }
    )
    payload = map_payment(payment(method="Till"), settings=settings, refs=books.refs)
    assert payload["PaymentMethodRef"] == books.refs.payment_method("Cash").payload()
    cash = map_payment(payment(method="Cash"), settings=settings, refs=books.refs)
    assert cash["DepositToAccountRef"] == books.refs.account("Checking", field="x").payload()
    books.create("Payment", cash)


def test_missing_payment_method_is_named(settings: TenantSettings, books: Books) -> None:
    """A method QBO lacks is unresolved on "method" (created or reported by the engine)."""
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_payment(payment(method="ProLine"), settings=settings, refs=books.refs)
    assert (caught.value.field, caught.value.app_id, caught.value.kind) == (
        "method",
        "ProLine",
        "payment method",
    )


def test_unresolved_invoice_names_the_application(settings: TenantSettings, books: Books) -> None:
    """An invoice not in QBO yet is reported on applications[i].invoice_id."""
    record = payment(applications=[{"invoice_id": "inv-9", "amount": 10}])
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_payment(record, settings=settings, refs=books.refs)
    assert caught.value.field == "applications[0].invoice_id"


def test_cap_applications_keeps_within_open_balances() -> None:
    """Each application is capped at its invoice's balance; a paid invoice gets nothing."""
    applications = (
        Application(invoice_id="a", amount=Decimal("50.00")),
        Application(invoice_id="b", amount=Decimal("30.00")),
        Application(invoice_id="c", amount=Decimal("20.00")),
    )
    capped = cap_applications(
        applications, open_balances={"a": Decimal("50.00"), "b": Decimal("12.34"), "c": Decimal(0)}
    )
    assert [(a.invoice_id, a.amount) for a in capped] == [
        ("a", Decimal("50.00")),
        ("b", Decimal("12.34")),
    ]


def test_cap_applications_needs_every_balance() -> None:
    """Applying blind is refused: the balance of each invoice must be known."""
    with pytest.raises(MappingError) as caught:
        cap_applications((Application(invoice_id="a", amount=Decimal(1)),), open_balances={})
    assert caught.value.field == "applications[0].invoice_id"


def test_payment_is_never_applied_twice(settings: TenantSettings, books: Books) -> None:
    """An invoice already paid in QBO takes nothing more: the payment becomes credit."""
    ids = issue_invoices(books, settings, "80.00")
    books.create(
        "Payment",
        {
            "CustomerRef": books.refs.customer(CUSTOMER).payload(),
            "TotalAmt": Decimal("50"),
            "Line": [
                {"Amount": Decimal("50"), "LinkedTxn": [{"TxnId": ids[0], "TxnType": "Invoice"}]}
            ],
        },
    )
    record = payment(amount="80.00", applications=[{"invoice_id": "inv-1", "amount": "80.00"}])
    balances = {"inv-1": books.read("Invoice", ids[0])["Balance"]}
    payload = map_payment(record, settings=settings, refs=books.refs, open_balances=balances)
    assert [line["Amount"] for line in payload["Line"]] == [Decimal("30.00")]
    created = books.create("Payment", payload)
    assert created["UnappliedAmt"] == Decimal("50.00")
    assert books.read("Invoice", ids[0])["Balance"] == Decimal("0.00")


def test_payments_from_qbo_are_not_pushed_back(books: Books) -> None:
    """The direction guard: with payments flowing from QBO, mapping one is a skip."""
    with pytest.raises(SkipRecordError, match="record it twice"):
        map_payment(
            payment(), settings=TenantSettings(payment_direction="qbo_to_app"), refs=books.refs
        )


def test_methods_set_not_to_sync_are_skipped(books: Books) -> None:
    """A method switched off (a processor posting to QBO itself) is a skip."""
    settings = TenantSettings.model_validate({"payment_methods": {"Check": {"sync": False}}})
    with pytest.raises(SkipRecordError, match="'Check'"):
        map_payment(payment(), settings=settings, refs=books.refs)


def test_project_payment_goes_to_the_sub_customer(books: Books) -> None:
    """In sub-customer mode a payment for a project's invoices is the sub-customer's."""
    books.add("projects", "p-1", QBORef("555"))
    settings = TenantSettings(customer_object="sub_customer_per_project")
    payload = map_payment(payment(project_id="p-1"), settings=settings, refs=books.refs)
    assert payload["CustomerRef"] == {"value": "555"}
