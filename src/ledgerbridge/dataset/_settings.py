"""Tenant settings under which the machine-shop data set syncs to a new QBO company as is."""

from __future__ import annotations

from datetime import date

from ledgerbridge.model import PaymentMethodSetting, TenantSettings

from ._machine_shop import HISTORY, MACHINE_SHOP_START

__all__ = ["machine_shop_settings"]


def machine_shop_settings(*, start: date | None = None) -> TenantSettings:
    """Settings that make :func:`machine_shop` (with the same ``start``) sync in full.

    Everything refers to what a new QBO company has (``docs/emulator.md``, "Companies"):

    - the app's payment methods map to QBO's ("Mastercard" is QBO's "MasterCard", "Amex"
      its "American Express"); cash is deposited straight to "Checking", the rest to
      Undeposited Funds;
    - refunds are paid from "Checking", a Bank account;
    - projects become sub-customers (ProLine), whatever their stage;
    - $0 invoices (warranty rework) sync, so that the work is on record (Syncro);
    - sales orders and purchase orders are numbered ``SO-10001`` and ``PO-7001`` in QBO
      (Inventory Mate's template); purchase cost lines that name no account are booked to
      Cost of Goods Sold;
    - the sync starts where the data set's history does, which also dates the opening
      quantity of its inventory items.
    """
    return TenantSettings(
        sync_start_date=(start or MACHINE_SHOP_START) - HISTORY,
        refund_account="Checking",
        payment_methods={
            "Check": PaymentMethodSetting(qbo_method="Check"),
            "Cash": PaymentMethodSetting(qbo_method="Cash"),
            "Visa": PaymentMethodSetting(qbo_method="Visa"),
            "Mastercard": PaymentMethodSetting(qbo_method="MasterCard"),
            "Amex": PaymentMethodSetting(qbo_method="American Express"),
        },
        deposit_accounts={"Cash": "Checking"},
        customer_object="sub_customer_per_project",
        sync_zero_invoices=True,
        doc_number_templates={"sales_order": "SO-{number}", "purchase_order": "PO-{number}"},
        po_cost_account="Cost of Goods Sold",
    )
