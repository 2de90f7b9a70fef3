"""Batch requests: up to 30 operations in one POST, answered item by item (reference 1.7, 5)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emukit import (
    ENVELOPE_TIME,
    INACTIVE,
    SERVICES_INCOME,
    Realm,
    applied,
    fault_of,
    invoice,
    ok,
    read,
    ref,
    sales_line,
    stale_detail,
)
from wirekit import configure, count

Obj = dict[str, Any]


def batch(realm: Realm, *items: Obj, **params: str) -> httpx.Response:
    return realm.post("batch", {"BatchItemRequest": list(items)}, **params)


def answers(response: httpx.Response) -> list[Obj]:
    """The ``BatchItemResponse`` of a batch answered with HTTP 200."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert ENVELOPE_TIME.match(body["time"]), body
    return body["BatchItemResponse"]  # type: ignore[no-any-return]


def item_error(answer: Obj) -> Obj:
    """The first Error of an item's Fault."""
    assert "Fault" in answer, answer
    return answer["Fault"]["Error"][0]  # type: ignore[no-any-return]


def receipt(realm: Realm, amount: int) -> Obj:
    return realm.create("SalesReceipt", {"Line": [sales_line(amount)]})


def test_recorded_mixed_batch(realm: Realm, anonymous: httpx.Client) -> None:
    """The recorded qbo_api batch: a create, a 610 delete, a 5010 update and a query; HTTP 200."""
    stale = receipt(realm, 100)
    receipts = [receipt(realm, 350), receipt(realm, 400)]
    edited = anonymous.post(
        "/_emulator/ui-edit",
        json={
            "realm_id": realm.realm_id,
            "entity": "SalesReceipt",
            "id": stale["Id"],
            "changes": {"PrivateNote": "edited in QBO"},
        },
    )
    assert edited.status_code == 200, edited.text
    result = answers(
        batch(
            realm,
            {
                "bId": "bid1",
                "operation": "create",
                "Vendor": {"DisplayName": "Boraski Family Store"},
            },
            {"bId": "bid2", "operation": "delete", "Invoice": {"Id": "129", "SyncToken": "0"}},
            {
                "bId": "bid3",
                "operation": "update",
                "SalesReceipt": {
                    "domain": "QBO",
                    "sparse": True,
                    "Id": stale["Id"],
                    "SyncToken": "0",
                    "PrivateNote": "A private note.",
                },
            },
            {"bId": "bid4", "Query": "select * from SalesReceipt where TotalAmt > '300.00'"},
        )
    )
    assert [answer["bId"] for answer in result] == ["bid1", "bid2", "bid3", "bid4"]
    vendor = result[0]["Vendor"]
    assert vendor["DisplayName"] == vendor["PrintOnCheckName"] == "Boraski Family Store"
    assert (vendor["SyncToken"], vendor["Active"]) == ("0", True)
    assert read(realm, "Vendor", vendor["Id"]) == vendor
    missing = item_error(result[1])
    assert (missing["code"], missing["Message"], missing["Detail"]) == (
        "610",
        "Object Not Found",
        INACTIVE,
    )
    assert result[1]["Fault"]["type"] == "ValidationFault"
    conflict = item_error(result[2])
    assert (conflict["code"], conflict["Message"], conflict["Detail"]) == (
        "5010",
        "Stale Object Error",
        stale_detail("QuickBooks User"),
    )
    assert read(realm, "SalesReceipt", stale["Id"])["PrivateNote"] == "edited in QBO"
    found = result[3]["QueryResponse"]
    assert (found["startPosition"], found["maxResults"]) == (1, 2)
    assert sorted(r["Id"] for r in found["SalesReceipt"]) == sorted(r["Id"] for r in receipts)


def test_results_come_in_request_order(realm: Realm, acme: Obj) -> None:
    """Every item is answered in the order sent, each with its own bId echoed."""
    inv = invoice(realm, acme["Id"])
    result = answers(
        batch(
            realm,
            {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Third"}},
            {"bId": "a", "Query": "select * from Customer where DisplayName = 'Third'"},
            {"bId": "q", "Query": "select count(*) from Invoice"},
            {"bId": "b", "operation": "update", "Invoice": {**_token(inv), "sparse": True}},
        )
    )
    assert [answer["bId"] for answer in result] == ["c", "a", "q", "b"]
    assert set(result[0]) == {"Customer", "bId"}
    assert result[2]["QueryResponse"] == {"totalCount": 1}
    assert set(result[3]) == {"Invoice", "bId"}


def test_each_operation(realm: Realm, acme: Obj) -> None:
    """create, update, delete and void items do what the single-entity endpoints do."""
    kept, doomed, voided = (invoice(realm, acme["Id"], sales_line(n)) for n in (10, 20, 30))
    result = answers(
        batch(
            realm,
            {
                "bId": "1",
                "operation": "create",
                "Item": {
                    "Name": "Gasket",
                    "Type": "Service",
                    "IncomeAccountRef": ref(SERVICES_INCOME),
                },
            },
            {
                "bId": "2",
                "operation": "update",
                "Invoice": {**_token(kept), "sparse": True, "PrivateNote": "updated"},
            },
            {"bId": "3", "operation": "delete", "Invoice": _token(doomed)},
            {"bId": "4", "operation": "void", "Invoice": _token(voided)},
        )
    )
    assert result[0]["Item"]["Name"] == "Gasket"
    assert result[1]["Invoice"]["PrivateNote"] == "updated"
    assert result[1]["Invoice"]["SyncToken"] == "1"
    assert result[2]["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": doomed["Id"]}
    assert fault_of(realm.get(f"invoice/{doomed['Id']}")).code == "610"
    assert (result[3]["Invoice"]["TotalAmt"], result[3]["Invoice"]["Balance"]) == (0, 0)
    assert read(realm, "Invoice", voided["Id"]) == result[3]["Invoice"]


def test_update_with_options_data_void_voids(realm: Realm, acme: Obj) -> None:
    """operation update with optionsData "void" voids the transaction (reference 4.4)."""
    inv = invoice(realm, acme["Id"], sales_line(75))
    result = answers(
        batch(
            realm,
            {"bId": "v", "operation": "update", "optionsData": "void", "Invoice": _token(inv)},
        )
    )
    voided = result[0]["Invoice"]
    assert (voided["TotalAmt"], voided["Balance"], voided["PrivateNote"]) == (0, 0, "Voided")
    assert read(realm, "Customer", acme["Id"])["Balance"] == 0


def test_one_failing_item_does_not_stop_the_others(realm: Realm) -> None:
    """A Fault in the middle leaves the items before and after it applied."""
    result = answers(
        batch(
            realm,
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Before"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Before"}},
            {"bId": "3", "operation": "create", "Customer": {"DisplayName": "After"}},
            {"bId": "4", "Query": "select * from Custmoer"},
        )
    )
    assert item_error(result[1])["code"] == "6240"
    assert item_error(result[3])["code"] == "4001"
    assert result[0]["Customer"]["DisplayName"] == "Before"
    assert result[2]["Customer"]["DisplayName"] == "After"
    assert count(realm, "Customer") == 2


def test_thirty_items_are_allowed(realm: Realm) -> None:
    """A batch of exactly 30 items runs every one of them."""
    items = [
        {"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"Customer {n}"}}
        for n in range(30)
    ]
    assert all("Customer" in answer for answer in answers(batch(realm, *items)))
    assert count(realm, "Customer") == 30


def test_more_than_thirty_items_are_refused(realm: Realm) -> None:
    """31 items: the whole batch is refused with 400 / 1040 and nothing runs (reference 5)."""
    items = [
        {"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"Customer {n}"}}
        for n in range(31)
    ]
    fault = fault_of(batch(realm, *items))
    assert (fault.status, fault.code, fault.message) == (
        400,
        "1040",
        "Batch size exceeds allowed limit",
    )
    assert "30" in fault.detail
    assert count(realm, "Customer") == 0


def test_batch_max_items_is_configurable(realm: Realm) -> None:
    """limits.batch_max_items lowers the cap: 6 items against 5 is 1040."""
    configure(realm.http, limits={"batch_max_items": 5})
    items = [{"bId": str(n), "Query": "select * from Term"} for n in range(6)]
    fault = fault_of(batch(realm, *items))
    assert (fault.status, fault.code) == (400, "1040")
    assert len(answers(batch(realm, *items[:5]))) == 5


def test_item_cannot_use_a_customer_created_earlier_in_the_batch(realm: Realm, acme: Obj) -> None:
    """An invoice for the customer item 1 created fails (2500); the next request sees it."""
    new_id = str(int(acme["Id"]) + 1)
    body = {"CustomerRef": ref(new_id), "Line": [sales_line(100)]}
    result = answers(
        batch(
            realm,
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Brand New"}},
            {"bId": "2", "operation": "create", "Invoice": body},
        )
    )
    assert result[0]["Customer"]["Id"] == new_id
    error = item_error(result[1])
    assert (error["code"], error["element"]) == ("2500", "CustomerRef")
    assert count(realm, "Invoice") == 0
    later = answers(batch(realm, {"bId": "1", "operation": "create", "Invoice": body}))
    assert later[0]["Invoice"]["CustomerRef"] == {"value": new_id, "name": "Brand New"}


def test_item_cannot_update_an_object_created_earlier_in_the_batch(realm: Realm) -> None:
    """An update of what item 1 created is 610, as for any object the batch cannot see."""
    probe = realm.create("Vendor", {"DisplayName": "Probe"})
    new_id = str(int(probe["Id"]) + 1)
    update = {"Id": new_id, "SyncToken": "0", "sparse": True, "CompanyName": "Changed"}
    result = answers(
        batch(
            realm,
            {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Fresh"}},
            {"bId": "2", "operation": "update", "Vendor": update},
        )
    )
    assert result[0]["Vendor"]["Id"] == new_id
    assert item_error(result[1])["code"] == "610"
    assert "CompanyName" not in read(realm, "Vendor", new_id)
    later = answers(batch(realm, {"bId": "1", "operation": "update", "Vendor": update}))
    assert later[0]["Vendor"]["CompanyName"] == "Changed"


def test_payment_cannot_link_an_invoice_created_earlier_in_the_batch(
    realm: Realm, acme: Obj
) -> None:
    """A payment applied to the invoice item 1 created fails (6000); the next request works."""
    probe = invoice(realm, acme["Id"], sales_line(10))
    new_id = str(int(probe["Id"]) + 1)
    pay = {"CustomerRef": ref(acme["Id"]), "TotalAmt": 50, "Line": [applied(50, new_id)]}
    result = answers(
        batch(
            realm,
            {
                "bId": "1",
                "operation": "create",
                "Invoice": {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(50)]},
            },
            {"bId": "2", "operation": "create", "Payment": pay},
        )
    )
    assert result[0]["Invoice"]["Id"] == new_id
    error = item_error(result[1])
    assert error["code"] == "6000"
    assert f"Invoice {new_id} that you are trying to link does not exist" in error["Detail"]
    assert count(realm, "Payment") == 0
    paid = ok(realm.post("payment", pay), "Payment")
    assert paid["Line"][0]["LinkedTxn"] == [{"TxnId": new_id, "TxnType": "Invoice"}]
    assert read(realm, "Invoice", new_id)["Balance"] == 0


def test_cdc_query_item(realm: Realm, acme: Obj) -> None:
    """A CDCQuery item answers a CDCResponse, as GET /cdc does."""
    since = acme["MetaData"]["CreateTime"]
    result = answers(
        batch(realm, {"bId": "cdc", "CDCQuery": {"Entities": "Customer", "ChangedSince": since}})
    )
    assert result[0]["bId"] == "cdc"
    responses = result[0]["CDCResponse"][0]["QueryResponse"]
    assert responses == [{"Customer": [acme], "startPosition": 1, "maxResults": 1}]
    direct = realm.get("cdc", entities="Customer", changedSince=since).json()
    assert direct["CDCResponse"] == result[0]["CDCResponse"]


def test_without_operation_an_id_means_update(realm: Realm, acme: Obj) -> None:
    """An item without operation is a create, or an update when its entity carries an Id."""
    result = answers(
        batch(
            realm,
            {"bId": "1", "Customer": {"DisplayName": "Implicit"}},
            {"bId": "2", "Customer": {**_token(acme), "sparse": True, "Notes": "changed"}},
        )
    )
    assert result[0]["Customer"]["SyncToken"] == "0"
    assert (result[1]["Customer"]["Id"], result[1]["Customer"]["SyncToken"]) == (acme["Id"], "1")


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"Customer": {"DisplayName": "x"}, "Vendor": {"DisplayName": "y"}}, "500"),
        ({"Widget": {"Name": "x"}}, "500"),
        ({"operation": "explode", "Customer": {"DisplayName": "x"}}, "2170"),
    ],
    ids=["two-entities", "unknown-entity", "unknown-operation"],
)
def test_malformed_item_is_an_item_fault(realm: Realm, item: Obj, code: str) -> None:
    """An item the emulator cannot run is a Fault in its place; the next item still runs."""
    result = answers(
        batch(realm, {"bId": "bad", **item}, {"bId": "ok", "Query": "select * from Term"})
    )
    assert item_error(result[0])["code"] == code
    assert result[0]["bId"] == "bad"
    assert "Term" in result[1]["QueryResponse"]
    assert count(realm, "Customer") == 0


def test_batch_without_items_is_2020(realm: Realm) -> None:
    """A body without BatchItemRequest is refused as a whole (400 / 2020)."""
    fault = fault_of(realm.post("batch", {"Items": []}))
    assert (fault.status, fault.code) == (400, "2020")


def _token(obj: Obj) -> Obj:
    return {"Id": obj["Id"], "SyncToken": obj["SyncToken"]}
