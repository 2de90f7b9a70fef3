"""The settings page's form: every :class:`~ledgerbridge.model.TenantSettings` field, both ways.

:data:`SECTIONS` says how each setting is shown (label, help, kind of input); a test pins that
it names every field of the model, so a new setting cannot be forgotten here.
:func:`fields` fills the inputs from a settings document and the company's lists (the
drop-downs), with the problems of a check next to the field they concern; :func:`read_form`
turns a posted form back into a settings document and the problems of its shape.

Mapping settings (payment methods, tax codes, deposit accounts) are posted as parallel lists
(``tax_codes.key`` / ``tax_codes.value``), one row per entry plus an empty row for a new one;
an empty key drops its row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from pydantic import ValidationError
from starlette.datastructures import FormData

from ledgerbridge.engine import SettingProblem, SettingsCheck
from ledgerbridge.model import DocNumberType, TenantSettings

__all__ = ["SECTIONS", "FieldView", "Section", "fields", "read_form", "type_label"]

Kind = Literal[
    "select", "checks", "bool", "date", "number", "text", "templates", "mapping", "methods"
]

#: record types as a shop owner calls them, in push order
_TYPE_LABELS: Final = {
    "customer": "Customers",
    "project": "Projects",
    "vendor": "Vendors",
    "item": "Items",
    "inventory_level": "Inventory levels",
    "sales_order": "Sales orders (estimates)",
    "invoice": "Invoices",
    "purchase_order": "Purchase orders",
    "payment": "Payments",
    "credit_memo": "Credit memos",
    "refund": "Refunds",
    "bill": "Bills",
}
_DOC_LABELS: Final = {
    "sales_order": "Sales order (estimate)",
    "invoice": "Invoice",
    "purchase_order": "Purchase order",
    "bill": "Bill",
    "credit_memo": "Credit memo",
    "refund": "Refund receipt",
}


def type_label(record_type: str) -> str:
    """'Sales orders (estimates)' for ``sales_order``."""
    return _TYPE_LABELS.get(record_type, record_type.replace("_", " ").capitalize())


@dataclass(frozen=True)
class _Spec:
    name: str
    label: str
    help: str
    kind: Kind
    #: fixed choices of a select: (value, label)
    fixed: tuple[tuple[str, str], ...] = ()
    #: the empty choice of an optional select ("none"); ``None``: a value is required
    blank: str | None = None
    check_label: str = ""
    key_label: str = ""
    value_label: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    text: str
    fields: tuple[Any, ...]


_TYPES: Final = tuple(_TYPE_LABELS.items())

#: every setting, in the order the page shows them
SECTIONS: Final[tuple[tuple[str, str, tuple[_Spec, ...]], ...]] = (
    (
        "What syncs",
        "Record types that are off are never sent. The start date keeps old customers, "
        "projects, invoices and payments out; items, vendors and the rest always sync.",
        (
            _Spec("enabled_types", "Record types", "The types ledgerbridge sends.", "checks"),
            _Spec(
                "sync_start_date",
                "Sync start date",
                "Customers, projects, invoices and payments created before it are not sent.",
                "date",
            ),
            _Spec(
                "project_stage_trigger",
                "Project stage that syncs",
                "A project is sent when it reaches this stage (e.g. Closed - Won); empty: all.",
                "text",
            ),
            _Spec(
                "sync_zero_invoices",
                "$0 invoices",
                "Invoices whose total is zero.",
                "bool",
                check_label="Send invoices that total $0",
            ),
        ),
    ),
    (
        "When it syncs",
        "Besides pushing by hand and bulk runs from the Activity page.",
        (
            _Spec(
                "auto_sync",
                "Sync on save",
                "Types sent as soon as the app saves them (a burst of saves is one run).",
                "checks",
            ),
            _Spec(
                "schedule_minutes",
                "Scheduled sync",
                "Send every waiting record this often, in minutes; empty: no schedule.",
                "number",
            ),
        ),
    ),
    (
        "Customers and items",
        "",
        (
            _Spec(
                "customer_object",
                "Customers in QuickBooks",
                "One QuickBooks customer per app customer, or also a sub-customer per project.",
                "select",
                fixed=(
                    ("customer", "One customer per customer"),
                    ("sub_customer_per_project", "A sub-customer per project"),
                ),
            ),
            _Spec(
                "inventory_mode",
                "Inventory",
                "Whether QuickBooks tracks quantities, or the app does (items are then "
                "non-inventory in QuickBooks: no double-counted cost of goods).",
                "select",
                fixed=(("qbo_tracks", "QuickBooks tracks quantities"), ("app_master", "The app")),
            ),
            _Spec(
                "inventory_income_account",
                "Inventory income account",
                "Sales of inventory items.",
                "select",
            ),
            _Spec(
                "inventory_cogs_account",
                "Cost of goods sold account",
                "The cost of inventory items sold.",
                "select",
            ),
            _Spec(
                "inventory_asset_account",
                "Inventory asset account",
                "Holds the inventory's value (when QuickBooks tracks quantities).",
                "select",
            ),
            _Spec(
                "inventory_adjustment_account",
                "Inventory adjustment account",
                "Offsets quantity adjustments (shrinkage).",
                "select",
            ),
            _Spec(
                "default_income_account",
                "Income account of other items",
                "Sales of services and non-inventory items.",
                "select",
            ),
            _Spec(
                "default_expense_account",
                "Expense account of other items",
                "Buying services and non-inventory items.",
                "select",
            ),
            _Spec(
                "charge_item",
                "Item for miscellaneous charges",
                "Charge lines (fees, freight) and line-less refunds are booked on it.",
                "select",
            ),
        ),
    ),
    (
        "Purchases",
        "",
        (
            _Spec(
                "payables_account",
                "Accounts payable",
                "Purchase orders and bills are owed through it.",
                "select",
            ),
            _Spec(
                "po_cost_account",
                "Purchase-order cost account",
                "Cost lines of purchase orders that name no account.",
                "select",
            ),
        ),
    ),
    (
        "Payments and refunds",
        "Payments are recorded in one place first; syncing both ways would record each twice.",
        (
            _Spec(
                "payment_direction",
                "Payments are recorded in",
                "Where payments come from.",
                "select",
                fixed=(
                    ("app_to_qbo", "The app (sent to QuickBooks)"),
                    ("qbo_to_app", "QuickBooks (brought into the app)"),
                ),
            ),
            _Spec(
                "payment_methods",
                "Payment methods",
                "Whether payments of each app method sync, and to which QuickBooks method "
                "(e.g. not those a card processor posts to QuickBooks itself).",
                "methods",
            ),
            _Spec(
                "create_missing_payment_methods",
                "Missing payment methods",
                "A method QuickBooks lacks.",
                "bool",
                check_label="Create it in QuickBooks with the first payment that uses it",
            ),
            _Spec(
                "deposit_accounts",
                "Deposit accounts",
                "Where payments of each method are deposited (Undeposited Funds otherwise).",
                "mapping",
                key_label="App payment method",
                value_label="QuickBooks account",
            ),
            _Spec(
                "refund_account",
                "Refund account",
                "The bank account refunds are paid from; refunds wait until it is set.",
                "select",
                blank="— not set (refunds wait) —",
            ),
        ),
    ),
    (
        "Numbers and taxes",
        "",
        (
            _Spec(
                "doc_number_templates",
                "Document numbers",
                "The QuickBooks number of each document; {number} is the app's number "
                "(e.g. PO-{number}). At most 21 characters in all.",
                "templates",
            ),
            _Spec(
                "tax_codes",
                "Tax codes",
                "App tax code to QuickBooks tax code; unmapped codes are sent as they are.",
                "mapping",
                key_label="App tax code",
                value_label="QuickBooks tax code",
            ),
        ),
    ),
)

_SPECS: Final = {spec.name: spec for _, _, specs in SECTIONS for spec in specs}
_MAPPINGS: Final = frozenset({"tax_codes", "deposit_accounts"})
_TYPE_SETS: Final = frozenset({"enabled_types", "auto_sync"})
_BOOLS: Final = frozenset(n for n, s in _SPECS.items() if s.kind == "bool")
_OPTIONAL: Final = frozenset(
    {"sync_start_date", "project_stage_trigger", "refund_account", "schedule_minutes"}
)


@dataclass
class FieldView:
    """One setting as the template shows it."""

    name: str
    label: str
    help: str
    kind: Kind
    value: Any
    options: tuple[str, ...] = ()
    blank: str | None = None
    #: (value, label) of checkboxes and fixed choices
    labelled: tuple[tuple[str, str], ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    check_label: str = ""
    key_label: str = ""
    value_label: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def fields(
    document: Mapping[str, Any],
    *,
    check: SettingsCheck | None = None,
    problems: Mapping[str, Sequence[str]] | None = None,
) -> list[Section]:
    """The page's sections for ``document`` (a settings document, maybe as typed), with the
    check's drop-downs and problems, and ``problems`` (field -> sentences) of the form."""
    defaults = TenantSettings().model_dump(mode="json")
    sections = []
    for title, text, specs in SECTIONS:
        views = [
            _view(spec, document.get(spec.name, defaults.get(spec.name)), check) for spec in specs
        ]
        sections.append(Section(title, text, tuple(views)))
    by_name = {view.name: view for section in sections for view in section.fields}
    for name, sentences in (problems or {}).items():
        by_name.get(name, by_name["enabled_types"]).errors.extend(sentences)
    for problem in check.problems if check is not None else ():
        view = by_name.get(problem.field)
        if view is not None:
            target = view.errors if problem.severity == "error" else view.warnings
            target.append(_sentence(problem))
    return sections


def _sentence(problem: SettingProblem) -> str:
    """The problem without the field's name (it stands next to the field)."""
    text = problem.message.removeprefix(f"{problem.location}: ")
    return f"{problem.key}: {text}" if problem.key else text[:1].upper() + text[1:]


def _view(spec: _Spec, value: Any, check: SettingsCheck | None) -> FieldView:
    options = tuple(check.options.get(spec.name, ())) if check is not None else ()
    view = FieldView(
        name=spec.name,
        label=spec.label,
        help=spec.help,
        kind=spec.kind,
        value=value,
        options=options,
        blank=spec.blank,
        check_label=spec.check_label,
        key_label=spec.key_label,
        value_label=spec.value_label,
    )
    if spec.fixed:
        view.options = tuple(v for v, _ in spec.fixed)
        view.labelled = spec.fixed
    if spec.name in _TYPE_SETS:
        view.labelled = _TYPES
        view.value = set(value or ())
    elif spec.kind == "templates":
        view.labelled = tuple((t, _DOC_LABELS[t]) for t in get_args(DocNumberType))
        view.value = dict(value or {})
    elif spec.kind == "mapping":
        view.rows = [*((k, v) for k, v in dict(value or {}).items()), ("", "")]
    elif spec.kind == "methods":
        entries = dict(value or {})
        view.rows = [
            *((k, bool(s.get("sync", True)), s.get("qbo_method")) for k, s in entries.items()),
            ("", True, None),
        ]
    return view


# -- the posted form -----------------------------------------------------------------------------
def read_form(form: FormData) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The settings document a posted form describes, and its problems by field.

    The document is validated by :class:`TenantSettings`; when it is not valid, the problems
    name the fields and the document is what was posted (to show it again).
    """
    document: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, spec in _SPECS.items():
        try:
            document[name] = _read(form, name, spec)
        except ValueError as error:
            problems.setdefault(name, []).append(str(error))
    if problems:
        return document, problems
    try:
        TenantSettings.model_validate(document)
    except ValidationError as error:
        for item in error.errors():
            where = str(item["loc"][0]) if item["loc"] else "enabled_types"
            detail = " ".join(str(p) for p in item["loc"][1:])
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.setdefault(where, []).append(f"{detail}: {message}" if detail else message)
    return document, problems


def _read(form: FormData, name: str, spec: _Spec) -> Any:
    if name in _TYPE_SETS:
        return sorted({str(v) for v in form.getlist(name)})
    if name in _BOOLS:
        return form.get(name) == "true"
    if spec.kind == "templates":
        return {
            key: text for key in get_args(DocNumberType) if (text := _text(form, f"{name}.{key}"))
        }
    if name in _MAPPINGS:
        return _pairs(form.getlist(f"{name}.key"), form.getlist(f"{name}.value"), name)
    if spec.kind == "methods":
        return _methods(form)
    value = _text(form, name)
    if name == "schedule_minutes" and value:
        if not value.isdigit():
            raise ValueError(f"{value!r} is not a whole number of minutes")
        return int(value)
    if name in _OPTIONAL:
        return value or None
    return value


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _pairs(keys: Iterable[Any], values: Iterable[Any], name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in zip(keys, values, strict=False):
        key, value = str(key).strip(), str(value).strip()
        if not key:
            continue
        if key in found:
            raise ValueError(f"{key!r} is listed twice")
        if not value:
            raise ValueError(f"{key!r} needs a value")
        found[key] = value
    return found


def _methods(form: FormData) -> dict[str, dict[str, Any]]:
    keys = form.getlist("payment_methods.key")
    syncs = form.getlist("payment_methods.sync")
    qbos = form.getlist("payment_methods.qbo")
    found: dict[str, dict[str, Any]] = {}
    for key, sync, qbo in zip(keys, syncs, qbos, strict=False):
        key, qbo = str(key).strip(), str(qbo).strip()
        if not key:
            continue
        if key in found:
            raise ValueError(f"the method {key!r} is listed twice")
        found[key] = {"sync": sync != "false", "qbo_method": qbo or None}
    return found
