"""QBO objects as the app's canonical records (the inbound direction)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.mapping import (
    MappingError,
    app_payment_method,
    customer_from_qbo,
    is_voided_payment,
    item_from_qbo,
    payment_from_qbo,
    qbo_app_id,
    qbo_summary,
)
from ledgerbridge.model import PaymentMethodSetting, TenantSettings


def test_app_ids_of_qbo_records_are_derived_from_the_qbo_id() -> None:
    assert qbo_app_id("customer", "58") == "qbo-customer-58"
    assert qbo_app_id("sales_order", "7") == "qbo-sales-order-7"
    with pytest.raises(ValueError, match="QBO Id"):
        qbo_app_id("customer", "")


def test_a_customer_with_a_first_name_gets_its_primary_contact() -> None:
    """StartProto: the primary contact only when QBO has a GivenName."""
    customer = customer_from_qbo(
        {
            "Id": "58",
            "DisplayName": "Beta Fabrication",
            "GivenName": "Jane",
            "FamilyName": "Doe",
            "PrimaryEmailAddr": {"Address": "jane@beta.example"},
            "ShipAddr": {"Line1": "9 Dock St", "CountrySubDivisionCode": "OH"},
            "Notes": "  net 30  ",
        },
        app_id="qbo-customer-58",
    )
    contact = customer.primary_contact
    assert contact is not None and (contact.first_name, contact.last_name) == ("Jane", "Doe")
    assert customer.email == "jane@beta.example" and customer.notes == "net 30"
    assert customer.shipping_address is not None and customer.shipping_address.region == "OH"
    assert customer.billing_address is None


def test_a_customer_without_a_first_name_has_no_contact() -> None:
    customer = customer_from_qbo(
        {"Id": "3", "DisplayName": "Gamma (deleted)", "FamilyName": "Smith", "Active": False},
        app_id="qbo-customer-3",
        parent_id="c-1",
    )
    assert customer.contacts == () and customer.name == "Gamma"
    assert customer.active is False and customer.parent_id == "c-1"


def test_a_value_the_app_refuses_names_the_qbo_object_and_field() -> None:
    with pytest.raises(MappingError, match=r"QuickBooks Customer 9 .* email"):
        customer_from_qbo(
            {"Id": "9", "DisplayName": "X", "PrimaryEmailAddr": {"Address": "not-an-email"}},
            app_id="qbo-customer-9",
        )


@pytest.mark.parametrize(
    ("qbo_type", "kind"),
    [("Inventory", "inventory"), ("NonInventory", "non_inventory"), ("Service", "service")],
)
def test_items_keep_their_price_and_starting_quantity(qbo_type: str, kind: str) -> None:
    """UnitPrice is the selling price; QtyOnHand the starting quantity of a tracked item."""
    item = item_from_qbo(
        {
            "Id": "12",
            "Name": "Hex Bolt",
            "Type": qbo_type,
            "UnitPrice": Decimal("0.355"),
            "PurchaseCost": Decimal("0.12"),
            "TrackQtyOnHand": qbo_type == "Inventory",
            "QtyOnHand": Decimal("1200"),
        },
        app_id="qbo-item-12",
        category="Fasteners",
    )
    assert item is not None and item.kind == kind and item.category == "Fasteners"
    assert item.sales_price == Decimal("0.355") and item.purchase_cost == Decimal("0.12")
    expected = Decimal(1200) if qbo_type == "Inventory" else None
    assert item.quantity_on_hand == expected


@pytest.mark.parametrize("qbo_type", ["Category", "Group"])
def test_categories_and_bundles_are_not_app_items(qbo_type: str) -> None:
    assert item_from_qbo({"Id": "1", "Name": "Kits", "Type": qbo_type}, app_id="x") is None


def _payment(**fields: Any) -> dict[str, Any]:
    return {
        "Id": "77",
        "TxnDate": "2026-03-02",
        "TotalAmt": Decimal("150.00"),
        "PaymentRefNum": "1042",
        "PaymentMethodRef": {"value": "2", "name": "Check"},
        "Line": [
            {"Amount": Decimal("100"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
            {"Amount": Decimal("30"), "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
            {"Amount": Decimal("20"), "LinkedTxn": [{"TxnId": "140", "TxnType": "CreditMemo"}]},
        ],
        **fields,
    }


def test_a_payment_applies_to_the_app_invoices_and_reports_the_rest() -> None:
    settings = TenantSettings(payment_methods={"Cheque": PaymentMethodSetting(qbo_method="check")})
    inbound = payment_from_qbo(
        _payment(),
        app_id="qbo-payment-77",
        customer_id="c-1",
        invoices={"130": "inv-1"},
        settings=settings,
    )
    payment = inbound.payment
    assert payment.method == "Cheque" and payment.reference == "1042"
    assert [(a.invoice_id, a.amount) for a in payment.applications] == [
        ("inv-1", Decimal("100.00"))
    ]
    assert payment.credit == Decimal("50.00")
    assert [(u.txn_type, u.txn_id, u.amount) for u in inbound.unmatched] == [
        ("Invoice", "131", Decimal("30.00")),
        ("CreditMemo", "140", Decimal("20.00")),
    ]


def test_an_unmapped_qbo_method_keeps_its_qbo_name() -> None:
    assert app_payment_method(TenantSettings(), "Visa") == "Visa"


def test_a_voided_payment_is_recognized() -> None:
    assert is_voided_payment({"TotalAmt": Decimal(0), "PrivateNote": "Voided - was 150"})
    assert not is_voided_payment({"TotalAmt": Decimal(0)})
    assert not is_voided_payment(_payment(PrivateNote="Voided"))


def test_a_summary_is_json_with_money_in_cents() -> None:
    summary = qbo_summary(
        {
            "Id": "5",
            "DocNumber": "1001",
            "TotalAmt": Decimal("40.0"),
            "Balance": Decimal("0"),
            "CustomerRef": {"value": "3", "name": "Acme"},
            "MetaData": {"LastUpdatedTime": "2026-01-01T10:00:00-08:00"},
            "Line": [{"Amount": 1}],
        }
    )
    assert summary == {
        "Id": "5",
        "DocNumber": "1001",
        "TotalAmt": "40.00",
        "Balance": "0.00",
        "CustomerRef": "3",
        "LastUpdatedTime": "2026-01-01T10:00:00-08:00",
    }
