"""Records through the API: put one, NDJSON upload with per-line results, read, list, delete;
bad input is 422 naming the field, and nothing of a refused request is stored."""

from __future__ import annotations

import json

import pytest
from apikit import Api, Tenant, assert_problem, customer

pytestmark = pytest.mark.anyio

NDJSON = {"Content-Type": "application/x-ndjson"}


async def shop(api: Api) -> Tenant:
    return await api.tenant("shop")


async def test_put_creates_then_leaves_unchanged_then_changes(api: Api) -> None:
    """The same record twice is unchanged (nothing to push); an edit is changed."""
    tenant = await shop(api)
    outcomes = []
    for name in ("Alice", "Alice", "Alice Smith"):
        answer = await api.put(tenant.id, tenant.key, customer("c1", name))
        assert answer.status_code == 200, answer.text
        outcomes.append(answer.json()["outcome"])
    assert outcomes == ["created", "unchanged", "changed"]
    stored = await api.client.get(tenant.path("/records/customer/c1"), headers=tenant.headers)
    assert stored.json()["record"]["name"] == "Alice Smith"
    assert stored.json()["sync_status"] == "pending" and stored.json()["link"] is None


async def test_put_takes_type_and_id_from_the_address(api: Api) -> None:
    """A body without type and id is the record at its address."""
    tenant = await shop(api)
    answer = await api.client.put(
        tenant.path("/records/vendor/v-7"), json={"name": "Steel Supply"}, headers=tenant.headers
    )
    assert answer.status_code == 200 and answer.json()["app_id"] == "v-7"


@pytest.mark.parametrize(
    ("address", "body", "fields"),
    [
        ("/records/customer/c1", {"type": "vendor", "name": "X"}, ["type"]),
        ("/records/customer/c1", {"id": "c2", "name": "X"}, ["id"]),
        ("/records/customer/c1", {"name": "X", "email": "not-an-address"}, ["email"]),
        ("/records/customer/c1", {"name": "X", "nickname": "Al"}, ["nickname"]),
        ("/records/customer/c1", {"email": "a@b.co"}, ["name"]),
        ("/records/gadget/g1", {"name": "X"}, ["record_type"]),
        (
            "/records/invoice/i1",
            {"customer_id": "c1", "invoice_date": "2025-13-01", "lines": []},
            ["invoice_date", "lines"],
        ),
    ],
)
async def test_invalid_records_are_422_naming_the_field(
    api: Api, address: str, body: dict[str, object], fields: list[str]
) -> None:
    """Each refused field is named with a sentence; nothing is stored."""
    tenant = await shop(api)
    answer = await api.client.put(tenant.path(address), json=body, headers=tenant.headers)
    problem = assert_problem(answer, 422, "invalid-input")
    assert sorted({e["field"] for e in problem["errors"]}) == fields
    assert all(e["message"] for e in problem["errors"])
    assert api.services.runtime.records.counts(tenant_id=tenant.id) == {}


async def test_a_body_that_is_not_an_object_is_422(api: Api) -> None:
    """A JSON array, or no JSON at all, names the body."""
    tenant = await shop(api)
    for content in (b"[1, 2]", b"{not json"):
        answer = await api.client.put(
            tenant.path("/records/customer/c1"),
            content=content,
            headers={**tenant.headers, "Content-Type": "application/json"},
        )
        assert_problem(answer, 422, "invalid-input")


async def test_ndjson_upload_keeps_good_lines_and_names_the_bad(api: Api) -> None:
    """Good lines are stored; each bad line is refused naming its line and field."""
    tenant = await shop(api)
    lines = [
        json.dumps(customer("c1", "Alice")),
        "",
        json.dumps(customer("c2", "Bob", email="bob-at-example")),
        "{oops",
        json.dumps({"type": "item", "id": "i1", "name": "Bolt", "kind": "service"}),
    ]
    answer = await api.client.post(
        tenant.path("/records"), content="\n".join(lines), headers={**tenant.headers, **NDJSON}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["rejected"], body["created"]) == (2, 2, 2)
    by_line = {line["line"]: line for line in body["lines"]}
    assert sorted(by_line) == [1, 3, 4, 5]
    assert by_line[1]["outcome"] == "created" and by_line[5]["id"] == "i1"
    assert by_line[3]["errors"] == [
        {"field": "email", "message": by_line[3]["errors"][0]["message"]}
    ]
    assert by_line[3]["id"] == "c2" and "@" in by_line[3]["errors"][0]["message"]
    assert (
        by_line[4]["errors"][0]["field"] == "body"
        and "line 4" in by_line[4]["errors"][0]["message"].lower()
    )
    counts = api.services.runtime.records.counts(tenant_id=tenant.id)
    assert {kind: c.total for kind, c in counts.items()} == {"customer": 1, "item": 1}


async def test_ndjson_upload_refuses_what_is_not_text(api: Api) -> None:
    """Bytes that are not UTF-8 are 422; another media type is 415; nothing is stored."""
    tenant = await shop(api)
    binary = await api.client.post(
        tenant.path("/records"), content=b"\xff\xfe\x00", headers={**tenant.headers, **NDJSON}
    )
    assert_problem(binary, 422, "invalid-input")
    form = await api.client.post(
        tenant.path("/records"),
        content=b"a=1",
        headers={**tenant.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(form, 415, "unsupported-media-type")
    assert api.services.runtime.records.counts(tenant_id=tenant.id) == {}


async def test_delete_marks_the_record_deleted_and_waiting(api: Api) -> None:
    """A deleted record stays readable, deleted and pending (its QBO object is voided or
    deleted by the next sync); deleting what was never sent is 404."""
    tenant = await shop(api)
    await api.put(tenant.id, tenant.key, customer("c1", "Alice"))
    deleted = await api.client.delete(tenant.path("/records/customer/c1"), headers=tenant.headers)
    assert deleted.status_code == 200
    assert deleted.json()["deleted_at"] is not None and deleted.json()["sync_status"] == "pending"
    missing = await api.client.delete(tenant.path("/records/customer/zz"), headers=tenant.headers)
    assert_problem(missing, 404, "not-found")
    assert_problem(
        await api.client.get(tenant.path("/records/customer/zz"), headers=tenant.headers),
        404,
        "not-found",
    )


async def test_list_records_pages_and_validates_its_cursor(api: Api) -> None:
    """Records a sync tried are listed in (type, id) order; a bad cursor is 422."""
    tenant = await shop(api)
    empty = await api.client.get(tenant.path("/records"), headers=tenant.headers)
    assert empty.status_code == 200 and empty.json() == []
    bad = await api.client.get(
        tenant.path("/records"), params={"after": "no-colon"}, headers=tenant.headers
    )
    assert [e["field"] for e in assert_problem(bad, 422, "invalid-input")["errors"]] == ["after"]
    wrong_status = await api.client.get(
        tenant.path("/records"), params={"status": "great"}, headers=tenant.headers
    )
    assert [e["field"] for e in assert_problem(wrong_status, 422, "invalid-input")["errors"]] == [
        "status"
    ]
