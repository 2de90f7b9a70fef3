"""Tenant settings: defaults, validation, look-ups and the eligibility rules."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from modelkit import EXAMPLES, invoice, payment
from pydantic import ValidationError

from ledgerbridge.model import (
    ALL_RECORD_TYPES,
    TenantSettings,
    parse_record,
    settings_schema,
)

START = date(2026, 3, 1)


def test_defaults_are_valid() -> None:
    """TenantSettings() is a complete, sensible configuration."""
    settings = TenantSettings()
    assert settings.enabled_types == ALL_RECORD_TYPES
    assert settings.customer_object == "customer"
    assert settings.inventory_mode == "qbo_tracks"
    assert settings.payment_direction == "app_to_qbo"
    assert settings.refund_account is None
    assert settings.sync_zero_invoices is False
    assert settings.deposit_account("Visa") == "Undeposited Funds"


def test_settings_are_frozen_and_strict() -> None:
    """No attribute changes after validation; unknown settings are refused."""
    settings = TenantSettings()
    with pytest.raises(ValidationError):
        settings.refund_account = "Checking"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="refund_acount"):
        TenantSettings.model_validate({"refund_acount": "Checking"})


def test_settings_round_trip_through_json() -> None:
    """A stored settings document reads back equal."""
    settings = TenantSettings(
        sync_start_date=START,
        payment_methods={"Visa": {"sync": False}},  # type: ignore[dict-item]
        doc_number_templates={"purchase_order": "PO-{number}"},
    )
    assert TenantSettings.model_validate_json(settings.model_dump_json()) == settings


def test_doc_number_template_renders_the_number() -> None:
    """PO-{number} with 1042 is PO-1042; types without a template use the number."""
    settings = TenantSettings(doc_number_templates={"purchase_order": "PO-{number}"})
    assert settings.doc_number("purchase_order", number="1042") == "PO-1042"
    assert settings.doc_number("invoice", number="1042") == "1042"


@pytest.mark.parametrize(
    "template",
    ["PO-{num}", "PO-{number}-{number}", "{number:>6}", "{number!r}", "PO-", "PO-{number}}", "{}"],
)
def test_doc_number_template_allows_only_the_number_placeholder(template: str) -> None:
    """Any other placeholder, a format spec, a second {number} or none is refused clearly."""
    with pytest.raises(ValidationError) as caught:
        TenantSettings(doc_number_templates={"purchase_order": template})
    error = caught.value.errors()[0]
    assert error["loc"] == ("doc_number_templates", "purchase_order")
    assert "placeholder {number} exactly once" in error["msg"]


def test_doc_number_template_must_leave_room_for_a_number() -> None:
    """A template of 21 literal characters leaves none of QBO's 21 for the number."""
    with pytest.raises(ValidationError, match="leaves no room"):
        TenantSettings(doc_number_templates={"invoice": "INVOICE-NUMBER-2026--{number}"})


def test_doc_number_templates_only_for_numbered_types() -> None:
    """Customers have no DocNumber, so no template."""
    with pytest.raises(ValidationError):
        TenantSettings.model_validate({"doc_number_templates": {"customer": "C-{number}"}})


def test_payment_methods_match_ignoring_case_and_spaces() -> None:
    """ "visa " finds the "Visa" setting; an unlisted method syncs under its own name."""
    settings = TenantSettings.model_validate(
        {
            "payment_methods": {
                "Visa": {"sync": True, "qbo_method": "Visa Card"},
                "Stripe  Payout": {"sync": False},
            }
        }
    )
    assert settings.qbo_payment_method("visa ") == "Visa Card"
    assert settings.qbo_payment_method("Check") == "Check"
    assert settings.method_syncs("stripe payout") is False
    assert settings.method_syncs("Cash") is True
    assert settings.method_syncs(None) is True


def test_deposit_account_per_method() -> None:
    """Cash goes to Checking; everything else to Undeposited Funds."""
    settings = TenantSettings(deposit_accounts={"Cash": "Checking"})
    assert settings.deposit_account("cash") == "Checking"
    assert settings.deposit_account("Visa") == "Undeposited Funds"
    assert settings.deposit_account(None) == "Undeposited Funds"


def test_tax_code_mapping() -> None:
    """Mapped app tax codes translate; others pass through."""
    settings = TenantSettings(tax_codes={"STATE": "TAX", "EXEMPT": "NON"})
    assert settings.tax_code("STATE") == "TAX"
    assert settings.tax_code("GST") == "GST"


def test_enum_settings_refuse_unknown_values() -> None:
    """inventory_mode, customer_object and payment_direction are closed choices."""
    for name in ("inventory_mode", "customer_object", "payment_direction"):
        with pytest.raises(ValidationError):
            TenantSettings.model_validate({name: "both"})


def test_settings_schema_lists_every_setting() -> None:
    """The JSON Schema has a property per setting."""
    schema = settings_schema()
    assert set(schema["properties"]) == set(TenantSettings.model_fields)


# -- eligibility ------------------------------------------------------------------------------


def test_disabled_types_are_not_eligible() -> None:
    """A record whose type is not enabled is skipped with a reason."""
    settings = TenantSettings(enabled_types=frozenset({"customer"}))
    record = parse_record(invoice())
    assert settings.skip_reason(record) == "invoice records are not enabled for this tenant"
    assert settings.is_eligible(parse_record(EXAMPLES["customer"]))


@pytest.mark.parametrize("record_type", ["customer", "project", "invoice", "payment"])
def test_sync_start_date_gates_customers_invoices_payments(record_type: str) -> None:
    """Created before the start date: skipped; on the date: synced (BPro)."""
    settings = TenantSettings(sync_start_date=START)
    record = parse_record(EXAMPLES[record_type])
    reason = settings.skip_reason(record, created_at=date(2026, 2, 28))
    assert reason is not None and "before the sync start date 2026-03-01" in reason
    assert settings.is_eligible(record, created_at=datetime(2026, 3, 1, 0, 0))


@pytest.mark.parametrize("record_type", ["item", "vendor", "purchase_order", "bill", "refund"])
def test_sync_start_date_does_not_gate_the_rest(record_type: str) -> None:
    """Items and the other records always sync, whatever their date."""
    settings = TenantSettings(sync_start_date=START)
    assert settings.is_eligible(parse_record(EXAMPLES[record_type]), created_at=date(2020, 1, 1))


def test_invoice_and_payment_dates_stand_in_for_created_at() -> None:
    """Without created_at, an invoice's and a payment's own dates decide."""
    settings = TenantSettings(sync_start_date=START)
    assert not settings.is_eligible(parse_record(invoice(invoice_date="2026-02-27")))
    assert settings.is_eligible(parse_record(invoice(invoice_date="2026-03-02")))
    assert not settings.is_eligible(parse_record(payment(payment_date="2026-02-27")))


def test_customer_without_created_at_is_eligible() -> None:
    """When the creation date is unknown a customer is not held back."""
    settings = TenantSettings(sync_start_date=START)
    assert settings.is_eligible(parse_record(EXAMPLES["customer"]))


def test_linked_records_keep_syncing_after_the_date_rule() -> None:
    """A record already in QBO keeps following its changes."""
    settings = TenantSettings(sync_start_date=START)
    old = parse_record(invoice(invoice_date="2026-01-05"))
    assert settings.is_eligible(old, linked=True)


def test_project_stage_trigger() -> None:
    """Projects sync once at the trigger stage (compared ignoring case and spaces)."""
    settings = TenantSettings(project_stage_trigger="Closed - Won")
    lead = parse_record({**EXAMPLES["project"], "stage": "Lead"})
    won = parse_record({**EXAMPLES["project"], "stage": "closed -  won"})
    reason = settings.skip_reason(lead)
    assert reason is not None and "'Closed - Won'" in reason
    assert settings.is_eligible(won)
    assert settings.is_eligible(lead, linked=True)
    assert TenantSettings().is_eligible(lead)


def test_payment_method_filter() -> None:
    """Payments and refunds with a method set not to sync are skipped, even when linked."""
    settings = TenantSettings.model_validate({"payment_methods": {"Stripe": {"sync": False}}})
    stripe = parse_record(payment(method="Stripe"))
    assert "'Stripe' are set not to sync" in str(settings.skip_reason(stripe, linked=True))
    assert settings.is_eligible(parse_record(payment(method="Check")))
    refund = parse_record({**EXAMPLES["refund"], "method": "stripe"})
    assert not settings.is_eligible(refund)


def test_payment_direction_guard() -> None:
    """Payments flowing from QBO to the app are never pushed back."""
    settings = TenantSettings(payment_direction="qbo_to_app")
    reason = settings.skip_reason(parse_record(payment()))
    assert reason is not None and "from QuickBooks to the app" in reason
    assert settings.is_eligible(parse_record(EXAMPLES["refund"]))
