"""Webhooks end to end: writes through the API reach a subscriber's endpoint, signed.

The subscriber is a real HTTP server that verifies ``intuit-signature`` before it parses
anything, the way ledgerbridge's own endpoint must (QBO-REFERENCE section 9.4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledgerbridge.emulator import Emulator
from support import Served, serve_in_thread

pytestmark = pytest.mark.integration

VERIFIER = "4c2a2f6e-webhook-verifier-test"


@dataclass
class Subscriber:
    """What the webhook endpoint received, signatures already checked."""

    url: str
    payloads: list[Any] = field(default_factory=list)
    forged: int = 0

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            raw = await request.body()
            expected = base64.b64encode(
                hmac.new(VERIFIER.encode(), raw, hashlib.sha256).digest()
            ).decode()
            if not hmac.compare_digest(expected, request.headers.get("intuit-signature", "")):
                self.forged += 1
                return Response(status_code=401)
            self.payloads.append(json.loads(raw))
            return Response("ok")

        return Starlette(routes=[Route("/hooks", receive, methods=["POST"])])

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.payloads) < count:
            assert time.monotonic() < deadline, f"only {len(self.payloads)} deliveries arrived"
            time.sleep(0.02)


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    holder = Subscriber(url="")
    with serve_in_thread(holder.app()) as url:
        holder.url = f"{url}/hooks"
        yield holder


def _connect(emulator: Emulator, subscriber: Subscriber, webhook_format: str) -> tuple[str, str]:
    emulator.oauth.register_app(
        "hooked-app",
        "hooked-secret",
        ["http://127.0.0.1/cb"],
        webhook_url=subscriber.url,
        verifier_token=VERIFIER,
        webhook_format=webhook_format,
    )
    realm_id = emulator.create_company("Webhook Works")
    token = emulator.oauth.issue_tokens("hooked-app", realm_id).access_token
    return realm_id, token


def test_classic_notification_after_the_aggregation_window(
    served: Served, subscriber: Subscriber
) -> None:
    """A customer created over the API is announced, signed, once the window closes."""
    emulator = served.emulator
    emulator.configure(webhook_delay_seconds=60, time_scale=120)  # a 0.5 s window
    realm_id, token = _connect(emulator, subscriber, "classic")
    with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}) as api:
        created = api.post(f"/v3/company/{realm_id}/customer", json={"DisplayName": "Hook Co"})
        assert created.status_code == 200
        customer_id = created.json()["Customer"]["Id"]
        renamed = api.post(
            f"/v3/company/{realm_id}/customer",
            json={"Id": customer_id, "SyncToken": "0", "sparse": True, "Notes": "vip"},
        )
        assert renamed.status_code == 200
    assert subscriber.payloads == []  # still inside the aggregation window
    subscriber.wait_for(1)
    (payload,) = subscriber.payloads
    (notification,) = payload["eventNotifications"]
    assert notification["realmId"] == realm_id
    entities = notification["dataChangeEvent"]["entities"]
    assert [(e["name"], e["id"], e["operation"]) for e in entities] == [
        ("Customer", customer_id, "Create"),
        ("Customer", customer_id, "Update"),
    ]
    assert subscriber.forged == 0


def test_cloudevents_for_a_payment_and_the_invoice_it_changes(
    served: Served, subscriber: Subscriber
) -> None:
    """CloudEvents announce the payment and the invoice whose balance it lowered."""
    emulator = served.emulator
    realm_id, token = _connect(emulator, subscriber, "cloudevents")
    ledger = emulator.ledger(realm_id)
    customer = ledger.create("Customer", {"DisplayName": "Ocean Pumps"})
    line = {"Amount": 80, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}
    invoice = ledger.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}) as api:
        paid = api.post(
            f"/v3/company/{realm_id}/payment",
            json={
                "CustomerRef": {"value": customer["Id"]},
                "TotalAmt": 80,
                "Line": [
                    {"Amount": 80, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
                ],
            },
        )
        assert paid.status_code == 200, paid.text
        flushed = api.post("/_emulator/webhooks/flush")
        assert flushed.status_code == 200
    subscriber.wait_for(1)
    events = [event for payload in subscriber.payloads for event in payload]
    kinds = {(e["type"], e["intuitentityid"]) for e in events}
    payment_id = paid.json()["Payment"]["Id"]
    assert ("qbo.payment.created.v1", payment_id) in kinds
    assert ("qbo.invoice.updated.v1", invoice["Id"]) in kinds
    assert {e["intuitaccountid"] for e in events} == {realm_id}
