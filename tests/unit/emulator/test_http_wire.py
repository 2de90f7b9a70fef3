"""The data API on the wire: headers, envelopes, routing, bodies, auth (QBO-REFERENCE.md 1-2)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emukit import (
    BAD_PROPERTY,
    ENVELOPE_TIME,
    Realm,
    fault_of,
    ok,
    sales_line,
)
from starlette.testclient import TestClient

from ledgerbridge.emulator import Emulator

Obj = dict[str, Any]
AUTH_MESSAGE = "message=AuthenticationFailed; errorCode=003200; statusCode=401"
WWW_AUTHENTICATE = 'Bearer realm="Intuit", error="invalid_token"'


# -- 17. headers and envelopes -------------------------------------------------------------

Call = Callable[[Realm, TestClient], httpx.Response]
CALLS: dict[str, Call] = {
    "read": lambda realm, anon: realm.get("preferences"),
    "create": lambda realm, anon: realm.post("customer", {"DisplayName": "Tid Co"}),
    "query": lambda realm, anon: realm.get("query", query="SELECT * FROM Term"),
    "fault": lambda realm, anon: realm.get("customer/1.5"),
    "unknown path": lambda realm, anon: realm.get("customer/1/5"),
    "401": lambda realm, anon: anon.get(f"{realm.base}/preferences"),
    "admin": lambda realm, anon: anon.get("/_emulator/apps"),
    "oauth discovery": lambda realm, anon: anon.get("/.well-known/openid_configuration/"),
    "no route": lambda realm, anon: anon.get("/no/such/route"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_every_response_carries_intuit_tid(realm: Realm, anonymous: TestClient, call: Call) -> None:
    """Every response has intuit_tid and Intuit-Tid headers with the same value (2.2)."""
    response = call(realm, anonymous)
    tid = response.headers["intuit_tid"]
    assert tid and response.headers["Intuit-Tid"] == tid
    assert tid.startswith("1-")


def test_each_response_gets_its_own_tid(realm: Realm) -> None:
    """Two requests are told apart by their intuit_tid."""
    first, second = realm.get("preferences"), realm.get("preferences")
    assert first.headers["intuit_tid"] != second.headers["intuit_tid"]


@pytest.mark.parametrize("name", ["read", "create", "query", "fault", "unknown path"])
def test_every_data_envelope_has_a_time(realm: Realm, anonymous: TestClient, name: str) -> None:
    """Success and Fault envelopes carry "time" with milliseconds and an offset (1.7)."""
    response = CALLS[name](realm, anonymous)
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert ENVELOPE_TIME.match(response.json()["time"])


def test_single_entity_envelope(realm: Realm) -> None:
    """A create answers {"<Entity>": {...}, "time": ...} and nothing else."""
    body = realm.post("vendor", {"DisplayName": "Boraski Family Store"}).json()
    assert set(body) == {"Vendor", "time"}
    assert body["Vendor"]["PrintOnCheckName"] == "Boraski Family Store"


@pytest.mark.parametrize("version", ["4", "75", "8"])
def test_minorversion_is_accepted(realm: Realm, version: str) -> None:
    """Any minorversion is accepted and served as 75 (Item.Type always present)."""
    item = ok(realm.get("item/1", minorversion=version), "Item")
    assert item["Type"] == "Service"
    body = {"DisplayName": f"Mv {version}"}
    assert (
        realm.http.post(
            f"{realm.base}/customer", json=body, params={"minorversion": version}
        ).status_code
        == 200
    )


@pytest.mark.parametrize("segment", ["customer", "Customer", "CUSTOMER", "cUsToMeR"])
def test_entity_segments_are_case_insensitive(realm: Realm, segment: str) -> None:
    """/customer, /Customer and /CUSTOMER name the same entity, for reads and writes."""
    created = ok(realm.post(segment, {"DisplayName": f"Case {segment}"}), "Customer")
    assert ok(realm.get(f"{segment}/{created['Id']}"), "Customer") == created


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
def test_compressed_request_bodies(
    realm: Realm, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    """Content-Encoding gzip (Java/.NET SDK default) and deflate request bodies are read."""
    raw = compress(json.dumps({"DisplayName": "Zipped Co"}).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    response = realm.http.post(f"{realm.base}/customer", content=raw, headers=headers)
    assert ok(response, "Customer")["DisplayName"] == "Zipped Co"


def test_corrupt_gzip_body_is_2010(realm: Realm) -> None:
    """A body that is not the gzip it claims to be is refused, not a 500."""
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = realm.http.post(f"{realm.base}/customer", content=b"not gzip", headers=headers)
    assert fault_of(response)[:3] == (400, "2010", BAD_PROPERTY)


def test_malformed_json_is_2010(realm: Realm) -> None:
    """A body that is not JSON is refused with 2010."""
    headers = {"Content-Type": "application/json"}
    response = realm.http.post(f"{realm.base}/customer", content=b"{not json", headers=headers)
    assert fault_of(response)[:3] == (400, "2010", BAD_PROPERTY)


@pytest.mark.parametrize("content_type", ["application/text", "text/plain"])
def test_post_query_with_text_body(realm: Realm, content_type: str) -> None:
    """POST /query with the SQL as an application/text body (pyqb, .NET, Java)."""
    response = realm.http.post(
        f"{realm.base}/query",
        content=b"SELECT * FROM Term WHERE Name = 'Net 30'",
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 200, response.text
    assert [row["Name"] for row in response.json()["QueryResponse"]["Term"]] == ["Net 30"]


def test_bad_id_is_2030(realm: Realm) -> None:
    """GET /customer/1.5: 2030 Invalid ID, recorded Detail, element Id."""
    assert fault_of(realm.get("customer/1.5")) == (
        400,
        "2030",
        "Invalid ID",
        "Id should be a valid number. Supplied value:1.5",
        "Id",
    )


def test_unknown_path_is_unsupported_operation(realm: Realm) -> None:
    """GET /customer/1/5: HTTP 400 code 500 Unsupported Operation naming the path (1.8)."""
    fault = fault_of(realm.get("customer/1/5"))
    assert fault[:3] == (400, "500", "Unsupported Operation")
    assert fault.detail.startswith(
        f"Operation Could not find resource for relative : {realm.base}/customer/1/5 of full path: "
    )
    assert fault.detail.endswith(f"{realm.base}/customer/1/5 is not supported.")


@pytest.mark.parametrize("path", ["widget", "widget/1", "query/extra"])
def test_unknown_entity_is_unsupported_operation(realm: Realm, path: str) -> None:
    """A path naming no entity is Unsupported Operation (code 500)."""
    assert fault_of(realm.get(path))[:3] == (400, "500", "Unsupported Operation")


def test_unknown_operation_is_unsupported(realm: Realm) -> None:
    """?operation= with a value QBO does not know is Unsupported Operation."""
    response = realm.post("customer", {"DisplayName": "X"}, operation="merge")
    assert fault_of(response)[:3] == (400, "500", "Unsupported Operation")


def test_singletons_cannot_be_created(realm: Realm) -> None:
    """POST /companyinfo without an Id is not an operation QBO offers."""
    response = realm.post("companyinfo", {"CompanyName": "New"})
    assert fault_of(response)[:3] == (400, "500", "Unsupported Operation")


# -- 17. authentication --------------------------------------------------------------------


def assert_401(response: httpx.Response, detail_start: str) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE
    body = response.json()
    assert "Fault" not in body
    assert list(body)[:9] == [
        "warnings",
        "intuitObject",
        "fault",
        "report",
        "queryResponse",
        "batchItemResponse",
        "attachableResponse",
        "syncErrorResponse",
        "requestId",
    ]
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert isinstance(body["time"], int)  # epoch milliseconds in the 401 body
    error = body["fault"]["error"][0]
    assert (error["message"], error["code"], error["element"]) == (AUTH_MESSAGE, "3200", None)
    assert error["detail"].startswith(detail_start)


def test_missing_token_is_401(realm: Realm, anonymous: TestClient) -> None:
    """No Authorization header: 401 with the lower-case fault body and WWW-Authenticate."""
    assert_401(anonymous.get(f"{realm.base}/preferences"), "Token invalid")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_invalid_token_is_401(realm: Realm, anonymous: TestClient, header: str) -> None:
    """An unknown token, another scheme or an empty bearer: 401 / 3200."""
    response = anonymous.get(f"{realm.base}/preferences", headers={"Authorization": header})
    assert_401(response, "Token invalid")


def test_expired_token_is_401(realm: Realm) -> None:
    """An hour after issue the access token is expired: 401 "Token expired: ..."."""
    realm.emulator.clock.advance(3601)
    assert_401(realm.get("preferences"), f"Token expired: {realm.access_token[:10]}")


def test_token_still_valid_just_before_expiry(realm: Realm) -> None:
    """The access token lives 3600 seconds."""
    realm.emulator.clock.advance(3590)
    assert realm.get("preferences").status_code == 200


def test_token_for_another_company_is_403(realm: Realm) -> None:
    """A valid token used on a company it was not issued for: 403 code 3100."""
    other = realm.emulator.create_company("Other Shop")
    response = realm.http.get(f"/v3/company/{other}/preferences")
    assert fault_of(response)[:3] == (
        403,
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
    )


# -- 17. query envelopes -------------------------------------------------------------------


@pytest.fixture
def three_customers(realm: Realm) -> list[Obj]:
    return [realm.create("Customer", {"DisplayName": f"Customer {n}"}) for n in (1, 2, 3)]


def test_misspelled_entity_is_4001(realm: Realm) -> None:
    """SELECT * FROM Custmoer: 4001 "invalid context declaration" (recorded)."""
    assert fault_of(realm.get("query", query="SELECT * FROM Custmoer"))[:4] == (
        400,
        "4001",
        "Invalid query",
        "QueryValidationError: invalid context declaration: Custmoer",
    )


def test_start_position_zero_is_4001(realm: Realm) -> None:
    """STARTPOSITION 0: 4001 "value 0 is too small" (recorded)."""
    response = realm.get("query", query="SELECT * FROM Customer STARTPOSITION 0")
    assert fault_of(response)[:4] == (
        400,
        "4001",
        "Invalid query",
        "QueryValidationError: value 0 is too small. Min allowed value is 1",
    )


def test_empty_query_result(realm: Realm) -> None:
    """No rows: {"QueryResponse": {}} with no entity key and no counts."""
    body = realm.get("query", query="SELECT * FROM Customer WHERE DisplayName = 'Nobody'").json()
    assert body["QueryResponse"] == {}
    assert set(body) == {"QueryResponse", "time"}


def test_max_results_is_rows_returned(realm: Realm, three_customers: list[Obj]) -> None:
    """maxResults reports the rows returned, not the limit asked for; startPosition echoes."""
    result = realm.query("SELECT * FROM Customer STARTPOSITION 2 MAXRESULTS 1000")
    assert (result["startPosition"], result["maxResults"], len(result["Customer"])) == (2, 2, 2)
    page = realm.query("SELECT * FROM Customer MAXRESULTS 2")
    assert (page["startPosition"], page["maxResults"]) == (1, 2)


def test_count_is_total_count(realm: Realm, three_customers: list[Obj]) -> None:
    """SELECT COUNT(*) answers {"totalCount": n} only."""
    assert realm.query("SELECT COUNT(*) FROM Customer") == {"totalCount": 3}


def test_query_keyword_case_and_entity_case(realm: Realm, three_customers: list[Obj]) -> None:
    """Keywords are case-insensitive (node sends lower case)."""
    rows = realm.query("select * from Customer where DisplayName = 'Customer 2' maxresults 10")
    assert [row["DisplayName"] for row in rows["Customer"]] == ["Customer 2"]


def test_query_sees_transactions(realm: Realm, acme: Obj) -> None:
    """Queries serve transactions with their computed fields."""
    realm.create("Invoice", {"CustomerRef": {"value": acme["Id"]}, "Line": [sales_line(42)]})
    rows = realm.query("SELECT * FROM Invoice WHERE TotalAmt > '40.00'")["Invoice"]
    assert [row["TotalAmt"] for row in rows] == [42]


def test_request_for_an_unknown_company(emulator: Emulator, realm: Realm) -> None:
    """A token is bound to its company: any other realm id is 403, not a crash."""
    response = realm.http.get("/v3/company/123/preferences")
    assert fault_of(response)[:2] == (403, "3100")
