"""The initial import at setup: QBO's customers and items into the app (StartProto, BPro,
Syncro's "Import Organizations from QB").

For each active QBO customer and item (Inventory, NonInventory, Service; categories and
bundles are not app records), read a page of 1,000 at a time:

* **already linked** to an app record (pushed before, or imported before): nothing to do; an
  import run twice imports nothing twice;
* **an app record of the same name** (:func:`normalize_name` of both names after
  :func:`qbo_name`, as the pusher matches; a QBO name the pusher suffixed " (Customer)" to
  get past QBO's shared name space matches too) that is not linked yet: the app record is
  **linked** to it, not duplicated (``customer.linked``, ``item.linked``), and its next push
  updates the QBO record; when several app records share the name, the first by app id is
  linked;
* **otherwise** it is stored as a QBO-owned record ``qbo-customer-<Id>`` / ``qbo-item-<Id>``
  (clean and linked, so never pushed back) and published (``customer.imported``,
  ``item.imported``, with the record) for the host app to create.

Sub-customers are imported after their parents, with ``parent_id`` naming the parent's app
record (linked or imported in the same run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, Final

from ledgerbridge.mapping import (
    MappingError,
    NameKind,
    customer_from_qbo,
    item_from_qbo,
    normalize_name,
    qbo_app_id,
    qbo_name,
    qbo_summary,
    strip_deleted_suffix,
)
from ledgerbridge.model import AnyRecord
from ledgerbridge.store import (
    InboundChange,
    InboundStore,
    LinkMatch,
    LinkRecord,
    NewEvent,
    ObjectVersion,
)

from ._inbound_changes import InboundReport, owned_write

__all__ = ["Importer"]

#: the QBO item types that are app items (:func:`item_from_qbo`)
_APP_ITEM_TYPES: Final = frozenset({"Inventory", "NonInventory", "Service"})


class _Candidates:
    """The app records of one type not linked yet, by normalized name, in app id order."""

    def __init__(self, names: Iterable[tuple[str, str]], *, kind: NameKind, suffix: str) -> None:
        self._by_name: dict[str, list[str]] = {}
        for app_id, name in names:
            try:
                cleaned = qbo_name(name, kind=kind)
            except ValueError:
                continue
            keys = {normalize_name(cleaned)}
            if suffix:
                keys.add(normalize_name(cleaned + suffix))
            for key in keys:
                self._by_name.setdefault(key, []).append(app_id)
        self._taken: set[str] = set()

    def claim(self, qbo_name_text: str) -> str | None:
        """The first app record of this name not linked in this run, or ``None``."""
        key = normalize_name(strip_deleted_suffix(qbo_name_text))
        for app_id in self._by_name.get(key, ()):
            if app_id not in self._taken:
                self._taken.add(app_id)
                return app_id
        return None


class Importer:
    """Builds the changes of one tenant's initial import (module docstring)."""

    def __init__(self, *, tenant_id: str, inbound: InboundStore, report: InboundReport) -> None:
        self._tenant = tenant_id
        self._inbound = inbound
        self._report = report

    def customers(self, rows: Sequence[Mapping[str, Any]]) -> list[InboundChange]:
        """The import of QBO customers, parents first."""
        links = self._links("Customer", rows)
        candidates = self._candidates("customer", kind="display_name", suffix=" (Customer)")
        # QBO Id -> the app id it has after this run, for the parent_id of sub-customers
        assigned = {qbo_id: link.app_id for qbo_id, link in links.items()}
        changes: list[InboundChange] = []
        for row in sorted(rows, key=_depth):
            qbo_id = str(row["Id"])
            if qbo_id in links:
                self._report.counts["already_linked"] += 1
                continue
            match = candidates.claim(str(row.get("DisplayName") or ""))
            if match is not None:
                assigned[qbo_id] = match
                changes.append(self._linked("customer", "Customer", row, match))
                continue
            app_id = qbo_app_id("customer", qbo_id)
            parent_id = assigned.get(_parent(row) or "")
            change = self._imported(
                "customer", row, partial(customer_from_qbo, row, app_id=app_id, parent_id=parent_id)
            )
            if change is not None:
                assigned[qbo_id] = app_id
                changes.append(change)
        return changes

    def items(self, rows: Sequence[Mapping[str, Any]]) -> list[InboundChange]:
        """The import of QBO items (categories give their items' ``category``)."""
        categories = {
            str(row["Id"]): str(row.get("Name") or "")
            for row in rows
            if row.get("Type") == "Category"
        }
        sellable = [row for row in rows if str(row["Id"]) not in categories]
        links = self._links("Item", sellable)
        candidates = self._candidates("item", kind="item", suffix="")
        changes: list[InboundChange] = []
        for row in sellable:
            qbo_id = str(row["Id"])
            if qbo_id in links:
                self._report.counts["already_linked"] += 1
                continue
            if row.get("Type") not in _APP_ITEM_TYPES:
                self._report.counts["ignored"] += 1  # a bundle: not an app record
                continue
            match = candidates.claim(str(row.get("Name") or ""))
            if match is not None:
                changes.append(self._linked("item", "Item", row, match))
                continue
            category = categories.get(_parent(row) or "")
            app_id = qbo_app_id("item", qbo_id)
            change = self._imported(
                "item", row, partial(item_from_qbo, row, app_id=app_id, category=category)
            )
            if change is not None:
                changes.append(change)
        return changes

    # -- helpers ------------------------------------------------------------------------------
    def _links(self, entity: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, LinkRecord]:
        ids = [str(row["Id"]) for row in rows]
        return self._inbound.links(tenant_id=self._tenant, qbo_type=entity, qbo_ids=ids)

    def _candidates(self, record_type: str, *, kind: NameKind, suffix: str) -> _Candidates:
        names = self._inbound.app_names(tenant_id=self._tenant, record_type=record_type)
        return _Candidates(
            ((name.app_id, name.name) for name in names if not name.linked),
            kind=kind,
            suffix=suffix,
        )

    def _linked(
        self, record_type: str, entity: str, row: Mapping[str, Any], app_id: str
    ) -> InboundChange:
        qbo_id = str(row["Id"])
        version = ObjectVersion(entity, qbo_id, str(row["SyncToken"]))
        message = (
            f"Linked by name to QuickBooks {entity} {qbo_id} at the import; the next sync "
            "updates it."
        )
        event = NewEvent(
            f"{record_type}.linked", record_type, app_id, entity, qbo_id, {"qbo": qbo_summary(row)}
        )
        return InboundChange(version, (event,), match=LinkMatch(record_type, app_id, message))

    def _imported(
        self, record_type: str, row: Mapping[str, Any], build: Callable[[], AnyRecord | None]
    ) -> InboundChange | None:
        """The import of ``row`` as a QBO-owned record made by ``build()``; ``None`` (and a
        problem reported) when QBO's data does not make a valid record."""
        entity = "Customer" if record_type == "customer" else "Item"
        qbo_id = str(row["Id"])
        try:
            record = build()
        except MappingError as error:
            self._report.counts["failed"] += 1
            self._report.problems.append(error.user_message)
            return None
        if record is None:
            return None
        event = NewEvent(
            f"{record_type}.imported",
            record_type,
            record.id,
            entity,
            qbo_id,
            {"record": record.model_dump(mode="json"), "qbo": qbo_summary(row)},
        )
        version = ObjectVersion(entity, qbo_id, str(row["SyncToken"]))
        write = owned_write(record, message="Imported from QuickBooks.")
        return InboundChange(version, (event,), owned=write)


def _depth(row: Mapping[str, Any]) -> int:
    """How deep a customer sits under top-level customers (``Parent:Child`` names)."""
    return str(row.get("FullyQualifiedName") or "").count(":")


def _parent(row: Mapping[str, Any]) -> str | None:
    """The QBO Id of a record's parent (``ParentRef``), if it has one."""
    parent = row.get("ParentRef")
    return str(parent["value"]) if isinstance(parent, dict) and parent.get("value") else None
