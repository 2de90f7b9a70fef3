"""Batch: up to 30 operations in one request, answered item by item (section 1.7).

Items run in order, each independently: a failing item is a ``Fault`` inside the HTTP 200
answer and the others still run. As Intuit documents (B-batch2017), an item cannot reference
an object created by an earlier item of the same batch: such a reference fails as one to a
missing object would (a Query item, which references nothing, does see them).
"""

from __future__ import annotations

from typing import Any

from . import _faults
from ._catalog import canonical_entity
from ._cdc import change_data_capture
from ._company import Obj
from ._ledger import Ledger

__all__ = ["run_batch"]

_ATTRIBUTES = frozenset({"bId", "operation", "optionsData"})


def run_batch(ledger: Ledger, body: object, *, max_items: int) -> dict[str, Any]:
    """The ``BatchItemResponse`` document for a batch request body."""
    if not isinstance(body, dict) or not isinstance(body.get("BatchItemRequest"), list):
        raise _faults.required_param("BatchItemRequest")
    items = body["BatchItemRequest"]
    if len(items) > max_items:
        raise _faults.batch_too_large(max_items, len(items))
    responses: list[Obj] = []
    company = ledger.company
    company.hidden.clear()
    try:
        for item in items:
            bid = str(item.get("bId", "")) if isinstance(item, dict) else ""
            try:
                result = _run_item(ledger, item)
            except _faults.FaultError as fault:
                result = {"Fault": fault.fault_json()}
            responses.append({**result, "bId": bid})
    finally:
        company.hidden.clear()
    return {"BatchItemResponse": responses}


def _run_item(ledger: Ledger, item: object) -> Obj:
    if not isinstance(item, dict):
        raise _faults.required_param("BatchItemRequest")
    if "Query" in item:
        return {"QueryResponse": ledger.query(str(item["Query"]))}
    if "CDCQuery" in item:
        query = item["CDCQuery"] if isinstance(item["CDCQuery"], dict) else {}
        return {
            "CDCResponse": change_data_capture(
                ledger, str(query.get("Entities", "")), str(query.get("ChangedSince", ""))
            )
        }
    names = [key for key in item if key not in _ATTRIBUTES]
    entity = canonical_entity(names[0]) if len(names) == 1 else None
    if entity is None:
        raise _faults.FaultError(
            400,
            [
                _faults.ErrorItem(
                    "Unsupported Operation",
                    "Operation Batch item must hold exactly one entity, a Query or a CDCQuery.",
                    "500",
                )
            ],
        )
    payload = item[names[0]]
    operation = str(item.get("operation") or "").lower()
    if not operation:
        has_id = isinstance(payload, dict) and payload.get("Id") not in (None, "")
        operation = "update" if has_id else "create"
    if operation == "create":
        obj = ledger.create(entity, payload)
        ledger.company.hidden.add((entity, obj["Id"]))
        return {entity: obj}
    if operation == "update":
        if str(item.get("optionsData") or "").lower() == "void":
            return {entity: ledger.void(entity, payload)}
        return {entity: ledger.update(entity, payload)}
    if operation == "delete":
        return {entity: ledger.delete(entity, payload)}
    if operation == "void":
        return {entity: ledger.void(entity, payload)}
    raise _faults.invalid_enumeration("operation", operation)
