"""The QBO fields ledgerbridge owns, and the sparse updates that send only those.

An update of a linked record is a sparse update (``"sparse": true``, ``QBO-REFERENCE.md``
section 4.2) of the fields ledgerbridge owns: what a bookkeeper added in QBO (a customer's
terms or tax settings, an invoice's class or online-payment switches, a vendor's 1099 flag)
survives, because it is never sent. Lists such as ``Line`` are owned whole: QBO replaces the
line set it is sent (send the complete set, 4.2; payment lines are all-or-nothing).

Some fields are sent on create only and never owned afterwards:

- Estimate ``TxnStatus`` and ``AcceptedDate``: QBO closes an estimate once an invoice links
  it; sending "Accepted" again would reopen it;
- Item ``QtyOnHand``, ``InvStartDate`` and ``TrackQtyOnHand``: after create QBO maintains the
  quantity (changes go by InventoryAdjustment), ``InvStartDate`` on update would be read as
  an adjustment date, and tracking cannot be turned off (7.4);
- InventoryAdjustment is never updated: a new level is a new adjustment.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from ._common import Payload

__all__ = ["CREATE_ONLY_FIELDS", "OWNED_FIELDS", "owned_fields", "sparse_update"]

_SALES: Final = frozenset(
    {"CustomerRef", "DocNumber", "TxnDate", "Line", "TxnTaxDetail", "CustomerMemo", "PrivateNote"}
)
_PURCHASE: Final = frozenset(
    {"VendorRef", "APAccountRef", "DocNumber", "TxnDate", "DueDate", "Line", "PrivateNote"}
)

#: QBO entity -> the fields ledgerbridge owns on it.
OWNED_FIELDS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "Customer": frozenset(
            {
                "DisplayName",
                "CompanyName",
                "GivenName",
                "FamilyName",
                "PrimaryEmailAddr",
                "PrimaryPhone",
                "BillAddr",
                "ShipAddr",
                "Notes",
                "Active",
                "ParentRef",
                "Job",
                "BillWithParent",
            }
        ),
        "Vendor": frozenset(
            {"DisplayName", "CompanyName", "PrimaryEmailAddr", "PrimaryPhone", "BillAddr", "Active"}
        ),
        "Item": frozenset(
            {
                "Name",
                "Sku",
                "Description",
                "UnitPrice",
                "PurchaseCost",
                "Active",
                "Type",
                "IncomeAccountRef",
                "ExpenseAccountRef",
                "AssetAccountRef",
                "ParentRef",
                "SubItem",
            }
        ),
        "Estimate": _SALES | {"DueDate"},
        "Invoice": _SALES | {"DueDate", "SalesTermRef", "LinkedTxn"},
        "CreditMemo": _SALES,
        "RefundReceipt": _SALES | {"DepositToAccountRef", "PaymentMethodRef", "PaymentRefNum"},
        "PurchaseOrder": _PURCHASE | {"Memo", "POEmail", "VendorAddr", "ShipAddr"},
        "Bill": _PURCHASE | {"LinkedTxn"},
        "Payment": frozenset(
            {
                "CustomerRef",
                "TxnDate",
                "TotalAmt",
                "DepositToAccountRef",
                "PaymentMethodRef",
                "PaymentRefNum",
                "Line",
                "PrivateNote",
            }
        ),
        "InventoryAdjustment": frozenset(),
    }
)

#: QBO entity -> the fields ledgerbridge sends when it creates the object, and never again.
CREATE_ONLY_FIELDS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "Estimate": frozenset({"TxnStatus", "AcceptedDate"}),
        "Item": frozenset({"QtyOnHand", "InvStartDate", "TrackQtyOnHand"}),
        "InventoryAdjustment": frozenset({"TxnDate", "AdjustAccountRef", "Line", "PrivateNote"}),
    }
)


def owned_fields(entity: str) -> frozenset[str]:
    """The fields of QBO ``entity`` that ledgerbridge owns (and so sends on update)."""
    try:
        return OWNED_FIELDS[entity]
    except KeyError:
        raise ValueError(f"ledgerbridge does not write QBO {entity} objects") from None


def sparse_update(
    entity: str, payload: Mapping[str, Any], *, qbo_id: str, sync_token: str
) -> Payload:
    """A sparse update of ``payload``'s owned fields on QBO object ``qbo_id``."""
    owned = owned_fields(entity)
    return {
        "Id": qbo_id,
        "SyncToken": sync_token,
        "sparse": True,
        **{key: value for key, value in payload.items() if key in owned},
    }
