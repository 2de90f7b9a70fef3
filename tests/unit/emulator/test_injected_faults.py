"""Faults on demand (``/_emulator/faults``), seen by a real HTTP client over a real socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emukit import Realm, fault_of, ok, ref, sales_line
from wirekit import THROTTLE_DETAIL, THROTTLE_MESSAGE, arm, count, new_company, served_realm

from support import CLIENT_ID, CLIENT_SECRET, Served

Obj = dict[str, Any]
TOKEN_URL = "/oauth2/v1/tokens/bearer"

#: A dropped connection reaches a client as the server hanging up mid-answer
#: (RemoteProtocolError) or, when the request body was still unread, as a reset (ReadError).
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.fixture
def api(served: Served) -> Iterator[Realm]:
    """A company on the loopback emulator and a real client for it."""
    with served_realm(served) as realm:
        yield realm


@pytest.fixture
def acme(api: Realm) -> Obj:
    return ok(api.post("customer", {"DisplayName": "Acme Fabrication"}), "Customer")


def invoice_body(customer: Obj) -> Obj:
    return {"CustomerRef": ref(customer["Id"]), "Line": [sales_line(100)]}


def ping(realm: Realm) -> httpx.Response:
    return realm.get(f"companyinfo/{realm.realm_id}")


def armed(realm: Realm) -> list[Obj]:
    response = realm.http.get("/_emulator/faults")
    assert response.status_code == 200, response.text
    return response.json()["faults"]  # type: ignore[no-any-return]


def refresh(http: httpx.Client, refresh_token: str) -> httpx.Response:
    """Refresh through Intuit's token endpoint, authenticating the app with Basic auth."""
    return http.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(CLIENT_ID, CLIENT_SECRET),  # replaces the client's Bearer header
    )


def test_http_500_is_a_system_fault(api: Realm) -> None:
    """http_500: a 500 with QBO's SystemFault (code 10000), then back to normal."""
    arm(api.http, "http_500")
    response = ping(api)
    fault = fault_of(response)
    assert (fault.status, fault.code) == (500, "10000")
    assert response.json()["Fault"]["type"] == "SystemFault"
    ok(ping(api), "CompanyInfo")


@pytest.mark.parametrize(
    ("kind", "status", "text"),
    [
        ("http_502", 502, "Bad Gateway"),
        ("http_503", 503, "Service Unavailable"),
        ("http_504", 504, "Gateway Time-out"),
    ],
)
def test_gateway_errors_are_html_pages(api: Realm, kind: str, status: int, text: str) -> None:
    """http_502/503/504: the gateway's own HTML page, not a JSON Fault."""
    arm(api.http, kind)
    response = ping(api)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert text in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert "intuit_tid" in response.headers


def test_http_429_is_the_throttle_fault(api: Realm) -> None:
    """http_429: the recorded 3001 Fault."""
    arm(api.http, "http_429")
    fault = fault_of(ping(api))
    assert (fault.status, fault.code, fault.message, fault.detail) == (
        429,
        "3001",
        THROTTLE_MESSAGE,
        THROTTLE_DETAIL,
    )


def test_hang_times_the_client_out_and_nothing_runs(api: Realm, acme: Obj) -> None:
    """hang: no answer within the client's timeout, and the write never happens."""
    arm(api.http, "hang", seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        api.http.post(f"{api.base}/invoice", json=invoice_body(acme), timeout=0.3)
    time.sleep(1.0)  # past the hang: still nothing was written
    assert count(api, "Invoice") == 0


def test_hang_ends_in_a_504(api: Realm) -> None:
    """hang: a patient client gets the gateway's 504 after ``seconds``."""
    arm(api.http, "hang", seconds=0.4)
    start = time.monotonic()
    response = ping(api)
    assert time.monotonic() - start >= 0.4
    assert response.status_code == 504
    assert "Gateway Time-out" in response.text


def test_drop_closes_the_connection_and_nothing_runs(api: Realm, acme: Obj) -> None:
    """drop: the connection ends without an answer, and the write never happens."""
    arm(api.http, "drop")
    with pytest.raises(DROPPED):
        api.post("invoice", invoice_body(acme))
    assert count(api, "Invoice") == 0


def test_access_token_expired(served: Served) -> None:
    """access_token_expired: 401/3200 now; the token stays dead until a refresh replaces it."""
    realm_id = served.emulator.create_company("Expiring")
    tokens = served.emulator.oauth.issue_tokens(CLIENT_ID, realm_id)
    with served_realm(served, realm_id=realm_id, token=tokens.access_token) as api:
        arm(api.http, "access_token_expired")
        for _ in range(2):
            response = ping(api)
            assert response.status_code == 401
            error = response.json()["fault"]["error"][0]
            assert error["code"] == "3200"
            assert error["detail"].startswith("Token expired")
            assert armed(api) == []
        renewed = refresh(api.http, tokens.refresh_token)
        assert renewed.status_code == 200, renewed.text
        fresh = renewed.json()["access_token"]
        headers = {"Authorization": f"Bearer {fresh}"}
        response = api.http.get(f"{api.base}/companyinfo/{realm_id}", headers=headers)
        ok(response, "CompanyInfo")
        assert ping(api).status_code == 401  # the old token stays expired


def test_refresh_token_revoked(served: Served) -> None:
    """refresh_token_revoked: 401 now, and refreshing answers 400 invalid_grant."""
    realm_id = served.emulator.create_company("Disconnected")
    tokens = served.emulator.oauth.issue_tokens(CLIENT_ID, realm_id)
    with served_realm(served, realm_id=realm_id, token=tokens.access_token) as api:
        arm(api.http, "refresh_token_revoked")
        response = ping(api)
        assert response.status_code == 401
        assert response.json()["fault"]["error"][0]["code"] == "3200"
        renewed = refresh(api.http, tokens.refresh_token)
        assert renewed.status_code == 400
        assert renewed.json()["error"] == "invalid_grant"
        assert ping(api).status_code == 401


def test_company_faults_wait_for_a_data_api_request(served: Served) -> None:
    """A company fault without a realm filter is not used up by OAuth or discovery requests."""
    realm_id = served.emulator.create_company("Patient")
    tokens = served.emulator.oauth.issue_tokens(CLIENT_ID, realm_id)
    with served_realm(served, realm_id=realm_id, token=tokens.access_token) as api:
        arm(api.http, "access_token_expired")
        assert api.http.get("/.well-known/openid_sandbox_configuration").status_code == 200
        renewed = refresh(api.http, tokens.refresh_token)
        assert renewed.status_code == 200, renewed.text
        assert [rule["kind"] for rule in armed(api)] == ["access_token_expired"]
        assert ping(api).status_code == 401


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("subscription_ended", "6190", "Invalid Company Status"),
        ("books_closed", "6210", "Account Period Closed"),
    ],
)
def test_company_status_faults(api: Realm, acme: Obj, kind: str, code: str, message: str) -> None:
    """subscription_ended (6190) and books_closed (6210): a 400 Fault, and nothing written."""
    arm(api.http, kind)
    fault = fault_of(api.post("invoice", invoice_body(acme)))
    assert (fault.status, fault.code, fault.message) == (400, code, message)
    assert count(api, "Invoice") == 0


def test_committed_response_lost_with_a_drop(api: Realm, acme: Obj) -> None:
    """The write happens but the answer is dropped; a retry with its requestid gets it."""
    arm(api.http, "committed_response_lost")
    with pytest.raises(DROPPED):
        api.post("invoice", invoice_body(acme), requestid="lost-1")
    found = api.query("select * from Invoice")["Invoice"]
    assert len(found) == 1
    retry = ok(api.post("invoice", invoice_body(acme), requestid="lost-1"), "Invoice")
    assert retry == found[0]
    assert count(api, "Invoice") == 1


def test_committed_response_lost_with_a_504(api: Realm, acme: Obj) -> None:
    """respond "504": the write happens, the client sees a 504; the retry gets the original."""
    arm(api.http, "committed_response_lost", respond="504")
    response = api.post("invoice", invoice_body(acme), requestid="lost-2")
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/html")
    found = api.query("select * from Invoice")["Invoice"]
    assert len(found) == 1
    retry = ok(api.post("invoice", invoice_body(acme), requestid="lost-2"), "Invoice")
    assert retry == found[0]
    assert count(api, "Invoice") == 1


def test_committed_response_lost_duplicates_a_retry_without_requestid(
    api: Realm, acme: Obj
) -> None:
    """Without a requestid the retry of a lost answer writes the invoice a second time."""
    arm(api.http, "committed_response_lost", respond="504")
    assert api.post("invoice", invoice_body(acme)).status_code == 504
    ok(api.post("invoice", invoice_body(acme)), "Invoice")
    assert count(api, "Invoice") == 2


@pytest.mark.parametrize("kind", ["http_500", "http_503", "drop"])
def test_a_retry_after_a_fault_that_ran_nothing_writes_once(
    api: Realm, acme: Obj, kind: str
) -> None:
    """A fault that ran nothing leaves no requestid behind: the retry writes, once."""
    arm(api.http, kind)
    try:
        assert api.post("invoice", invoice_body(acme), requestid="retry-1").status_code >= 500
    except DROPPED:
        assert kind == "drop"
    for _ in range(2):
        ok(api.post("invoice", invoice_body(acme), requestid="retry-1"), "Invoice")
    assert count(api, "Invoice") == 1


def test_count_consumes_that_many_requests(api: Realm) -> None:
    """count N: the next N matching requests fail, then the rule is gone."""
    arm(api.http, "http_500", count=3)
    assert [rule["remaining"] for rule in armed(api)] == [3]
    assert [ping(api).status_code for _ in range(4)] == [500, 500, 500, 200]
    assert armed(api) == []


def test_path_filter(api: Realm, acme: Obj) -> None:
    """path: only requests whose path matches the pattern are faulted."""
    arm(api.http, "http_503", path="/invoice$")
    ok(ping(api), "CompanyInfo")
    ok(api.post("customer", {"DisplayName": "Other"}), "Customer")
    assert api.post("invoice", invoice_body(acme)).status_code == 503
    assert armed(api) == []


def test_method_filter(api: Realm) -> None:
    """method: only requests with that method are faulted."""
    arm(api.http, "http_500", method="post")
    ok(ping(api), "CompanyInfo")
    assert api.post("customer", {"DisplayName": "Posted"}).status_code == 500
    assert count(api, "Customer") == 0


def test_realm_filter(served: Served, api: Realm) -> None:
    """realm_id: only requests to that company are faulted."""
    other_id, other_token = new_company(served.emulator, "Unaffected")
    arm(api.http, "http_500", realm_id=api.realm_id)
    with served_realm(served, realm_id=other_id, token=other_token) as other:
        ok(ping(other), "CompanyInfo")
    assert ping(api).status_code == 500


def test_faults_do_not_touch_the_admin_api(api: Realm) -> None:
    """An unfiltered fault is not used up by /_emulator requests."""
    arm(api.http, "drop")
    assert len(armed(api)) == 1
    assert api.http.get("/_emulator/config").status_code == 200
    assert len(armed(api)) == 1


def test_list_and_clear(api: Realm) -> None:
    """GET lists the armed rules, first armed first; DELETE disarms them all."""
    first = arm(api.http, "http_500", count=2, method="GET", path="companyinfo")
    second = arm(api.http, "hang", realm_id=api.realm_id, seconds=0.5)
    assert first == {
        "id": first["id"],
        "kind": "http_500",
        "remaining": 2,
        "realm_id": None,
        "path": "companyinfo",
        "method": "GET",
        "seconds": None,
        "respond": "drop",
    }
    assert (second["kind"], second["realm_id"], second["seconds"]) == ("hang", api.realm_id, 0.5)
    assert armed(api) == [first, second]
    cleared = api.http.delete("/_emulator/faults")
    assert cleared.status_code == 200
    assert cleared.json() == {"faults": []}
    assert armed(api) == []
    ok(ping(api), "CompanyInfo")


def test_unknown_kind_is_refused(api: Realm) -> None:
    """An unknown kind is refused with 400 and a message listing the kinds."""
    response = api.http.post("/_emulator/faults", json={"kind": "meteor_strike"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "meteor_strike" in error
    assert "http_500" in error
    assert "committed_response_lost" in error
    assert armed(api) == []


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({}, "kind"),
        ({"kind": "http_500", "count": 0}, "count"),
        ({"kind": "committed_response_lost", "respond": "teapot"}, "respond"),
        ({"kind": "hang", "seconds": -1}, "seconds"),
        ({"kind": "http_500", "path": "(unclosed"}, "path"),
    ],
)
def test_invalid_rules_are_refused(api: Realm, rule: Obj, words: str) -> None:
    """A rule with a missing or bad field is refused with 400 naming it."""
    response = api.http.post("/_emulator/faults", json=rule)
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert armed(api) == []
