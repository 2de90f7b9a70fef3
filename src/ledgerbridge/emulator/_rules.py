"""The contract between the write pipeline and each entity family's business rules."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import _faults
from ._catalog import CATALOG, REFERENCE_TARGETS
from ._clock import Clock, format_timestamp
from ._company import Company, Obj

__all__ = ["API_USER", "UI_USER", "Context", "Rules", "decimal_of", "fill_refs", "ref_id", "touch"]

#: Whom a Stale Object error names: the connected app's user, or a person in the QBO UI.
API_USER = "Emulator User"
UI_USER = "QuickBooks User"


@dataclass(frozen=True)
class Context:
    """What a rule may look at and change while one write runs."""

    company: Company
    clock: Clock
    include: frozenset[str] = frozenset()
    editor: str = API_USER
    #: (entity, id) -> the object as it was before this write changed it as a side effect
    changed: dict[tuple[str, str], Obj] = field(default_factory=dict)
    #: what this write did, as (entity, id, operation) with Intuit's webhook operation names
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    def changing(self, entity: str, obj: Obj) -> Obj:
        """Note that a side effect is about to change ``obj``; returns it for chaining.

        When the write completes, every object that really changed gets one SyncToken bump
        and a new LastUpdatedTime (:meth:`settle`), however many effects touched it.
        """
        self.changed.setdefault((entity, obj["Id"]), copy.deepcopy(obj))
        return obj

    def settle(self) -> None:
        for (entity, object_id), before in self.changed.items():
            obj = self.company.get(entity, object_id)
            if obj is not None and obj != before:
                touch(self, obj)
                self.changes.append((entity, object_id, "Update"))
        self.changed.clear()

    def now(self) -> str:
        return format_timestamp(self.clock.now())

    def today(self) -> str:
        return self.clock.today().isoformat()


class Rules:
    """An entity family's rules. The default has none: a plain list entity."""

    def prepare(self, ctx: Context, entity: str, new: Obj, old: Obj | None) -> None:
        """Validate ``new`` and fill what the server computes; raise a Fault to refuse."""

    def apply(self, ctx: Context, entity: str, obj: Obj, sign: int) -> None:
        """Apply (``sign=1``) or take back (``sign=-1``) the object's effects on others.

        Called with -1 on the stored version before an update, delete or void, and with +1 on
        the version being stored. Feasibility is checked in :meth:`prepare`, so this must not
        fail.
        """

    def before_delete(self, ctx: Context, entity: str, obj: Obj) -> None:
        """Refuse a delete the way QBO does (e.g. an invoice that payments still link)."""

    def void(self, ctx: Context, entity: str, obj: Obj) -> None:
        """Turn ``obj`` (a copy of the stored object) into its voided form."""
        raise _faults.business_validation(f"{entity} cannot be voided.")


def ref_id(obj: Obj, name: str) -> str | None:
    ref = obj.get(name)
    if isinstance(ref, dict):
        value = ref.get("value")
        return str(value) if value is not None else None
    return None


def touch(ctx: Context, obj: Obj) -> None:
    """Record a change QBO made to an object as a side effect (a link, a balance)."""
    obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
    obj["MetaData"] = {**obj["MetaData"], "LastUpdatedTime": ctx.now()}


def _display_name(entity: str, target: Obj) -> str | None:
    spec = CATALOG[entity]
    if spec.name_field is None or entity == "TaxCode":
        # QBO returns tax code references bare ({"value": "NON"}, recorded in section 1.7),
        # including the line default it fills in itself; naming them on update would make a
        # write that changes nothing look like a change (a SyncToken bump, section 4.1).
        return None
    value = target.get("FullyQualifiedName") or target.get(spec.name_field)
    return str(value) if value is not None else None


def fill_refs(ctx: Context, entity: str, value: Any, path: str = "") -> None:
    """Check every reference inside ``value`` and fill in its ``name`` as QBO does.

    A reference to an object that never existed is 2500 (Invalid Reference Id); to an
    inactive one, 610 (Object Not Found), the error QBO returns for a txn that uses an item
    or customer made inactive.
    """
    if isinstance(value, list):
        for item in value:
            fill_refs(ctx, entity, item, path)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key == "LinkedTxn":
            continue
        target_entity = entity if key == "ParentRef" else REFERENCE_TARGETS.get(key)
        if target_entity is not None and isinstance(item, dict) and "value" in item:
            target_id = str(item["value"])
            target = ctx.company.get(target_entity, target_id)
            element = f"{path}{key}"
            if target is None:
                raise _faults.invalid_reference(element, target_id)
            if target.get("Active") is False:
                raise _faults.object_not_found(element=element)
            item["value"] = target_id
            name = _display_name(target_entity, target)
            if name is not None:
                item["name"] = name
        elif isinstance(item, (dict, list)):
            fill_refs(ctx, entity, item, f"{path}{key}.")


def decimal_of(obj: Obj, name: str) -> Decimal:
    value = obj.get(name)
    return value if isinstance(value, Decimal) else Decimal(value or 0)
