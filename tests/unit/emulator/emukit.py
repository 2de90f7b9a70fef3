"""Helpers for the emulator's rule tests: unpacking Faults and building small QBO payloads.

Everything here talks to the emulator over HTTP through the ``realm`` fixture
(``tests/conftest.py``); nothing is mocked.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import httpx

from ledgerbridge.emulator import Emulator

# Ids of what a new US company is born with (the seeding order of ``_company.py``).
AR = "1"
AP = "2"
UNDEPOSITED_FUNDS = "3"
CHECKING = "4"
PRODUCT_INCOME = "5"
SERVICES_INCOME = "6"
COGS = "8"
INVENTORY_ASSET = "9"
SHRINKAGE = "10"
ADVERTISING = "11"
FREIGHT = "18"
SERVICES_ITEM = "1"

#: MetaData times: ``YYYY-MM-DDTHH:MM:SS±HH:MM`` (reference 1.6, 12.7).
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
#: The envelope ``time``: the same with milliseconds (reference 1.7).
ENVELOPE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")

# Fault texts recorded from real traffic (reference sections 1.8, 4.1, 4.3 and 6).
INACTIVE = (
    "Object Not Found : Something you're trying to use has been made inactive. Check the "
    "fields with accounts, customers, items, vendors or employees."
)
DUPLICATE_PERSON = (
    "The name supplied already exists. : Another customer, vendor or employee is already "
    "using this name. Please use a different name."
)
REQUIRED = "Required param missing, need to supply the required value for the API"
BAD_PROPERTY = "Request has invalid or unsupported property"
TOO_LONG = "String length is either shorter or longer than supported by specification"
BUSINESS = "A business validation error has occurred while processing your request"


def stale_detail(user: str) -> str:
    return (
        f"Stale Object Error : You and {user} were working on this at the same time. {user} "
        "finished before you did, so your work was not saved."
    )


def length_detail(maximum: int, supplied: int) -> str:
    return (
        f"String length specified does not match the supported length. Min:0 Max:{maximum} "
        f"supported. Supplied length:{supplied}"
    )


class Realm(Protocol):
    """The ``realm`` fixture: a company and an HTTP client holding a token for it."""

    emulator: Emulator
    realm_id: str
    http: httpx.Client
    access_token: str

    @property
    def base(self) -> str: ...

    def post(self, path: str, body: object, **params: str) -> httpx.Response: ...

    def get(self, path: str, **params: str) -> httpx.Response: ...

    def create(self, entity: str, body: object) -> dict[str, Any]: ...

    def query(self, text: str) -> dict[str, Any]: ...


class Fault(NamedTuple):
    """The HTTP status and the first ``Error`` of a QBO Fault response."""

    status: int
    code: str
    message: str
    detail: str
    element: str | None


def fault_of(response: httpx.Response) -> Fault:
    """Unpack a capital-F ``Fault`` body (every non-401 error, reference 1.9)."""
    body = response.json()
    assert "Fault" in body, response.text
    assert ENVELOPE_TIME.match(body["time"]), body
    error = body["Fault"]["Error"][0]
    return Fault(
        response.status_code,
        error["code"],
        error["Message"],
        error["Detail"],
        error.get("element"),
    )


def ok(response: httpx.Response, entity: str) -> dict[str, Any]:
    """The entity of a successful single-entity response."""
    assert response.status_code == 200, response.text
    return response.json()[entity]  # type: ignore[no-any-return]


def ref(value: str) -> dict[str, str]:
    return {"value": value}


def amounts(obj: dict[str, Any], *names: str) -> tuple[Decimal, ...]:
    """Money fields of a response as Decimals (JSON numbers come back as floats or ints)."""
    return tuple(Decimal(str(obj[name])) for name in names)


# -- payload builders ----------------------------------------------------------------------
def sales_line(
    amount: object,
    item: str = SERVICES_ITEM,
    qty: object = None,
    price: object = None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": ref(item)}
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def expense_line(amount: object, account: str = ADVERTISING) -> dict[str, Any]:
    return {
        "Amount": amount,
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {"AccountRef": ref(account)},
    }


def item_expense_line(amount: object, item: str, qty: object, price: object) -> dict[str, Any]:
    return {
        "Amount": amount,
        "DetailType": "ItemBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail": {"ItemRef": ref(item), "Qty": qty, "UnitPrice": price},
    }


def applied(amount: object, txn_id: str, txn_type: str = "Invoice") -> dict[str, Any]:
    """A payment line applying ``amount`` to one invoice or credit memo."""
    return {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}


def person(entity: str, name: str) -> dict[str, Any]:
    """A create body for a Customer, Vendor or Employee (an employee needs a given name)."""
    body: dict[str, Any] = {"DisplayName": name}
    if entity == "Employee":
        body["GivenName"] = name.split()[0]
    return body


def inventory_body(name: str, qty: object = 10) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "Inventory",
        "TrackQtyOnHand": True,
        "QtyOnHand": qty,
        "InvStartDate": "2024-01-01",
        "IncomeAccountRef": ref(PRODUCT_INCOME),
        "ExpenseAccountRef": ref(COGS),
        "AssetAccountRef": ref(INVENTORY_ASSET),
        "UnitPrice": 25,
    }


# -- operations ----------------------------------------------------------------------------
def invoice(
    realm: Realm, customer_id: str, *lines: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    body = {"CustomerRef": ref(customer_id), "Line": list(lines or [sales_line(100)]), **fields}
    return realm.create("Invoice", body)


def sales_form(
    realm: Realm, entity: str, customer_id: str, *lines: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    body = {"CustomerRef": ref(customer_id), "Line": list(lines), **fields}
    return realm.create(entity, body)


def payment(
    realm: Realm, customer_id: str, total: object, *lines: dict[str, Any]
) -> dict[str, Any]:
    return realm.create(
        "Payment", {"CustomerRef": ref(customer_id), "TotalAmt": total, "Line": list(lines)}
    )


def read(realm: Realm, entity: str, object_id: str) -> dict[str, Any]:
    return ok(realm.get(f"{entity.lower()}/{object_id}"), entity)


def sparse(realm: Realm, entity: str, obj: dict[str, Any], **changes: Any) -> httpx.Response:
    """A sparse update of ``obj`` (its Id and SyncToken) with ``changes``."""
    body = {"Id": obj["Id"], "SyncToken": obj["SyncToken"], "sparse": True, **changes}
    return realm.post(entity.lower(), body)


def delete(realm: Realm, entity: str, obj: dict[str, Any]) -> httpx.Response:
    body = {"Id": obj["Id"], "SyncToken": obj["SyncToken"]}
    return realm.post(entity.lower(), body, operation="delete")


def qty_on_hand(realm: Realm, item_id: str) -> Decimal:
    return Decimal(str(read(realm, "Item", item_id)["QtyOnHand"]))
