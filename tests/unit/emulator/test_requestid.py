"""``requestid``: a repeated write gets the first answer and writes nothing (reference 1.4)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from emukit import Realm, fault_of, invoice, ok, read, ref, sales_line
from starlette.testclient import TestClient
from wirekit import configure, count, new_company, served_realm

import support
from ledgerbridge.emulator import create_app
from support import Served

Obj = dict[str, Any]


def invoice_body(customer_id: str, amount: int = 100) -> Obj:
    return {"CustomerRef": ref(customer_id), "Line": [sales_line(amount)]}


def test_repeated_create_is_replayed_byte_for_byte(realm: Realm) -> None:
    """The same requestid twice: identical status and body, and one customer."""
    first = realm.post("customer", {"DisplayName": "Once"}, requestid="a1b2c3")
    again = realm.post("customer", {"DisplayName": "Once"}, requestid="a1b2c3")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert count(realm, "Customer") == 1


def test_replay_ignores_the_repeated_body(realm: Realm, acme: Obj) -> None:
    """A retry under the same requestid with another body still gets the first answer."""
    first = realm.post("invoice", invoice_body(acme["Id"], 100), requestid="inv-1")
    again = realm.post("invoice", invoice_body(acme["Id"], 999), requestid="inv-1")
    assert again.content == first.content
    assert count(realm, "Invoice") == 1
    assert ok(first, "Invoice")["TotalAmt"] == 100


def test_failed_write_replays_its_fault(realm: Realm, acme: Obj) -> None:
    """A write that failed is replayed as the same Fault; fixing the body writes nothing."""
    broken = realm.post("invoice", invoice_body("999"), requestid="broken-1")
    assert fault_of(broken)[:2] == (400, "2500")
    fixed = realm.post("invoice", invoice_body(acme["Id"]), requestid="broken-1")
    assert (fixed.status_code, fixed.content) == (400, broken.content)
    assert count(realm, "Invoice") == 0


def test_a_write_whose_client_went_away_before_its_body_arrived_is_not_replayed(
    realm: Realm,
) -> None:
    """A client killed while sending its body: QBO never got the request, so nothing is kept
    under its requestid and the retry (same id, after a restart) writes the customer."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = support.http_scope(
        "POST",
        f"/v3/company/{realm.realm_id}/customer",
        query=b"requestid=gone-1&minorversion=75",
        headers=[
            (b"host", b"emulator.test"),
            (b"authorization", f"Bearer {realm.access_token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"40"),
        ],
    )
    asyncio.run(create_app(realm.emulator)(scope, receive, send))  # type: ignore[arg-type]
    assert count(realm, "Customer") == 0
    retried = realm.post("customer", {"DisplayName": "Arrived"}, requestid="gone-1")
    assert ok(retried, "Customer")["DisplayName"] == "Arrived"
    assert count(realm, "Customer") == 1


def test_repeated_update_applies_once(realm: Realm, acme: Obj) -> None:
    """An update retried under its requestid bumps the SyncToken once, not twice."""
    body = {"Id": acme["Id"], "SyncToken": "0", "sparse": True, "Notes": "once"}
    first = realm.post("customer", body, requestid="upd-1")
    again = realm.post("customer", body, requestid="upd-1")
    assert again.content == first.content
    assert read(realm, "Customer", acme["Id"])["SyncToken"] == "1"


def test_repeated_delete_is_replayed(realm: Realm, acme: Obj) -> None:
    """A delete retried under its requestid answers the first success, not 610."""
    inv = invoice(realm, acme["Id"])
    body = {"Id": inv["Id"], "SyncToken": inv["SyncToken"]}
    first = realm.post("invoice", body, operation="delete", requestid="del-1")
    again = realm.post("invoice", body, operation="delete", requestid="del-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content


def test_ids_are_per_company(realm: Realm) -> None:
    """Two companies may use the same requestid: each gets its own write."""
    other_id, other_token = new_company(realm.emulator, "Other Shop")
    with TestClient(create_app(realm.emulator), base_url="http://emulator.test") as client:
        client.headers["Authorization"] = f"Bearer {other_token}"
        other = support.Realm(realm.emulator, other_id, client, other_token)
        here = realm.post("customer", {"DisplayName": "Shared Id"}, requestid="same")
        there = other.post("customer", {"DisplayName": "Shared Id"}, requestid="same")
        assert ok(there, "Customer")["Id"] == ok(here, "Customer")["Id"]
        assert there.content != here.content
        assert count(other, "Customer") == count(realm, "Customer") == 1


def test_ids_are_per_company_not_per_endpoint(realm: Realm) -> None:
    """Within a company a requestid is one id: reused on another endpoint, it replays."""
    first = realm.post("customer", {"DisplayName": "First"}, requestid="shared")
    again = realm.post("vendor", {"DisplayName": "Second"}, requestid="shared")
    assert again.content == first.content
    assert count(realm, "Vendor") == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_query_is_not_replayed(realm: Realm, method: str) -> None:
    """A query with a requestid is answered afresh every time."""

    def ask() -> httpx.Response:
        text = "select count(*) from Customer"
        if method == "GET":
            return realm.get("query", query=text, requestid="q-1")
        return realm.http.post(
            f"{realm.base}/query",
            content=text,
            params={"requestid": "q-1"},
            headers={"Content-Type": "application/text"},
        )

    assert ask().json()["QueryResponse"] == {"totalCount": 0}
    realm.create("Customer", {"DisplayName": "New"})
    assert ask().json()["QueryResponse"] == {"totalCount": 1}


def test_an_empty_request_id_is_no_request_id(realm: Realm, acme: Obj) -> None:
    """``requestid=`` with no value protects nothing: each such write is a new write."""
    first = ok(realm.post("invoice", invoice_body(acme["Id"]), requestid=""), "Invoice")
    second = ok(realm.post("invoice", invoice_body(acme["Id"]), requestid=""), "Invoice")
    assert first["Id"] != second["Id"]
    assert count(realm, "Invoice") == 2


def test_a_refused_token_is_not_remembered(realm: Realm, acme: Obj) -> None:
    """A write refused with 401 ran nothing: with a good token the same requestid writes."""
    body = invoice_body(acme["Id"])
    url = f"{realm.base}/invoice"
    params = {"requestid": "after-401"}
    refused = realm.http.post(url, json=body, params=params, headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401
    ok(realm.post("invoice", body, **params), "Invoice")
    assert count(realm, "Invoice") == 1


def test_a_throttled_write_is_not_remembered(realm: Realm) -> None:
    """A write refused with 429 ran nothing: once admitted, the same requestid writes."""
    configure(realm.http, limits={"requests_per_second": 1})
    ok(realm.post("customer", {"DisplayName": "First"}), "Customer")
    throttled = realm.post("customer", {"DisplayName": "Later"}, requestid="later")
    assert throttled.status_code == 429
    time.sleep(int(throttled.headers["Retry-After"]))
    ok(realm.post("customer", {"DisplayName": "Later"}, requestid="later"), "Customer")
    configure(realm.http, limits={"requests_per_second": 1_000_000})
    assert count(realm, "Customer") == 2


def test_request_id_of_50_characters_is_accepted(realm: Realm) -> None:
    """50 characters is the longest requestid QBO takes."""
    ok(realm.post("customer", {"DisplayName": "Fits"}, requestid="x" * 50), "Customer")


def test_request_id_over_50_characters_is_2050(realm: Realm) -> None:
    """A 51-character requestid is refused with 400 / 2050 and nothing is written."""
    fault = fault_of(realm.post("customer", {"DisplayName": "Too Long"}, requestid="x" * 51))
    assert (fault.status, fault.code, fault.element) == (400, "2050", "requestid")
    assert "Max:50" in fault.detail
    assert count(realm, "Customer") == 0


def test_the_window_expires(realm: Realm, acme: Obj) -> None:
    """Past requestid_window_seconds the id is forgotten: the same request writes again."""
    configure(realm.http, requestid_window_seconds=0.3)
    body = invoice_body(acme["Id"])
    first = ok(realm.post("invoice", body, requestid="window"), "Invoice")
    assert ok(realm.post("invoice", body, requestid="window"), "Invoice") == first
    assert count(realm, "Invoice") == 1
    time.sleep(0.5)
    second = ok(realm.post("invoice", body, requestid="window"), "Invoice")
    assert second["Id"] != first["Id"]
    assert count(realm, "Invoice") == 2


def test_batch_is_replayed(realm: Realm) -> None:
    """A batch retried under its requestid gets the first answer; its items ran once."""
    items = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
            {"bId": "2", "operation": "create", "Vendor": {"DisplayName": "Batch Two"}},
        ]
    }
    first = realm.post("batch", items, requestid="batch-1")
    again = realm.post("batch", items, requestid="batch-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert (count(realm, "Customer"), count(realm, "Vendor")) == (1, 1)


def test_retry_while_the_first_is_still_running(served: Served) -> None:
    """A retry that arrives before the first request finished waits for its answer."""
    with served_realm(served) as realm:
        acme = ok(realm.post("customer", {"DisplayName": "Acme"}), "Customer")
        configure(realm.http, latency_ms=600)
        body = invoice_body(acme["Id"])
        results: list[httpx.Response] = []

        def first() -> None:
            with httpx.Client(base_url=served.url, headers=realm.http.headers) as client:
                results.append(
                    client.post(f"{realm.base}/invoice", json=body, params={"requestid": "slow"})
                )

        thread = threading.Thread(target=first)
        thread.start()
        time.sleep(0.2)  # the first is now inside its 600 ms of latency
        retry = realm.post("invoice", body, requestid="slow")
        thread.join()
        assert retry.status_code == results[0].status_code == 200
        assert retry.content == results[0].content
        assert count(realm, "Invoice") == 1
