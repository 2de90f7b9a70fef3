"""The admin API (/_emulator/...) and saving/loading the emulator's state."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from emukit import (
    Realm,
    applied,
    fault_of,
    invoice,
    ok,
    payment,
    read,
    sales_line,
    sparse,
    stale_detail,
)
from starlette.testclient import TestClient

from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app

Obj = dict[str, Any]
APP = {
    "client_id": "ABadminApp01",
    "client_secret": "adminSecret01",
    "redirect_uris": ["https://app.example/callback"],
}


def admin(client: TestClient, path: str, body: Obj | None = None) -> Obj:
    """POST (with a body) or GET an admin endpoint; it must answer 200 with JSON."""
    url = f"/_emulator/{path}"
    response = client.get(url) if body is None else client.post(url, json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_register_app(anonymous: TestClient) -> None:
    """POST /_emulator/apps registers an app; GET lists it."""
    assert admin(anonymous, "apps", APP) == {
        "client_id": APP["client_id"],
        "redirect_uris": APP["redirect_uris"],
        "webhook_url": None,
        "webhook_format": "classic",
    }
    listed = {app["client_id"] for app in admin(anonymous, "apps")["apps"]}
    assert APP["client_id"] in listed


def test_register_app_needs_credentials(anonymous: TestClient) -> None:
    """An app without client_secret is refused with a JSON error (400)."""
    response = anonymous.post("/_emulator/apps", json={"client_id": "x"})
    assert response.status_code == 400
    assert "client_secret" in response.json()["error"]


def test_company_and_tokens_usable_on_the_api(anonymous: TestClient) -> None:
    """A company from /companies and a token from /tokens open the data API for it."""
    admin(anonymous, "apps", APP)
    company = admin(anonymous, "companies", {"name": "Second Shop"})
    assert company["name"] == "Second Shop"
    realm_id = company["realm_id"]
    assert realm_id.isdigit()
    assert {"realm_id": realm_id, "name": "Second Shop"} in admin(anonymous, "companies")[
        "companies"
    ]
    tokens = admin(anonymous, "tokens", {"client_id": APP["client_id"], "realm_id": realm_id})
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert {"access_token", "refresh_token", "x_refresh_token_expires_in"} <= set(tokens)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = anonymous.get(f"/v3/company/{realm_id}/companyinfo/{realm_id}", headers=headers)
    assert ok(response, "CompanyInfo")["CompanyName"] == "Second Shop"


def test_tokens_for_an_unknown_company_are_refused(anonymous: TestClient) -> None:
    """/tokens for a realm that does not exist answers 403 / 3100."""
    admin(anonymous, "apps", APP)
    response = anonymous.post(
        "/_emulator/tokens", json={"client_id": APP["client_id"], "realm_id": "42"}
    )
    assert fault_of(response)[:2] == (403, "3100")


def test_ui_edit_makes_the_apps_write_stale(realm: Realm, anonymous: TestClient, acme: Obj) -> None:
    """A UI edit bumps SyncToken; the app's write with the old one is 5010 "QuickBooks User"."""
    body = {
        "realm_id": realm.realm_id,
        "entity": "customer",
        "id": acme["Id"],
        "changes": {"Notes": "called by phone"},
    }
    edited = admin(anonymous, "ui-edit", body)["customer"]
    assert (edited["SyncToken"], edited["Notes"]) == ("1", "called by phone")
    fault = fault_of(sparse(realm, "Customer", acme, CompanyName="Acme Inc"))
    assert fault[:4] == (400, "5010", "Stale Object Error", stale_detail("QuickBooks User"))


def test_ui_edit_of_a_missing_object(realm: Realm, anonymous: TestClient) -> None:
    """A UI edit of an object that does not exist is answered with its Fault."""
    body = {"realm_id": realm.realm_id, "entity": "Customer", "id": "999", "changes": {}}
    response = anonymous.post("/_emulator/ui-edit", json=body)
    assert fault_of(response)[:3] == (400, "610", "Object Not Found")


def test_request_log(realm: Realm, anonymous: TestClient) -> None:
    """GET /_emulator/requests?realm_id= lists the realm's requests, not admin calls."""
    first = realm.get("preferences", minorversion="75")
    second = realm.get("customer/1.5")
    other = realm.emulator.create_company("Other Shop")
    realm.http.get(f"/v3/company/{other}/preferences")
    entries = admin(anonymous, f"requests?realm_id={realm.realm_id}")["requests"]
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in entries] == [
        ("GET", f"{realm.base}/preferences", "minorversion=75", 200),
        ("GET", f"{realm.base}/customer/1.5", "", 400),
    ]
    assert [e["intuit_tid"] for e in entries] == [
        first.headers["intuit_tid"],
        second.headers["intuit_tid"],
    ]
    assert all(e["time"] and e["realm_id"] == realm.realm_id for e in entries)
    everything = admin(anonymous, "requests")["requests"]
    assert len(everything) == 3
    assert not any(e["path"].startswith("/_emulator") for e in everything)


def test_reset_forgets_companies_and_tokens(realm: Realm, anonymous: TestClient) -> None:
    """POST /_emulator/reset drops companies, grants and the log; apps stay registered."""
    realm.get("preferences")
    assert admin(anonymous, "reset", {}) == {"status": "reset"}
    assert admin(anonymous, "companies") == {"companies": []}
    assert admin(anonymous, "requests") == {"requests": []}
    assert realm.get("preferences").status_code == 401
    assert "test-client" in {app["client_id"] for app in admin(anonymous, "apps")["apps"]}


# -- 18. Emulator.save / load --------------------------------------------------------------


def reload(realm: Realm, path: Path) -> tuple[Emulator, TestClient]:
    realm.emulator.save(path)
    fresh = Emulator(EmulatorConfig(auto_approve=True))
    fresh.load(path)
    client = TestClient(create_app(fresh), base_url="http://emulator.test")
    client.headers["Authorization"] = f"Bearer {realm.access_token}"
    return fresh, client


def test_save_and_load_keep_objects_and_tokens(realm: Realm, acme: Obj, tmp_path: Path) -> None:
    """A loaded emulator serves the same objects to the same token."""
    created = invoice(realm, acme["Id"], sales_line("33.33"), sales_line(100))
    _, client = reload(realm, tmp_path / "state.json")
    with client:
        response = client.get(f"{realm.base}/invoice/{created['Id']}")
        assert ok(response, "Invoice") == created
        duplicate = client.post(f"{realm.base}/vendor", json={"DisplayName": acme["DisplayName"]})
        assert fault_of(duplicate)[:2] == (400, "6240")


def test_save_and_load_keep_decimal_amounts(realm: Realm, acme: Obj, tmp_path: Path) -> None:
    """Amounts come back as Decimals, whole or not, and later writes still compute with them."""
    created = invoice(realm, acme["Id"], sales_line("33.33"), sales_line(100))
    paid = payment(realm, acme["Id"], 100, applied(100, created["Id"]))
    fresh, client = reload(realm, tmp_path / "state.json")
    stored = fresh.company(realm.realm_id).objects["Invoice"][created["Id"]]
    assert stored["TotalAmt"] == Decimal("133.33")
    amounts = [stored["TotalAmt"], stored["Balance"], stored["Line"][1]["Amount"]]
    assert all(isinstance(value, Decimal) for value in amounts), amounts
    with client:
        body = {
            "Id": paid["Id"],
            "SyncToken": paid["SyncToken"],
            "sparse": True,
            "PrivateNote": "x",
        }
        assert ok(client.post(f"{realm.base}/payment", json=body), "Payment")["PrivateNote"] == "x"
        body = {
            "CustomerRef": {"value": acme["Id"]},
            "TotalAmt": "33.33",
            "Line": [applied("33.33", created["Id"])],
        }
        ok(client.post(f"{realm.base}/payment", json=body), "Payment")
        assert ok(client.get(f"{realm.base}/invoice/{created['Id']}"), "Invoice")["Balance"] == 0


def test_save_and_load_keep_doc_numbers_and_counters(
    realm: Realm, acme: Obj, tmp_path: Path
) -> None:
    """After a load, Ids and DocNumbers continue and duplicates are still caught."""
    created = invoice(realm, acme["Id"])
    _, client = reload(realm, tmp_path / "state.json")
    with client:
        body = {"CustomerRef": {"value": acme["Id"]}, "Line": [sales_line(5)]}
        after = ok(client.post(f"{realm.base}/invoice", json=body), "Invoice")
        assert int(after["Id"]) > int(created["Id"])
        assert after["DocNumber"] == "1002"
        body["DocNumber"] = created["DocNumber"]
        assert fault_of(client.post(f"{realm.base}/invoice", json=body))[:2] == (400, "6140")
    assert read(realm, "Invoice", created["Id"]) == created


def test_save_and_load_keep_the_last_editor(realm: Realm, acme: Obj, tmp_path: Path) -> None:
    """After a load, a stale write still names the QuickBooks user who edited last."""
    realm.emulator.ui_edit(realm.realm_id, "Customer", acme["Id"], {"Notes": "from the UI"})
    _, client = reload(realm, tmp_path / "state.json")
    with client:
        body = {"Id": acme["Id"], "SyncToken": "0", "sparse": True, "Notes": "from the app"}
        fault = fault_of(client.post(f"{realm.base}/customer", json=body))
    assert fault[:4] == (400, "5010", "Stale Object Error", stale_detail("QuickBooks User"))
