"""Intuit's webhook wire format: the signature and both payload formats (QBO-REFERENCE 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ledgerbridge.qbo import (
    EntityChange,
    WebhookPayloadError,
    parse_notification,
    sign_notification,
    verify_signature,
)

TOKEN = "00faeec4-08d0-4996-bb37-698ae19f0149"
BODY = (
    b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":'
    b'"Vendor","id":"40","operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},'
    b'{"name":"Customer","id":"43","operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}'
    b"]}}]}"
)
SIGNATURE = "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="


def test_the_reference_signature_verifies() -> None:
    """The test vector of section 9.4 (from the .NET SDK's fixtures), both ways."""
    assert sign_notification(BODY, TOKEN) == SIGNATURE
    assert verify_signature(BODY, SIGNATURE, TOKEN)


@pytest.mark.parametrize(
    ("body", "signature", "token"),
    [
        (BODY + b" ", SIGNATURE, TOKEN),  # one byte more: re-serialized JSON never matches
        (BODY, SIGNATURE, "another-token"),
        (BODY, None, TOKEN),
        (BODY, "", TOKEN),
        (BODY, "%%% not base64 %%%", TOKEN),
        (BODY, SIGNATURE, ""),
    ],
)
def test_anything_else_does_not_verify(body: bytes, signature: str | None, token: str) -> None:
    assert not verify_signature(body, signature, token)


def test_classic_notifications_are_read_change_by_change() -> None:
    changes = parse_notification(BODY)
    assert changes == [
        EntityChange(
            "1269959970",
            "Vendor",
            "40",
            "Update",
            datetime(2016, 10, 5, 3, 9, 4, tzinfo=UTC),
        ),
        EntityChange(
            "1269959970",
            "Customer",
            "43",
            "Create",
            datetime(2016, 10, 5, 3, 7, 4, tzinfo=UTC),
        ),
    ]


def test_a_classic_merge_names_the_record_merged_away() -> None:
    body = {
        "eventNotifications": [
            {
                "realmId": "1185883450",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Customer",
                            "id": "7",
                            "operation": "Merge",
                            "deletedId": "9",
                            "lastUpdated": "2015-10-05T14:42:19-0700",
                        }
                    ]
                },
            }
        ]
    }
    (change,) = parse_notification(json.dumps(body).encode())
    assert (change.operation, change.id, change.deleted_id) == ("Merge", "7", "9")
    assert change.last_updated == datetime(2015, 10, 5, 21, 42, 19, tzinfo=UTC)


def test_cloudevents_are_read_with_their_ids_and_verbs() -> None:
    """A JSON array; type qbo.<entity>.<verb>.v1; the realm from intuitaccountid."""
    events = [
        {
            "specversion": "1.0",
            "id": "88cd52aa-33b6-4351-9aa4-47572edbd068",
            "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
            "type": "qbo.purchaseorder.updated.v1",
            "datacontenttype": "application/json",
            "time": "2025-09-10T21:31:25.179Z",
            "intuitentityid": "1234",
            "intuitaccountid": "310687",
            "data": {},
        },
        {
            "id": "e2",
            "type": "qbo.customer.merged.v1",
            "time": "2025-09-10T21:31:26Z",
            "intuitentityid": "5",
            "intuitaccountid": "310687",
            "data": {"deletedId": "6"},
        },
    ]
    first, merge = parse_notification(json.dumps(events).encode())
    assert (first.entity, first.operation, first.event_id) == (
        "PurchaseOrder",
        "Update",
        "88cd52aa-33b6-4351-9aa4-47572edbd068",
    )
    assert (first.realm_id, first.id) == ("310687", "1234")
    assert (merge.entity, merge.operation, merge.deleted_id) == ("Customer", "Merge", "6")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        (b'{"other": 1}', "eventNotifications"),
        (b'{"eventNotifications": [{"dataChangeEvent": {"entities": []}}]}', "realmId"),
        (b'[{"type": "customer.created", "intuitaccountid": "1"}]', "qbo.<entity>"),
        (b'[{"type": "qbo.customer.created.v1", "id": "e"}]', "intuitaccountid"),
    ],
)
def test_a_payload_in_neither_format_says_what_is_wrong(body: bytes, problem: str) -> None:
    with pytest.raises(WebhookPayloadError, match=problem.replace(".", r"\.")):
        parse_notification(body)
