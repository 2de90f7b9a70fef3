"""Rules of the name lists: customers, vendors, employees, items, accounts and the small lists.

Sources: ``QBO-REFERENCE.md`` section 7 (names, lengths, uniqueness, sub-customers, items,
accounts) and section 4.3 (name lists are never deleted: they are made inactive and renamed
with a " (deleted)" suffix).
"""

from __future__ import annotations

import re
from decimal import Decimal

from . import _faults
from ._catalog import CATALOG
from ._company import ACCOUNT_TYPE_OF_SUBTYPE, CLASSIFICATION, Obj, namespace_of, unique_name
from ._rules import Context, Rules, decimal_of, ref_id

__all__ = ["NameListRules"]

_DELETED = " (deleted)"
#: " (deleted)", or " (deleted-1)", " (deleted-2)"... when an inactive record already holds
#: that name (QBO data read by third-party code shows "4PXL-10B (deleted-1)") [3P].
_DELETED_SUFFIX = re.compile(r" \(deleted(?:-\d+)?\)$")
_PERSON_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
_FORBIDDEN = (":", "\t", "\n", "\r")
_PEOPLE = ("Customer", "Vendor", "Employee")
#: Fields a name may not hold a colon, tab or newline in (section 7.2, 7.4, 7.5).
_NAME_FIELDS = {
    "Customer": ("DisplayName", *_PERSON_NAME_PARTS, "PrintOnCheckName"),
    "Vendor": ("DisplayName", *_PERSON_NAME_PARTS, "PrintOnCheckName"),
    "Employee": ("DisplayName", *_PERSON_NAME_PARTS, "PrintOnCheckName"),
    "Item": ("Name",),
    "Account": ("Name", "AcctNum"),
}
#: Sub-customers may nest four levels below a top-level customer; accounts, classes,
#: departments and categories five levels in all.
_MAX_LEVEL = 4
_DUPLICATE_KIND = {
    "Item": "product or service",
    "Account": "account",
    "Term": "term",
    "PaymentMethod": "payment method",
    "Class": "class",
    "Department": "location",
    "TaxCode": "tax code",
}
#: Properties the server keeps across an update (set on create, then maintained by QBO).
_KEPT_ON_UPDATE = {
    "Customer": ("Balance", "OpenBalanceDate"),
    "Vendor": ("Balance",),
    "Item": ("InvStartDate",),
    "Account": ("OpeningBalance", "OpeningBalanceDate"),
}
_SUB_FLAG = {
    "Customer": "Job",
    "Item": "SubItem",
    "Account": "SubAccount",
    "Class": "SubClass",
    "Department": "SubDepartment",
}


class NameListRules(Rules):
    def prepare(self, ctx: Context, entity: str, new: Obj, old: Obj | None) -> None:
        spec = CATALOG[entity]
        if old is not None:
            for name in _KEPT_ON_UPDATE.get(entity, ()):
                if name in old:
                    new[name] = old[name]
                else:
                    new.pop(name, None)
        name_field = spec.name_field
        assert name_field is not None
        # Checked before a DisplayName is built from the name parts, so that the Fault names
        # the field the client sent.
        for field_name in _NAME_FIELDS.get(entity, ()):
            value = new.get(field_name)
            if isinstance(value, str):
                new[field_name] = value = value.strip()
                bad = next((c for c in _FORBIDDEN if c in value), None)
                if bad is not None:
                    raise _faults.invalid_characters(field_name, bad)
        if entity in _PEOPLE:
            _person_name(entity, new)
        if entity == "Account" and '"' in str(new.get("Name", "")):
            raise _faults.invalid_characters("Name", '"')
        if not new.get(name_field):
            raise _faults.required_param(name_field)
        new.setdefault("Active", True)
        self._active_rename(ctx, entity, new, name_field, old)
        _hierarchy(ctx, entity, new, old)
        check = {
            "Customer": _customer,
            "Vendor": _vendor,
            "Employee": _employee,
            "Item": _item,
            "Account": _account,
        }.get(entity)
        if check is not None:
            check(ctx, new, old)
        _unique(ctx, entity, new)

    @staticmethod
    def _active_rename(
        ctx: Context, entity: str, new: Obj, name_field: str, old: Obj | None
    ) -> None:
        """Deactivation renames the record "<name> (deleted)"; reactivation undoes it.

        An inactive record's name always carries the suffix, so deactivating it again (qbo_api
        sends the plain Name with ``Active: false``) changes nothing (sections 4.1, 4.3).
        """
        name = str(new[name_field])
        base = _DELETED_SUFFIX.sub("", name)
        was_active = old is None or old.get("Active", True) is not False
        if new["Active"] is False:
            if not was_active and old and _DELETED_SUFFIX.sub("", str(old[name_field])) == base:
                new[name_field] = old[name_field]
                return
            namespace = namespace_of(entity)
            candidate, number = base + _DELETED, 0
            while ctx.company.find_by_name(namespace, candidate) not in (
                None,
                (entity, new.get("Id")),
            ):
                number += 1
                candidate = f"{base} (deleted-{number})"
            new[name_field] = candidate
        elif not was_active:
            new[name_field] = base

    def apply(self, ctx: Context, entity: str, obj: Obj, sign: int) -> None:
        namespace = namespace_of(entity)
        if sign > 0:
            ctx.company.index_name(namespace, unique_name(entity, obj), (entity, obj["Id"]))
            # A record still at SyncToken "0" was just created: it has no sub-records yet.
            if entity in _SUB_FLAG and obj["SyncToken"] != "0":
                _rename_children(ctx, entity, obj)
        else:
            ctx.company.unindex_name(namespace, unique_name(entity, obj))


def _person_name(entity: str, new: Obj) -> None:
    parts = [str(new[p]).strip() for p in _PERSON_NAME_PARTS if new.get(p)]
    if entity == "Employee" and not (new.get("GivenName") or new.get("FamilyName")):
        raise _faults.required_param("GivenName")
    if not new.get("DisplayName"):
        if not parts:
            raise _faults.required_param("DisplayName")
        new["DisplayName"] = " ".join(parts)
    new.setdefault("PrintOnCheckName", new["DisplayName"])


def _unique(ctx: Context, entity: str, new: Obj) -> None:
    taken = ctx.company.find_by_name(namespace_of(entity), unique_name(entity, new) or "")
    if taken is not None and taken != (entity, new.get("Id")):
        kind = _DUPLICATE_KIND.get(entity, "customer, vendor or employee")
        raise _faults.duplicate_name(kind)


def _hierarchy(ctx: Context, entity: str, new: Obj, old: Obj | None) -> None:
    """Sub-records: ParentRef, the Sub flag, Level and the colon-joined FullyQualifiedName."""
    spec = CATALOG[entity]
    assert spec.name_field is not None
    flag = _SUB_FLAG.get(entity)
    name = str(new[spec.name_field])
    parent_id = ref_id(new, "ParentRef")
    if flag is None:
        if "FullyQualifiedName" in spec.fields:
            new["FullyQualifiedName"] = name
        return
    if parent_id is None:
        new[flag] = False
        if "Level" in spec.fields:
            new["Level"] = 0
        new["FullyQualifiedName"] = name
        return
    parent = ctx.company.get(entity, parent_id)
    if parent is None:
        raise _faults.invalid_reference("ParentRef", parent_id)
    ancestor: Obj | None = parent
    while ancestor is not None:
        if ancestor["Id"] == new.get("Id"):
            raise _faults.business_validation(
                "An object cannot be its own parent or a sub-record of its own sub-records.",
                "ParentRef",
            )
        ancestor = ctx.company.get(entity, ref_id(ancestor, "ParentRef") or "")
    level = int(parent.get("Level", str(parent["FullyQualifiedName"]).count(":"))) + 1
    if level > _MAX_LEVEL:
        raise _faults.business_validation(
            f"You can only have {_MAX_LEVEL} levels of sub-{entity.lower()}s.", "ParentRef"
        )
    new[flag] = True
    if "Level" in spec.fields:
        new["Level"] = level
    new["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{name}"


def _rename_children(ctx: Context, entity: str, parent: Obj) -> None:
    """Sub-records repeat their parent's name: FullyQualifiedName, ParentRef name and Level."""
    name_field = CATALOG[entity].name_field
    assert name_field is not None
    prefix = str(parent["FullyQualifiedName"])
    for child in list(ctx.company.objects[entity].values()):
        if ref_id(child, "ParentRef") != parent["Id"] or child["Id"] == parent["Id"]:
            continue
        fqn = f"{prefix}:{child[name_field]}"
        level = int(parent.get("Level", prefix.count(":"))) + 1
        if child["FullyQualifiedName"] == fqn and child["ParentRef"].get("name") == prefix:
            continue
        ctx.changing(entity, child)
        ctx.company.unindex_name(namespace_of(entity), unique_name(entity, child))
        child["FullyQualifiedName"] = fqn
        ctx.company.index_name(
            namespace_of(entity), unique_name(entity, child), (entity, child["Id"])
        )
        child["ParentRef"] = {**child["ParentRef"], "name": prefix}
        if "Level" in child:
            child["Level"] = level
        _rename_children(ctx, entity, child)


def _customer(ctx: Context, new: Obj, old: Obj | None) -> None:
    new.setdefault("Taxable", True)
    new.setdefault("BillWithParent", False)
    new.setdefault("PreferredDeliveryMethod", "Print")
    new.setdefault("IsProject", False)
    new.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    new["Balance"] = decimal_of(new, "Balance")
    new["BalanceWithJobs"] = old.get("BalanceWithJobs", new["Balance"]) if old else new["Balance"]
    if new["BillWithParent"] and not new.get("Job"):
        raise _faults.business_validation(
            "Bill with parent is only possible for a sub-customer.", "BillWithParent"
        )
    deactivating = old is not None and new["Active"] is False and old.get("Active", True)
    if deactivating and decimal_of(old or {}, "Balance") != 0:
        raise _faults.business_validation(
            "Delete List Has Balance Error : This customer cannot be deleted because it "
            "has a non-zero balance.",
            "Active",
        )
    email = new.get("PrimaryEmailAddr")
    if isinstance(email, dict) and email.get("Address"):
        address = str(email["Address"])
        if "@" not in address or "." not in address.split("@")[-1]:
            raise _faults.business_validation(
                "Email Address does not conform to the syntax rules of RFC 822.",
                "PrimaryEmailAddr",
            )


def _vendor(ctx: Context, new: Obj, old: Obj | None) -> None:
    new.setdefault("Vendor1099", False)
    new.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    new["Balance"] = decimal_of(new, "Balance")


def _employee(ctx: Context, new: Obj, old: Obj | None) -> None:
    new.setdefault("BillableTime", False)


def _account(ctx: Context, new: Obj, old: Obj | None) -> None:
    account_type = new.get("AccountType")
    if account_type is None:
        account_type = ACCOUNT_TYPE_OF_SUBTYPE.get(str(new.get("AccountSubType")))
        if account_type is None:
            raise _faults.required_param("AccountType")
        new["AccountType"] = account_type
    new["Classification"] = CLASSIFICATION.get(str(account_type), "Asset")
    new.setdefault("CurrentBalance", Decimal(0))
    new.setdefault("CurrentBalanceWithSubAccounts", Decimal(0))
    new.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    new.setdefault("SubAccount", False)


def _item(ctx: Context, new: Obj, old: Obj | None) -> None:
    item_type = new.get("Type")
    if item_type is None:
        # Before minor version 4 the type defaulted; at 75 it is required (section 7.4).
        raise _faults.required_param("Type")
    if item_type == "Group":
        raise _faults.business_validation(
            "Creating bundles (Group items) via the QuickBooks Online API is not supported."
        )
    if old is not None:
        if old.get("Type") == "Inventory" and item_type != "Inventory":
            raise _faults.business_validation(
                "You can't change the type of an inventory item.", "Type"
            )
        if old.get("TrackQtyOnHand") and new.get("TrackQtyOnHand") is False:
            raise _faults.business_validation(
                "Quantity on hand tracking cannot be turned off once it is on.", "TrackQtyOnHand"
            )
    if item_type == "Category":
        for name in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "UnitPrice"):
            new.pop(name, None)
        return
    new.setdefault("Taxable", False)
    new.setdefault("UnitPrice", Decimal(0))
    new.setdefault("PurchaseCost", Decimal(0))
    if item_type == "Inventory":
        new["TrackQtyOnHand"] = True
        for name in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "InvStartDate"):
            if name not in new:
                raise _faults.required_param(name)
        if "QtyOnHand" not in new:
            if old is None:
                raise _faults.required_param("QtyOnHand")
            new["QtyOnHand"] = old.get("QtyOnHand", Decimal(0))
        _account_kind(ctx, new, "AssetAccountRef", ("Other Current Asset",))
        _account_kind(
            ctx, new, "ExpenseAccountRef", ("Cost of Goods Sold", "Expense", "Other Expense")
        )
    else:
        new["TrackQtyOnHand"] = False
        new.pop("QtyOnHand", None)
        if item_type == "Service" and "IncomeAccountRef" not in new:
            raise _faults.required_param("IncomeAccountRef")
        if "IncomeAccountRef" not in new and "ExpenseAccountRef" not in new:
            raise _faults.required_param("IncomeAccountRef")
    if "IncomeAccountRef" in new:
        _account_kind(ctx, new, "IncomeAccountRef", ("Income", "Other Income"))


def _account_kind(ctx: Context, new: Obj, name: str, types: tuple[str, ...]) -> None:
    account_id = ref_id(new, name)
    account = ctx.company.get("Account", account_id) if account_id else None
    if account is not None and account.get("AccountType") not in types:
        raise _faults.business_validation(
            f"{name} must be an account of type {' or '.join(types)}.", name
        )
