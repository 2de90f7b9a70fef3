"""The emulator's knobs over ``GET``/``PUT /_emulator/config``."""

from __future__ import annotations

from typing import Any

import pytest
from emukit import Realm, ok
from starlette.testclient import TestClient
from wirekit import configure

from support import CLIENT_ID, UNTHROTTLED

Obj = dict[str, Any]


def current(client: TestClient) -> Obj:
    response = client.get("/_emulator/config")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def tokens(client: TestClient, realm: Realm) -> Obj:
    response = client.post(
        "/_emulator/tokens", json={"client_id": CLIENT_ID, "realm_id": realm.realm_id}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_get_config(anonymous: TestClient) -> None:
    """GET answers every setting PUT may change, with the emulator's current values."""
    assert current(anonymous) == {
        "latency_ms": 0,
        "batch_item_latency_ms": 0,
        "time_scale": 1,
        "limits": {
            "requests_per_minute": UNTHROTTLED.requests_per_minute,
            "requests_per_second": UNTHROTTLED.requests_per_second,
            "concurrent": UNTHROTTLED.concurrent,
            "batch_per_minute": UNTHROTTLED.batch_per_minute,
            "batch_max_items": 30,
        },
        "webhook_delay_seconds": 60,
        "refresh_token_grace_seconds": 86_400,
        "requestid_window_seconds": 86_400,
    }


def test_put_changes_only_what_it_names(anonymous: TestClient) -> None:
    """PUT answers the new configuration; settings and limits it leaves out keep their value."""
    before = current(anonymous)
    after = configure(anonymous, latency_ms=25, limits={"requests_per_second": 7})
    assert after == current(anonymous)
    assert after == {
        **before,
        "latency_ms": 25,
        "limits": {**before["limits"], "requests_per_second": 7},
    }


def test_round_trip(anonymous: TestClient) -> None:
    """What GET answers can be PUT back as it is, changing nothing."""
    configure(anonymous, time_scale=4, batch_item_latency_ms=3, limits={"concurrent": 3})
    seen = current(anonymous)
    assert configure(anonymous, **seen) == seen
    assert current(anonymous) == seen


def test_fractional_values_are_usable(realm: Realm, anonymous: TestClient) -> None:
    """Decimal settings (time_scale 2.5, latency 1.5 ms, a 0.5 s window) keep the API working."""
    after = configure(
        anonymous,
        time_scale=2.5,
        latency_ms=1.5,
        batch_item_latency_ms=0.5,
        requestid_window_seconds=0.5,
        webhook_delay_seconds=0.25,
    )
    assert (after["time_scale"], after["latency_ms"]) == (2.5, 1.5)
    ok(realm.get(f"companyinfo/{realm.realm_id}"), "CompanyInfo")
    ok(realm.post("customer", {"DisplayName": "Decimal"}, requestid="d-1"), "Customer")
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Term"}]}
    assert realm.post("batch", batch).status_code == 200
    assert tokens(anonymous, realm)["expires_in"] == 1440


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"colour": "blue"}, "colour"),
        ({"auto_approve": True}, "auto_approve"),
        ({"latency_ms": 5, "speed": 2}, "speed"),
        ({"limits": {"requests_per_hour": 5}}, "requests_per_hour"),
    ],
)
def test_unknown_setting_or_limit_is_400(anonymous: TestClient, payload: Obj, named: str) -> None:
    """An unknown setting or limit is refused with 400 naming it; nothing changes."""
    before = current(anonymous)
    response = anonymous.put("/_emulator/config", json=payload)
    assert response.status_code == 400
    assert named in response.json()["error"]
    assert current(anonymous) == before


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"time_scale": 0}, "time_scale"),
        ({"time_scale": -2}, "time_scale"),
        ({"time_scale": "fast"}, "time_scale"),
        ({"time_scale": None}, "time_scale"),
        ({"latency_ms": -1}, "latency"),
        ({"batch_item_latency_ms": -0.5}, "latency"),
        ({"latency_ms": True}, "latency_ms"),
        ({"requestid_window_seconds": -1}, "requestid_window_seconds"),
        ({"webhook_delay_seconds": -5}, "webhook_delay_seconds"),
        ({"limits": {"requests_per_second": 0}}, "requests_per_second"),
        ({"limits": {"concurrent": 2.5}}, "concurrent"),
        ({"limits": {"batch_max_items": "30"}}, "batch_max_items"),
        ({"limits": [1, 2]}, "limits"),
    ],
)
def test_invalid_values_are_400(anonymous: TestClient, payload: Obj, named: str) -> None:
    """An invalid value is refused with 400 naming the setting; nothing changes."""
    before = current(anonymous)
    response = anonymous.put("/_emulator/config", json=payload)
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]
    assert current(anonymous) == before


def test_body_must_be_an_object(anonymous: TestClient) -> None:
    """A body that is not a JSON object is refused with 400."""
    response = anonymous.put("/_emulator/config", content=b"[1]")
    assert response.status_code == 400
    assert "object" in response.json()["error"]


@pytest.mark.parametrize(("scale", "lifetime"), [(1, 3600), (60, 60), (7.5, 480)])
def test_time_scale_shrinks_token_lifetime(
    realm: Realm, anonymous: TestClient, scale: float, lifetime: int
) -> None:
    """Tokens issued after time_scale K live 3600/K seconds; refresh tokens shrink too."""
    configure(anonymous, time_scale=scale)
    issued = tokens(anonymous, realm)
    assert issued["expires_in"] == lifetime
    assert issued["x_refresh_token_expires_in"] == round(8_726_400 / scale)


def test_refresh_token_grace_can_be_removed(anonymous: TestClient) -> None:
    """refresh_token_grace_seconds 0: a superseded refresh token stops working at once."""
    response = anonymous.put("/_emulator/config", json={"refresh_token_grace_seconds": 0})
    assert response.status_code == 200, response.text
    assert current(anonymous)["refresh_token_grace_seconds"] == 0
