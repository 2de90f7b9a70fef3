"""Change data capture: ``GET /cdc?entities=...&changedSince=...`` (reference 1.7 and 11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from emukit import ENVELOPE_TIME, TIMESTAMP, Realm, delete, fault_of, invoice, read, sparse

from ledgerbridge.emulator import Emulator
from ledgerbridge.emulator._clock import format_timestamp

Obj = dict[str, Any]
#: the gap the tests open between "before" and "after" (well inside a token's hour)
GAP = 60.0


def cdc(realm: Realm, entities: str, since: str) -> httpx.Response:
    return realm.get("cdc", entities=entities, changedSince=since)


def responses(response: httpx.Response) -> list[Obj]:
    """The per-entity QueryResponse list of a CDC answered with HTTP 200."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert ENVELOPE_TIME.match(body["time"]), body
    assert len(body["CDCResponse"]) == 1
    return body["CDCResponse"][0]["QueryResponse"]  # type: ignore[no-any-return]


def gap(emulator: Emulator) -> str:
    """Move the emulator's clock past everything so far; the changedSince of what follows."""
    emulator.clock.advance(GAP)
    return format_timestamp(emulator.clock.now())


def ids(response: Obj, entity: str) -> list[str]:
    return [obj["Id"] for obj in response.get(entity, [])]


def test_full_current_objects_changed_since(realm: Realm) -> None:
    """Objects changed at or after changedSince come back whole; older ones do not."""
    untouched = realm.create("Customer", {"DisplayName": "Untouched"})
    edited = realm.create("Customer", {"DisplayName": "Edited"})
    old_invoice = invoice(realm, untouched["Id"])
    since = gap(realm.emulator)
    assert sparse(realm, "Customer", edited, Notes="changed").status_code == 200
    added = realm.create("Customer", {"DisplayName": "Added"})
    new_invoice = invoice(realm, added["Id"])
    customers, invoices = responses(cdc(realm, "Customer,Invoice", since))
    assert customers == {
        "Customer": [read(realm, "Customer", edited["Id"]), read(realm, "Customer", added["Id"])],
        "startPosition": 1,
        "maxResults": 2,
    }
    assert invoices["Invoice"] == [read(realm, "Invoice", new_invoice["Id"])]
    assert old_invoice["Id"] not in ids(invoices, "Invoice")


def test_changed_since_is_inclusive(realm: Realm) -> None:
    """An object last updated exactly at changedSince is included."""
    obj = realm.create("Customer", {"DisplayName": "Exactly Then"})
    (found,) = responses(cdc(realm, "Customer", obj["MetaData"]["LastUpdatedTime"]))
    assert ids(found, "Customer") == [obj["Id"]]


def test_inactive_name_list_records_are_included(realm: Realm) -> None:
    """A customer made inactive after changedSince comes back, Active false."""
    customer = realm.create("Customer", {"DisplayName": "Leaving"})
    since = gap(realm.emulator)
    assert sparse(realm, "Customer", customer, Active=False).status_code == 200
    (found,) = responses(cdc(realm, "Customer", since))
    (obj,) = found["Customer"]
    assert (obj["Id"], obj["Active"]) == (customer["Id"], False)
    assert realm.query("select * from Customer") == {}


def test_deleted_transactions_are_stubs(realm: Realm, acme: Obj) -> None:
    """A transaction deleted since changedSince is a Deleted stub with its deletion time."""
    doomed = invoice(realm, acme["Id"])
    since = gap(realm.emulator)
    assert delete(realm, "Invoice", doomed).status_code == 200
    (found,) = responses(cdc(realm, "Invoice", since))
    (stub,) = found["Invoice"]
    assert set(stub) == {"domain", "status", "Id", "MetaData"}
    assert (stub["domain"], stub["status"], stub["Id"]) == ("QBO", "Deleted", doomed["Id"])
    assert set(stub["MetaData"]) == {"LastUpdatedTime"}
    assert TIMESTAMP.match(stub["MetaData"]["LastUpdatedTime"])
    assert stub["MetaData"]["LastUpdatedTime"] >= since


def test_deletions_before_changed_since_are_not_reported(realm: Realm, acme: Obj) -> None:
    """A transaction deleted before changedSince does not come back at all."""
    doomed = invoice(realm, acme["Id"])
    assert delete(realm, "Invoice", doomed).status_code == 200
    since = gap(realm.emulator)
    assert responses(cdc(realm, "Invoice", since)) == [{}]


def test_one_query_response_per_entity_in_request_order(realm: Realm, acme: Obj) -> None:
    """Each requested entity gets one QueryResponse, in request order; none changed → {}."""
    since = acme["MetaData"]["CreateTime"]
    inv = invoice(realm, acme["Id"])
    found = responses(cdc(realm, "Invoice,Vendor,Customer", since))
    assert len(found) == 3
    assert ids(found[0], "Invoice") == [inv["Id"]]
    assert found[1] == {}
    assert ids(found[2], "Customer") == [acme["Id"]]
    assert (found[0]["startPosition"], found[0]["maxResults"]) == (1, 1)


def test_lower_case_entity_names(realm: Realm, acme: Obj) -> None:
    """Entity names are matched case-insensitively (recorded: entities=estimate)."""
    since = acme["MetaData"]["CreateTime"]
    inv = invoice(realm, acme["Id"])
    customers, invoices = responses(cdc(realm, "customer,INVOICE", since))
    assert ids(customers, "Customer") == [acme["Id"]]
    assert ids(invoices, "Invoice") == [inv["Id"]]


def test_thirty_days_back_is_the_limit(realm: Realm, acme: Obj) -> None:
    """changedSince 29 days ago works; 31 days ago is refused with 400 / 4001."""
    now = realm.emulator.clock.now()
    (found,) = responses(cdc(realm, "Customer", format_timestamp(now - timedelta(days=29))))
    assert ids(found, "Customer") == [acme["Id"]]
    fault = fault_of(cdc(realm, "Customer", format_timestamp(now - timedelta(days=31))))
    assert (fault.status, fault.code, fault.message) == (400, "4001", "Invalid query")
    assert "30 days" in fault.detail


def test_at_most_1000_objects_the_oldest_first(realm: Realm) -> None:
    """1,005 changes: the answer holds the oldest 1,000; the newest wait for the next call."""
    ledger = realm.emulator.ledger(realm.realm_id)
    since = format_timestamp(realm.emulator.clock.now())
    for wave, size in enumerate((600, 400, 5)):
        for n in range(size):
            ledger.create("Customer", {"DisplayName": f"Customer {wave}-{n}"})
        realm.emulator.clock.advance(1)
    newest = [obj["Id"] for obj in ledger.company.objects["Customer"].values()][-5:]
    (found,) = responses(cdc(realm, "Customer", since))
    returned = found["Customer"]
    assert found["maxResults"] == len(returned) == 1000
    assert not set(newest) & {obj["Id"] for obj in returned}
    stamps = [obj["MetaData"]["LastUpdatedTime"] for obj in returned]
    assert stamps == sorted(stamps)
    (rest,) = responses(cdc(realm, "Customer", stamps[-1]))
    assert set(newest) <= set(ids(rest, "Customer"))
    # Everything changed at or after the last moment returned comes back (a wave of creates
    # may straddle a wall-clock second on a slow machine, so count rather than assume 405).
    later = [
        obj
        for obj in ledger.company.objects["Customer"].values()
        if obj["MetaData"]["LastUpdatedTime"] >= stamps[-1]
    ]
    assert len(rest["Customer"]) == len(later)


def test_cap_counts_all_entities_together(realm: Realm, acme: Obj) -> None:
    """The 1,000 cap is for the whole answer, not per entity."""
    ledger = realm.emulator.ledger(realm.realm_id)
    since = acme["MetaData"]["CreateTime"]
    for n in range(999):
        ledger.create("Vendor", {"DisplayName": f"Vendor {n}"})
    realm.emulator.clock.advance(1)
    invoice(realm, acme["Id"])
    customers, vendors, invoices = responses(cdc(realm, "Customer,Vendor,Invoice", since))
    assert len(customers["Customer"]) == 1
    assert len(vendors["Vendor"]) == 999
    assert invoices == {}


@pytest.mark.parametrize("entities", ["Customer,Widget", "Custmoer", "TaxCode"])
def test_unknown_or_unsupported_entity_is_4001(realm: Realm, acme: Obj, entities: str) -> None:
    """An entity CDC does not know or serve is refused with 400 / 4001, naming it."""
    fault = fault_of(cdc(realm, entities, acme["MetaData"]["CreateTime"]))
    assert (fault.status, fault.code) == (400, "4001")
    assert entities.split(",")[-1] in fault.detail


def test_missing_changed_since_is_2020(realm: Realm) -> None:
    """Without changedSince the request is refused with 400 / 2020."""
    fault = fault_of(realm.get("cdc", entities="Customer"))
    assert (fault.status, fault.code, fault.element) == (400, "2020", "changedSince")


def test_missing_entities_is_2020(realm: Realm, acme: Obj) -> None:
    """Without entities the request is refused with 400 / 2020."""
    fault = fault_of(realm.get("cdc", changedSince=acme["MetaData"]["CreateTime"]))
    assert (fault.status, fault.code, fault.element) == (400, "2020", "entities")


def test_unparseable_changed_since_is_4001(realm: Realm) -> None:
    """A changedSince that is no date-time is refused with 400 / 4001."""
    fault = fault_of(cdc(realm, "Customer", "last tuesday"))
    assert (fault.status, fault.code) == (400, "4001")
