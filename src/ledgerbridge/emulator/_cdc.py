"""Change data capture: every object of the named entities changed since a moment (section 11).

``GET /cdc?entities=Invoice,Customer&changedSince=2025-05-01T00:00:00-07:00`` answers the
full current objects (inactive name-list records included) and stubs of deleted ones
(``{"status": "Deleted", "Id", "MetaData": {"LastUpdatedTime"}}``), one QueryResponse per
entity, at most 1,000 objects in all, looking back at most 30 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import _faults
from ._catalog import canonical_entity
from ._clock import parse_timestamp
from ._company import Obj
from ._ledger import Ledger

__all__ = ["CDC_MAX_OBJECTS", "change_data_capture"]

CDC_MAX_OBJECTS = 1000
LOOK_BACK = timedelta(days=30)
#: Intuit's CDC does not serve these (section 11), nor the emulator's singletons.
_UNSUPPORTED = frozenset({"TaxCode", "CompanyInfo", "Preferences"})


def _entities(text: str) -> list[str]:
    names: list[str] = []
    for raw in text.split(","):
        if not raw.strip():
            continue
        entity = canonical_entity(raw.strip())
        if entity is None or entity in _UNSUPPORTED:
            raise _faults.invalid_query(f"CDC is not supported for entity {raw.strip()}")
        if entity not in names:
            names.append(entity)
    if not names:
        raise _faults.required_param("entities")
    return names


def change_data_capture(ledger: Ledger, entities: str, changed_since: str) -> list[Obj]:
    """The ``CDCResponse`` array of a CDC request.

    Objects are taken oldest change first; when more than 1,000 changed, the newest are left
    out (the reference says Intuit caps the response; which ones it drops is UNVERIFIED), so
    a client that advances its bookmark to the newest LastUpdatedTime it received picks up
    the rest on its next call. A ``changedSince`` older than 30 days is refused (4001); the
    2020 sandbox recording shows leniency, production behaviour is UNVERIFIED.
    """
    names = _entities(entities)
    zone = ledger.clock.zone
    if not changed_since:
        raise _faults.required_param("changedSince")
    try:
        since = parse_timestamp(changed_since, zone)
    except ValueError:
        raise _faults.invalid_query(f"changedSince is not a date-time: {changed_since}") from None
    if ledger.clock.now() - since > LOOK_BACK:
        raise _faults.invalid_query("changedSince can not be more than 30 days in the past")
    changed: list[tuple[datetime, str, Obj]] = []
    company = ledger.company
    for entity in names:
        for obj in company.objects[entity].values():
            moment = parse_timestamp(obj["MetaData"]["LastUpdatedTime"], zone)
            if moment >= since:
                changed.append((moment, entity, obj))
        for object_id, deleted_at in company.deleted[entity].items():
            moment = parse_timestamp(deleted_at, zone)
            if moment >= since:
                stub = {
                    "domain": "QBO",
                    "status": "Deleted",
                    "Id": object_id,
                    "MetaData": {"LastUpdatedTime": deleted_at},
                }
                changed.append((moment, entity, stub))
    changed.sort(key=lambda entry: entry[0])
    by_entity: dict[str, list[Obj]] = {entity: [] for entity in names}
    for _, entity, obj in changed[:CDC_MAX_OBJECTS]:
        by_entity[entity].append(obj)
    responses: list[dict[str, Any]] = []
    for entity in names:
        found = by_entity[entity]
        if found:
            responses.append({entity: found, "startPosition": 1, "maxResults": len(found)})
        else:
            responses.append({})
    return [{"QueryResponse": responses}]
