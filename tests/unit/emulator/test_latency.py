"""Configured latency: every data-API request waits ``latency_ms``, batches more per item.

Lower bounds only, and upper bounds loose enough for a busy machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from emukit import Realm, invoice, ok
from wirekit import configure, served_realm

from support import Served

Obj = dict[str, Any]


def timed(call: Callable[[], httpx.Response]) -> float:
    """Seconds ``call`` took; its response must be a success."""
    start = time.monotonic()
    response = call()
    elapsed = time.monotonic() - start
    assert response.status_code == 200, response.text
    return elapsed


def batch_of(n: int) -> Obj:
    return {"BatchItemRequest": [{"bId": str(i), "Query": "select * from Term"} for i in range(n)]}


def test_latency_delays_every_data_request(realm: Realm, acme: Obj) -> None:
    """With latency_ms 150 reads, queries, writes, CDC and batches each take at least 150 ms."""
    inv = invoice(realm, acme["Id"])
    configure(realm.http, latency_ms=150)
    calls: list[Callable[[], httpx.Response]] = [
        lambda: realm.get(f"customer/{acme['Id']}"),
        lambda: realm.get("query", query="select * from Invoice"),
        lambda: realm.post("customer", {"DisplayName": "Slow"}),
        lambda: realm.post("invoice", {**inv, "sparse": True, "PrivateNote": "slow"}),
        lambda: realm.get("cdc", entities="Customer", changedSince=acme["MetaData"]["CreateTime"]),
        lambda: realm.post("batch", batch_of(1)),
        lambda: realm.get(f"companyinfo/{realm.realm_id}"),
    ]
    for call in calls:
        assert timed(call) >= 0.15


def test_a_replayed_request_is_delayed_too(realm: Realm) -> None:
    """A requestid replay waits latency_ms as well."""
    configure(realm.http, latency_ms=150)
    for _ in range(2):
        assert timed(lambda: realm.post("term", {"Name": "Net 5"}, requestid="r")) >= 0.15


def test_batch_item_latency_adds_per_item(realm: Realm) -> None:
    """batch_item_latency_ms is added once per item: 6 items at 50 ms take at least 300 ms."""
    configure(realm.http, batch_item_latency_ms=50)
    assert timed(lambda: realm.post("batch", batch_of(6))) >= 0.3
    assert timed(lambda: realm.post("batch", batch_of(1))) >= 0.05


def test_batch_item_latency_comes_on_top_of_latency(realm: Realm) -> None:
    """A batch waits latency_ms plus its items' batch_item_latency_ms."""
    configure(realm.http, latency_ms=100, batch_item_latency_ms=40)
    assert timed(lambda: realm.post("batch", batch_of(5))) >= 0.3


def test_batch_item_latency_leaves_other_requests_alone(realm: Realm) -> None:
    """batch_item_latency_ms does not slow down single requests."""
    configure(realm.http, batch_item_latency_ms=2000)
    assert timed(lambda: realm.get(f"companyinfo/{realm.realm_id}")) < 1.5


def test_zero_latency_adds_nothing_noticeable(realm: Realm) -> None:
    """With latency 0 (the default) twenty requests take well under a second each."""
    assert configure(realm.http)["latency_ms"] == 0
    elapsed = [timed(lambda: realm.get(f"companyinfo/{realm.realm_id}")) for _ in range(20)]
    assert sorted(elapsed)[10] < 0.1
    assert sum(elapsed) < 5


def test_latency_does_not_hold_up_other_requests(served: Served) -> None:
    """Delayed requests wait side by side: six at 500 ms finish long before 3 s."""
    with served_realm(served) as realm:
        configure(realm.http, latency_ms=500)
        results: list[httpx.Response] = []

        def call() -> None:
            with httpx.Client(base_url=served.url, headers=realm.http.headers) as client:
                results.append(client.get(f"{realm.base}/companyinfo/{realm.realm_id}"))

        threads = [threading.Thread(target=call) for _ in range(6)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
    assert [ok(r, "CompanyInfo")["Id"] for r in results] == ["1"] * 6
    assert 0.5 <= elapsed < 2.0
