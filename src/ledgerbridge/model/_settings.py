"""A tenant's sync settings: what syncs, when, and how it lands in QuickBooks.

Every setting has a default, so ``TenantSettings()`` is valid: everything enabled, no start
date, one QBO customer per app customer, QBO tracks inventory, the accounts a new US QBO
company is born with (``docs/emulator.md``, "Companies"), payments pushed to QBO, $0 invoices
skipped, and no refund account (refunds wait until one is set; the engine checks that it is a
Bank or Other Current Asset account, ``QBO-REFERENCE.md`` section 8.5, RefundReceipt).

Account, payment-method, term and item settings hold QBO names (or Ids); the engine resolves
them to Ids before mapping. The behaviours come from the seed pages: the sync start date and
payment-method filter (BPro), the customer object and project-stage trigger (ProLine), the
payment direction guard and $0 invoices (Syncro), DocNumber templates (Inventory Mate), the
inventory accounts (StartProto).

Eligibility (:meth:`TenantSettings.skip_reason`): a record is pushed on its own only when its
type is enabled and

- customers, projects, invoices and payments were created on or after ``sync_start_date``
  (``created_at``, given by the caller; for invoices and payments without one, their own
  date); items, vendors and the rest always sync (BPro: "we will always sync products, ...
  payment methods, sales terms and taxes - regardless of the date");
- a project has reached ``project_stage_trigger`` (when set);
- a payment or refund's method is not switched off in ``payment_methods``;
- payments go from the app to QBO (``payment_direction``: only one direction, never both,
  or every payment would be recorded twice).

A record already linked to QBO stays eligible under the date and stage rules (it was synced,
so its changes follow). A customer or item that an eligible transaction needs is synced as its
dependency whatever its own date: the engine resolves dependencies regardless of eligibility.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)

from ._records import (
    AnyRecord,
    Customer,
    Invoice,
    Payment,
    Project,
    RecordType,
    Refund,
)

__all__ = [
    "ALL_RECORD_TYPES",
    "DEFAULT_DEPOSIT_ACCOUNT",
    "DocNumberType",
    "PaymentMethodSetting",
    "TenantSettings",
    "render_doc_number",
    "settings_schema",
]

DEFAULT_DEPOSIT_ACCOUNT: Final = "Undeposited Funds"
#: Every record type.
ALL_RECORD_TYPES: Final[frozenset[RecordType]] = frozenset(get_args(RecordType))
#: Record types with a document number, and so a DocNumber template.
DocNumberType = Literal["sales_order", "invoice", "purchase_order", "bill", "credit_memo", "refund"]
#: The only placeholder a DocNumber template may hold.
_PLACEHOLDER: Final = "{number}"
#: QBO's DocNumber limit (section 8.1).
_DOC_NUMBER_MAX: Final = 21
_DATE_GATED: Final = (Customer, Project, Invoice, Payment)

_QBOName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _template(value: str) -> str:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError:
        fields = ["?"]
    if fields != ["number"] or value.count(_PLACEHOLDER) != 1:
        raise ValueError(
            f"template {value!r} must hold the placeholder {{number}} exactly once and no "
            "other braces (e.g. 'PO-{number}')"
        )
    room = _DOC_NUMBER_MAX - (len(value) - len(_PLACEHOLDER))
    if room < 1:
        raise ValueError(
            f"template {value!r} leaves no room for the number in QuickBooks' 21-character "
            "DocNumber"
        )
    return value


_Template = Annotated[str, AfterValidator(_template)]


def render_doc_number(template: str, *, number: str) -> str:
    """The DocNumber a template gives for ``number`` (``"PO-{number}"``, "1042" -> "PO-1042")."""
    return template.replace(_PLACEHOLDER, number)


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


class PaymentMethodSetting(BaseModel):
    """How one of the app's payment methods syncs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: False: payments (and refunds) with this method are not sent to QBO (e.g. a processor
    #: that posts to QBO itself, BPro)
    sync: bool = True
    #: the QBO payment method's name; the app's method name when absent
    qbo_method: _QBOName | None = None


class TenantSettings(BaseModel):
    """One tenant's settings (validated, frozen). ``TenantSettings()`` is a valid default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the integration is on (ProLine's "Integration is on"): off, nothing is sent to QBO and
    #: records wait, while the connection stays (the console's Enable / Disable)
    sync_enabled: bool = True
    #: the record types that sync; all by default
    enabled_types: frozenset[RecordType] = ALL_RECORD_TYPES
    #: customers, projects, invoices and payments created before this date are not synced
    sync_start_date: date | None = None
    #: the QBO Bank or Other Current Asset account refunds are paid from; refunds wait
    #: until it is set
    refund_account: _QBOName | None = None
    #: app payment method -> whether it syncs and to which QBO method (matched ignoring case
    #: and repeated spaces)
    payment_methods: Mapping[str, PaymentMethodSetting] = Field(default_factory=dict)
    #: create a QBO payment method that does not exist yet, rather than stop with an error
    create_missing_payment_methods: bool = False
    #: one QBO customer per app customer, or also a sub-customer per project (ProLine)
    customer_object: Literal["customer", "sub_customer_per_project"] = "customer"
    #: the project stage that triggers a project's sync, e.g. "Closed - Won"; every project
    #: syncs when absent
    project_stage_trigger: _QBOName | None = None
    #: QBO tracks quantities (pushed by InventoryAdjustment), or the app is the inventory
    #: master (inventory items become NonInventory items in QBO: no double-counted COGS)
    inventory_mode: Literal["qbo_tracks", "app_master"] = "qbo_tracks"
    inventory_income_account: _QBOName = "Sales of Product Income"
    inventory_cogs_account: _QBOName = "Cost of Goods Sold"
    inventory_asset_account: _QBOName = "Inventory Asset"
    #: the offsetting account of quantity adjustments (InventoryAdjustment)
    inventory_adjustment_account: _QBOName = "Inventory Shrinkage"
    #: income account of service and non-inventory items
    default_income_account: _QBOName = "Sales of Product Income"
    #: expense account of service and non-inventory items (what buying them costs)
    default_expense_account: _QBOName = "Cost of Goods Sold"
    #: expense account of purchase-order cost lines (freight, fees) that name none
    po_cost_account: _QBOName = "Uncategorized Expense"
    #: the Accounts Payable account of purchase orders and bills
    payables_account: _QBOName = "Accounts Payable (A/P)"
    #: the QBO item miscellaneous charge lines (and line-less refunds and store credit) are
    #: booked on; "Services" exists in every new QBO company
    charge_item: _QBOName = "Services"
    #: DocNumber per record type, e.g. {"purchase_order": "PO-{number}"}; "{number}" otherwise
    doc_number_templates: Mapping[DocNumberType, _Template] = Field(default_factory=dict)
    #: app tax code -> QBO tax code (name or Id); unmapped codes are used as they are
    tax_codes: Mapping[str, _QBOName] = Field(default_factory=dict)
    #: send invoices whose total is $0 (Syncro); skipped otherwise
    sync_zero_invoices: bool = False
    #: app payment method -> QBO account payments of that method are deposited to
    deposit_accounts: Mapping[str, _QBOName] = Field(default_factory=dict)
    #: where payments are recorded first; only one direction syncs (Syncro's guard)
    payment_direction: Literal["app_to_qbo", "qbo_to_app"] = "app_to_qbo"
    #: record types pushed as soon as the app saves them (debounced); none by default
    #: (Inventory Mate, BPro): the others wait for a manual, bulk or scheduled sync
    auto_sync: frozenset[RecordType] = frozenset()
    #: push every dirty record this often (minutes); no scheduled sync when absent
    schedule_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    # -- lookups ------------------------------------------------------------------------------

    def doc_number(self, record_type: DocNumberType, *, number: str) -> str:
        """The DocNumber of a document of ``record_type`` numbered ``number`` by the app."""
        template = self.doc_number_templates.get(record_type, _PLACEHOLDER)
        return render_doc_number(template, number=number)

    def payment_method(self, method: str) -> PaymentMethodSetting | None:
        """The setting of an app payment method (exact name first, then ignoring case)."""
        if method in self.payment_methods:
            return self.payment_methods[method]
        wanted = _normal(method)
        return next((s for k, s in self.payment_methods.items() if _normal(k) == wanted), None)

    def method_syncs(self, method: str | None) -> bool:
        """Whether payments with this app method are sent to QBO (unlisted methods are)."""
        if method is None:
            return True
        setting = self.payment_method(method)
        return setting is None or setting.sync

    def qbo_payment_method(self, method: str) -> str:
        """The QBO payment method name an app method maps to."""
        setting = self.payment_method(method)
        return setting.qbo_method if setting and setting.qbo_method else method

    def deposit_account(self, method: str | None) -> str:
        """The account a payment of this method is deposited to (Undeposited Funds default)."""
        if method is not None:
            if method in self.deposit_accounts:
                return self.deposit_accounts[method]
            wanted = _normal(method)
            for key, account in self.deposit_accounts.items():
                if _normal(key) == wanted:
                    return account
        return DEFAULT_DEPOSIT_ACCOUNT

    def tax_code(self, app_code: str) -> str:
        """The QBO tax code an app tax code maps to (itself when unmapped)."""
        return self.tax_codes.get(app_code, app_code)

    # -- eligibility --------------------------------------------------------------------------

    def skip_reason(
        self,
        record: AnyRecord,
        *,
        created_at: date | datetime | None = None,
        linked: bool = False,
    ) -> str | None:
        """Why ``record`` is not pushed on its own under these settings, or ``None``.

        ``created_at`` is when the app created the record; ``linked`` says whether it is
        already linked to a QBO object (module docstring has the rules).
        """
        if record.type not in self.enabled_types:
            return f"{record.type} records are not enabled for this tenant"
        if isinstance(record, (Payment, Refund)):
            if isinstance(record, Payment) and self.payment_direction != "app_to_qbo":
                return "payments sync from QuickBooks to the app for this tenant, not back"
            if not self.method_syncs(record.method):
                return f"payments with the method {record.method!r} are set not to sync"
        if linked:
            return None
        if (
            isinstance(record, Project)
            and self.project_stage_trigger is not None
            and _normal(record.stage or "") != _normal(self.project_stage_trigger)
        ):
            return (
                f"the project is at stage {record.stage!r}; projects sync when they reach "
                f"{self.project_stage_trigger!r}"
            )
        if self.sync_start_date is not None and isinstance(record, _DATE_GATED):
            created = _day(created_at) or _own_date(record)
            if created is not None and created < self.sync_start_date:
                return (
                    f"the {record.type.replace('_', ' ')} was created on {created}, before the "
                    f"sync start date {self.sync_start_date}"
                )
        return None

    def is_eligible(
        self,
        record: AnyRecord,
        *,
        created_at: date | datetime | None = None,
        linked: bool = False,
    ) -> bool:
        """Whether ``record`` is pushed on its own under these settings (:meth:`skip_reason`)."""
        return self.skip_reason(record, created_at=created_at, linked=linked) is None


def _day(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _own_date(record: AnyRecord) -> date | None:
    if isinstance(record, Invoice):
        return record.invoice_date
    if isinstance(record, Payment):
        return record.payment_date
    return None


def settings_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`TenantSettings`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **TypeAdapter(TenantSettings).json_schema(),
    }
