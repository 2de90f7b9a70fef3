"""Name lists: an unlinked customer, vendor or item is matched by name before one is created.

A QBO record whose name matches after :func:`normalize_name` (inactive ones included, their
" (deleted)" suffix stripped) and that no other app record holds is linked and updated, which
reactivates it; else one is created.

**Duplicate-name rule**: customers, vendors and employees share one namespace in QBO
(``QBO-REFERENCE.md`` 7.1). When QBO refuses a name because another kind of record holds it
(6240), the record is written as ``"<name> (Customer)"`` or ``"<name> (Vendor)"`` and the
link carries a warning saying so; a later look-up by name matches that suffixed name too. A
raw 6240 never reaches the shop owner.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final

from ledgerbridge.mapping import Payload, normalize_name, strip_deleted_suffix
from ledgerbridge.qbo import DuplicateNameError
from ledgerbridge.store import StoredRecord

from ._push_support import (
    Namespace,
    PushFailed,
    PushOutcome,
    RecordBook,
    Written,
    renamed,
    taken,
    update_owned,
)

__all__ = ["match_or_create", "name_field", "name_matches", "update_named", "wanted_names"]

#: what the duplicate-name rule appends, per record type
_KIND_SUFFIX: Final[Mapping[str, str]] = {
    "customer": " (Customer)",
    "project": " (Customer)",
    "vendor": " (Vendor)",
}


def name_field(entity: str) -> str:
    """The field that names a record of this name list."""
    return "Name" if entity == "Item" else "DisplayName"


def wanted_names(record_type: str, entity: str, payload: Payload) -> list[str]:
    """The normalized names the record's QBO match may carry: its own, then the name the
    duplicate-name rule gives it."""
    name = str(payload[name_field(entity)])
    suffix = _KIND_SUFFIX.get(record_type)
    names = [normalize_name(name)]
    if suffix:
        names.append(normalize_name(name + suffix))
    return names


def name_matches(row: Mapping[str, Any], entity: str, wanted: Collection[str]) -> bool:
    """Whether a QBO name-list row is the record's: its name, " (deleted)" suffix stripped,
    is one of ``wanted``; an item category never is (items and categories share names)."""
    if entity == "Item" and row.get("Type") == "Category":
        return False
    return normalize_name(strip_deleted_suffix(str(row.get(name_field(entity), "")))) in wanted


async def match_or_create(
    book: RecordBook, stored: StoredRecord, resource: Namespace, entity: str, payload: Payload
) -> Written:
    """Link and update the QBO record of the same name, else create one (module docstring)."""
    field = name_field(entity)
    name = str(payload[field])
    suffix = _KIND_SUFFIX.get(stored.record_type)
    wanted = set(wanted_names(stored.record_type, entity, payload))
    match = await _match(book, resource, entity, name, wanted)
    if match is not None:
        qbo_id, sync_token = str(match["Id"]), str(match["SyncToken"])
        return await update_named(stored, resource, entity, payload, qbo_id, sync_token, "linked")
    try:
        return Written(await resource.create(payload), "created")
    except DuplicateNameError as error:
        if suffix is None:
            raise PushFailed(
                f"QuickBooks already has a record named {name!r} that ledgerbridge cannot "
                "link to this one; rename one of them.",
                code=error.code,
                intuit_tid=error.intuit_tid,
            ) from error
        renamed_to = name + suffix
        try:
            obj = await resource.create({**payload, field: renamed_to})
        except DuplicateNameError as again:
            raise PushFailed(
                taken(name, renamed_to), code=again.code, intuit_tid=again.intuit_tid
            ) from again
        return Written(obj, "created", renamed(name, renamed_to))


async def update_named(
    stored: StoredRecord,
    resource: Namespace,
    entity: str,
    payload: Payload,
    qbo_id: str,
    sync_token: str | None,
    outcome: PushOutcome,
) -> Written:
    """An update of a name-list record; a name another kind of record holds gets the
    duplicate-name rule's suffix (module docstring)."""
    field = name_field(entity)
    name = str(payload[field])
    suffix = _KIND_SUFFIX.get(stored.record_type)
    try:
        obj = await update_owned(resource, entity, payload, qbo_id, sync_token)
        return Written(obj, outcome)
    except DuplicateNameError as error:
        if suffix is None:
            raise PushFailed(
                f"Another QuickBooks item is already named {name!r}; rename one of them.",
                code=error.code,
                intuit_tid=error.intuit_tid,
            ) from error
        first = error
    renamed_to = name + suffix
    try:
        obj = await update_owned(resource, entity, {**payload, field: renamed_to}, qbo_id, None)
    except DuplicateNameError as again:
        raise PushFailed(
            taken(name, renamed_to), code=again.code, intuit_tid=again.intuit_tid
        ) from first
    return Written(obj, outcome, renamed(name, renamed_to))


async def _match(
    book: RecordBook, resource: Namespace, entity: str, name: str, wanted: set[str]
) -> dict[str, Any] | None:
    """A QBO record of ``entity`` (inactive ones too) whose name matches, not yet linked
    to another app record."""
    first = name.split()[0] if name.split() else name
    pattern = first.replace("%", "") + "%"
    query = (
        resource.select()
        .where(name_field(entity), "LIKE", pattern)
        .where("Active", "IN", [True, False])
    )
    async for row in resource.iterate(query):
        if name_matches(row, entity, wanted) and book.holder(entity, str(row["Id"])) is None:
            return row
    return None
