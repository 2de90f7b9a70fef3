"""Intuit's throttles per company and app, exactly, over HTTP (reference section 5).

The limits are sliding windows in real time that shrink with ``time_scale``. The timing tests
send bursts at instants far apart compared with a burst's length, so the exact counts they
assert follow from the window logic alone and cannot flip on a slow machine by a few ms.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from emukit import Realm, fault_of, ok, sales_line
from starlette.testclient import TestClient
from wirekit import (
    THROTTLE_DETAIL,
    THROTTLE_MESSAGE,
    configure,
    count,
    new_company,
    served_realm,
)

from ledgerbridge.emulator import create_app
from support import Served

Obj = dict[str, Any]
#: a limit no test reaches, for the limits a test does not exercise
LOOSE = 1_000_000


def limit(http: httpx.Client, time_scale: float = 1, **limits: int) -> None:
    """Set the given limits and leave every other one out of reach."""
    every = {
        "requests_per_minute": LOOSE,
        "requests_per_second": LOOSE,
        "concurrent": 1_000,
        "batch_per_minute": LOOSE,
    }
    configure(http, time_scale=time_scale, limits={**every, **limits})


def ping(realm: Realm) -> httpx.Response:
    """The cheapest data-API request: read CompanyInfo."""
    return realm.get(f"companyinfo/{realm.realm_id}")


def assert_throttled(response: httpx.Response) -> int:
    """The recorded 429 Fault with a Retry-After; returns the Retry-After seconds."""
    fault = fault_of(response)
    assert (fault.status, fault.code, fault.message, fault.detail) == (
        429,
        "3001",
        THROTTLE_MESSAGE,
        THROTTLE_DETAIL,
    )
    assert response.json()["Fault"]["type"] == "SERVICE"
    return int(response.headers["Retry-After"])


def drive(realm: Realm, schedule: list[tuple[float, int]]) -> list[int]:
    """Send ``n`` requests at each ``(offset, n)`` seconds after the start; their statuses."""
    start = time.monotonic()
    statuses: list[int] = []
    for offset, n in schedule:
        time.sleep(max(0.0, start + offset - time.monotonic()))
        statuses += [ping(realm).status_code for _ in range(n)]
    return statuses


def test_intuits_limits_refuse_the_eleventh_request_in_a_second(realm: Realm) -> None:
    """With Intuit's own limits (500/min, 10/s, 10 in flight, 40 batches/min) the 11th is 429."""
    configure(
        realm.http,
        time_scale=1,
        limits={
            "requests_per_minute": 500,
            "requests_per_second": 10,
            "concurrent": 10,
            "batch_per_minute": 40,
        },
    )
    statuses = [ping(realm).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_over_requests_per_second_is_the_recorded_429(realm: Realm) -> None:
    """Past requests_per_second: 429, Fault 3001 with the recorded texts, Retry-After 1."""
    limit(realm.http, requests_per_second=3)
    for _ in range(3):
        ok(ping(realm), "CompanyInfo")
    assert assert_throttled(ping(realm)) == 1


def test_over_requests_per_minute_is_429(realm: Realm) -> None:
    """Past requests_per_minute: 429, and Retry-After is what remains of the minute."""
    limit(realm.http, requests_per_minute=5)
    for _ in range(5):
        ok(ping(realm), "CompanyInfo")
    assert 55 <= assert_throttled(ping(realm)) <= 60


def test_batch_per_minute(realm: Realm) -> None:
    """Past batch_per_minute a batch is 429; other requests still go through."""
    limit(realm.http, batch_per_minute=2)
    items = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Term"}]}
    for _ in range(2):
        assert realm.post("batch", items).status_code == 200
    assert 55 <= assert_throttled(realm.post("batch", items)) <= 60
    ok(ping(realm), "CompanyInfo")


def test_a_batch_counts_once_towards_requests_per_minute(realm: Realm) -> None:
    """A batch of 20 items uses one request of the per-minute budget, not 20."""
    limit(realm.http, requests_per_minute=2)
    items = [{"bId": str(n), "Query": "select * from Term"} for n in range(20)]
    assert realm.post("batch", {"BatchItemRequest": items}).status_code == 200
    ok(ping(realm), "CompanyInfo")
    assert_throttled(ping(realm))


def test_concurrent(served: Served) -> None:
    """More requests in flight at once than ``concurrent``: the extra ones get 429."""
    with served_realm(served) as realm:
        limit(realm.http, concurrent=2)
        configure(realm.http, latency_ms=800)
        barrier = threading.Barrier(4)
        results: list[httpx.Response] = []

        def call() -> None:
            with httpx.Client(base_url=served.url, headers=realm.http.headers) as client:
                client.get("/")  # connect now, so that the four requests leave together
                barrier.wait()
                results.append(client.get(f"{realm.base}/companyinfo/{realm.realm_id}"))

        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.status_code for r in results) == [200, 200, 429, 429]
        for response in results:
            if response.status_code == 429:
                assert assert_throttled(response) == 1
        configure(realm.http, latency_ms=0)
        ok(ping(realm), "CompanyInfo")  # the finished requests gave their places back


def test_another_company_has_its_own_budget(realm: Realm) -> None:
    """The same app's requests to another company are counted apart."""
    limit(realm.http, requests_per_second=2)
    other_id, other_token = new_company(realm.emulator, "Second Shop")
    for _ in range(2):
        ok(ping(realm), "CompanyInfo")
    assert_throttled(ping(realm))
    headers = {"Authorization": f"Bearer {other_token}"}
    other = f"/v3/company/{other_id}/companyinfo/{other_id}"
    assert [realm.http.get(other, headers=headers).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


def test_another_app_has_its_own_budget(realm: Realm, anonymous: TestClient) -> None:
    """Another app's requests to the same company are counted apart."""
    limit(realm.http, requests_per_second=2)
    app = {"client_id": "second-app", "client_secret": "s3cret", "redirect_uris": []}
    assert anonymous.post("/_emulator/apps", json=app).status_code == 200
    tokens = anonymous.post(
        "/_emulator/tokens", json={"client_id": "second-app", "realm_id": realm.realm_id}
    ).json()
    for _ in range(2):
        ok(ping(realm), "CompanyInfo")
    assert_throttled(ping(realm))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    url = f"{realm.base}/companyinfo/{realm.realm_id}"
    assert [anonymous.get(url, headers=headers).status_code for _ in range(3)] == [200, 200, 429]


def test_a_throttled_request_uses_no_budget(realm: Realm) -> None:
    """429s do not count: once the admitted requests leave the window, the budget is whole."""
    # time_scale 30 makes the minute 2 s: 3 admitted at 0 s, 5 refused at 0.8 s; at 2.3 s the
    # first three have left the window and, the refused five not counting, 3 more get in.
    limit(realm.http, time_scale=30, requests_per_minute=3)
    statuses = drive(realm, [(0.0, 3), (0.8, 5), (2.3, 4)])
    assert statuses == [200] * 3 + [429] * 5 + [200] * 3 + [429]


def test_exact_count_at_twice_the_per_minute_limit(served: Served) -> None:
    """200 requests in a (scaled) minute against 100 a minute: exactly 100 get through."""
    # time_scale 20 makes the minute 3 s; the 200 requests go in ten bursts of 20, 0.3 s
    # apart, all inside the 3 s that the first admitted request stays in the window.
    with served_realm(served) as realm:
        limit(realm.http, time_scale=20, requests_per_minute=100)
        start = time.monotonic()
        statuses = drive(realm, [(0.3 * k, 20) for k in range(10)])
        assert time.monotonic() - start < 3.0, "the machine is too slow for this schedule"
    assert statuses == [200] * 100 + [429] * 100


def test_exact_count_at_twice_the_per_second_limit(served: Served) -> None:
    """Ten requests in every second against 5 a second: exactly half get through."""
    # Bursts of 5 at 0 and 0.5 s, at 1.25 and 1.75 s, at 2.5 and 3.0 s: the first burst of
    # each pair fills the window, the second finds it full, and the window is empty again
    # (with 250 ms to spare) when the next pair starts.
    with served_realm(served) as realm:
        limit(realm.http, requests_per_second=5)
        schedule = [(offset, 5) for offset in (0.0, 0.5, 1.25, 1.75, 2.5, 3.0)]
        statuses = drive(realm, schedule)
    assert statuses == ([200] * 5 + [429] * 5) * 3


def test_a_client_that_waits_as_told_recovers(served: Served) -> None:
    """A client sleeping Retry-After on each 429 gets every write through, each once."""
    with served_realm(served) as realm:
        customer = ok(realm.post("customer", {"DisplayName": "Patient"}), "Customer")
        limit(realm.http, time_scale=60, requests_per_minute=5)
        created: list[str] = []
        throttled = 0
        for n in range(12):
            body = {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(n + 1)]}
            while True:
                response = realm.post("invoice", body)
                if response.status_code != 429:
                    break
                throttled += 1
                time.sleep(assert_throttled(response))
            created.append(ok(response, "Invoice")["Id"])
        assert throttled == 2  # after the 5th and the 10th: each wait refills the window
        limit(realm.http)
        assert len(set(created)) == 12
        assert count(realm, "Invoice") == 12


def test_time_scale_shrinks_the_windows(realm: Realm) -> None:
    """With time_scale 60 a minute's budget comes back after one real second."""
    limit(realm.http, time_scale=60, requests_per_minute=2)
    assert drive(realm, [(0.0, 3), (1.3, 3)]) == [200, 200, 429] * 2


@pytest.mark.parametrize("header", ["Bearer nonsense", None])
def test_a_refused_token_uses_no_budget(realm: Realm, header: str | None) -> None:
    """Requests that fail authentication are not counted against the company."""
    limit(realm.http, requests_per_second=2)
    with TestClient(create_app(realm.emulator), base_url="http://emulator.test") as client:
        if header is not None:
            client.headers["Authorization"] = header
        for _ in range(5):
            assert client.get(f"{realm.base}/companyinfo/{realm.realm_id}").status_code == 401
    assert [ping(realm).status_code for _ in range(3)] == [200, 200, 429]
