"""What a person does in the QBO UI: merging customers, closing the books (reference 6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emukit import (
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
    sales_line,
    sparse,
)
from starlette.testclient import TestClient

Obj = dict[str, Any]
CLOSING = "2024-01-31"


def merge(client: TestClient, realm: Realm, from_id: str, to_id: str) -> httpx.Response:
    body = {"realm_id": realm.realm_id, "entity": "Customer", "from_id": from_id, "to_id": to_id}
    response: httpx.Response = client.post("/_emulator/ui-merge", json=body)
    return response


def balance(realm: Realm, entity: str, object_id: str) -> Any:
    return amounts(read(realm, entity, object_id), "Balance")[0]


# -- merge ---------------------------------------------------------------------------------
def test_merge_moves_transactions_and_balance(
    realm: Realm, anonymous: TestClient, acme: Obj
) -> None:
    """The source's invoices and payments move to the target with its balance; it is gone."""
    target = realm.create("Customer", {"DisplayName": "Acme Holdings"})
    own = invoice(realm, target["Id"], sales_line(50))
    moved = invoice(realm, acme["Id"], sales_line(100))
    paid = payment(realm, acme["Id"], 40, applied(40, moved["Id"]))
    before = read(realm, "Invoice", moved["Id"])
    response = merge(anonymous, realm, acme["Id"], target["Id"])
    assert response.status_code == 200, response.text
    assert response.json()["Customer"]["Id"] == target["Id"]
    name_ref = {"value": target["Id"], "name": "Acme Holdings"}
    after = read(realm, "Invoice", moved["Id"])
    assert after["CustomerRef"] == name_ref
    assert int(after["SyncToken"]) == int(before["SyncToken"]) + 1
    assert read(realm, "Payment", paid["Id"])["CustomerRef"] == name_ref
    assert read(realm, "Invoice", own["Id"])["CustomerRef"] == name_ref
    assert balance(realm, "Invoice", moved["Id"]) == 60
    assert balance(realm, "Customer", target["Id"]) == 110
    query = f"select * from Invoice where CustomerRef = '{target['Id']}'"
    assert {inv["Id"] for inv in realm.query(query)["Invoice"]} == {own["Id"], moved["Id"]}
    fault = fault_of(realm.get(f"customer/{acme['Id']}"))
    assert (fault.status, fault.code) == (400, "610")


def test_merged_away_customer_is_deleted_in_cdc(
    realm: Realm, anonymous: TestClient, acme: Obj
) -> None:
    """CDC reports the source customer as Deleted and the target as changed."""
    target = realm.create("Customer", {"DisplayName": "Acme Holdings"})
    invoice(realm, acme["Id"], sales_line(100))
    since = target["MetaData"]["CreateTime"]
    assert merge(anonymous, realm, acme["Id"], target["Id"]).status_code == 200
    response = realm.get("cdc", entities="Customer", changedSince=since)
    assert response.status_code == 200, response.text
    customers = response.json()["CDCResponse"][0]["QueryResponse"][0]["Customer"]
    by_id = {obj["Id"]: obj for obj in customers}
    stub = by_id[acme["Id"]]
    assert (stub["status"], stub["domain"]) == ("Deleted", "QBO")
    assert set(stub) == {"domain", "status", "Id", "MetaData"}
    assert by_id[target["Id"]] == read(realm, "Customer", target["Id"])
    assert "status" not in by_id[target["Id"]]


def test_merge_into_itself_is_refused(realm: Realm, anonymous: TestClient, acme: Obj) -> None:
    """Merging a customer into itself is refused and changes nothing."""
    fault = fault_of(merge(anonymous, realm, acme["Id"], acme["Id"]))
    assert (fault.status, fault.code) == (400, "6000")
    assert read(realm, "Customer", acme["Id"]) == acme


def test_merge_of_a_missing_customer_is_610(realm: Realm, anonymous: TestClient, acme: Obj) -> None:
    """Merging a customer that does not exist answers 610."""
    assert fault_of(merge(anonymous, realm, "999", acme["Id"])).code == "610"


def test_merge_needs_a_known_entity(realm: Realm, anonymous: TestClient, acme: Obj) -> None:
    """An unknown entity name is refused with a 400 naming it."""
    body = {"realm_id": realm.realm_id, "entity": "Widget", "from_id": "1", "to_id": "2"}
    response = anonymous.post("/_emulator/ui-merge", json=body)
    assert response.status_code == 400
    assert "Widget" in response.json()["error"]


# -- closed books --------------------------------------------------------------------------
def close_books(realm: Realm, client: TestClient, closing: str = CLOSING) -> None:
    """Set BookCloseDate in the accounting preferences, as a person does in QBO."""
    prefs = read(realm, "Preferences", "1")["AccountingInfoPrefs"]
    response = client.post(
        "/_emulator/ui-edit",
        json={
            "realm_id": realm.realm_id,
            "entity": "Preferences",
            "id": "1",
            "changes": {"AccountingInfoPrefs": {**prefs, "BookCloseDate": closing}},
        },
    )
    assert response.status_code == 200, response.text
    assert read(realm, "Preferences", "1")["AccountingInfoPrefs"]["BookCloseDate"] == closing


def assert_closed(response: httpx.Response) -> None:
    fault = fault_of(response)
    assert (fault.status, fault.code, fault.message) == (400, "6210", "Account Period Closed")
    assert CLOSING in fault.detail


@pytest.fixture
def january(realm: Realm, acme: Obj) -> Obj:
    """An invoice dated inside the period about to be closed."""
    return invoice(realm, acme["Id"], sales_line(100), TxnDate="2024-01-10")


@pytest.mark.parametrize("day", ["2024-01-31", "2024-01-02", "2023-12-31"])
def test_creating_a_transaction_on_or_before_the_closing_date_is_6210(
    realm: Realm, anonymous: TestClient, acme: Obj, day: str
) -> None:
    """A transaction dated on or before BookCloseDate cannot be created."""
    close_books(realm, anonymous)
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)], "TxnDate": day}
    assert_closed(realm.post("invoice", body))
    assert realm.query("select * from Invoice") == {}


def test_update_delete_and_void_in_a_closed_period_are_6210(
    realm: Realm, anonymous: TestClient, january: Obj
) -> None:
    """A transaction in the closed period can be neither updated, deleted nor voided."""
    close_books(realm, anonymous)
    assert_closed(sparse(realm, "Invoice", january, PrivateNote="too late"))
    assert_closed(delete(realm, "Invoice", january))
    token = {"Id": january["Id"], "SyncToken": january["SyncToken"]}
    assert_closed(realm.post("invoice", token, operation="void"))
    assert read(realm, "Invoice", january["Id"]) == january


def test_payment_in_a_closed_period_is_6210(
    realm: Realm, anonymous: TestClient, acme: Obj, january: Obj
) -> None:
    """A payment dated in the closed period is refused like any transaction."""
    close_books(realm, anonymous)
    body = {
        "CustomerRef": ref(acme["Id"]),
        "TotalAmt": 10,
        "TxnDate": "2024-01-20",
        "Line": [applied(10, january["Id"])],
    }
    assert_closed(realm.post("payment", body))
    assert balance(realm, "Invoice", january["Id"]) == 100


def test_later_transactions_still_work(realm: Realm, anonymous: TestClient, acme: Obj) -> None:
    """Transactions dated after BookCloseDate are created, updated and deleted as usual."""
    close_books(realm, anonymous)
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)], "TxnDate": "2024-02-01"}
    february = ok(realm.post("invoice", body), "Invoice")
    today = invoice(realm, acme["Id"], sales_line(5))
    updated = ok(sparse(realm, "Invoice", february, PrivateNote="fine"), "Invoice")
    assert updated["PrivateNote"] == "fine"
    assert delete(realm, "Invoice", today).status_code == 200


def test_moving_a_transaction_into_the_closed_period_is_6210(
    realm: Realm, anonymous: TestClient, acme: Obj
) -> None:
    """An open transaction cannot be re-dated into the closed period."""
    close_books(realm, anonymous)
    body = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(10)], "TxnDate": "2024-02-01"}
    february = ok(realm.post("invoice", body), "Invoice")
    assert_closed(sparse(realm, "Invoice", february, TxnDate="2024-01-15"))


def test_name_lists_are_not_affected(
    realm: Realm, anonymous: TestClient, acme: Obj, january: Obj
) -> None:
    """Customers and other lists are created and changed with the books closed."""
    close_books(realm, anonymous)
    ok(realm.post("customer", {"DisplayName": "After Closing"}), "Customer")
    ok(sparse(realm, "Customer", read(realm, "Customer", acme["Id"]), Notes="ok"), "Customer")
    ok(realm.post("vendor", {"DisplayName": "Supplier"}), "Vendor")
