"""The write pipeline every entity goes through: create, update, delete, void, read, query.

One :class:`Ledger` serves one company. It reads the body strictly, checks references, lets
the entity family's rules validate and compute, assigns Id, SyncToken and MetaData, and
applies the side effects on other objects (balances, quantities, links). A Fault raised
anywhere before the effects leaves the company unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import _faults
from ._catalog import CATALOG, NAME_LISTS, REFERENCE_TARGETS, TRANSACTIONS, EntitySpec
from ._clock import Clock
from ._company import Company, Obj
from ._inventory import InventoryAdjustmentRules
from ._lists import NameListRules
from ._payload import read_body
from ._payments import PaymentRules
from ._purchases import PurchaseRules
from ._query import count_query, parse_query, run_query
from ._rules import API_USER, UI_USER, Context, Rules, fill_refs
from ._sales import SalesRules

__all__ = ["Change", "Ledger"]


@dataclass(frozen=True)
class Change:
    """One object changed by a write: what webhooks announce and CDC reports."""

    realm_id: str
    entity: str
    id: str
    #: Create, Update, Delete, Void or Merge (Intuit's webhook operation names)
    operation: str
    last_updated: str
    #: for a Merge, the Id of the record merged away
    deleted_id: str | None = None


_names, _sales, _purchases = NameListRules(), SalesRules(), PurchaseRules()
RULES: Mapping[str, Rules] = {
    **dict.fromkeys(NAME_LISTS, _names),
    "Estimate": _sales,
    "Invoice": _sales,
    "SalesReceipt": _sales,
    "CreditMemo": _sales,
    "RefundReceipt": _sales,
    "PurchaseOrder": _purchases,
    "Bill": _purchases,
    "Payment": PaymentRules(),
    "InventoryAdjustment": InventoryAdjustmentRules(),
}
_PLAIN = Rules()
#: What the server owns on every object; a request never sets these.
_SERVER_FIELDS = ("domain", "sparse", "Id", "SyncToken", "MetaData")
#: Read-only lists: tax codes are managed through the tax service, not by POST /taxcode.
_READ_ONLY_ENTITIES = frozenset({"TaxCode"})
_QUERYABLE = tuple(CATALOG)


class Ledger:
    """Every operation on one company's objects."""

    def __init__(
        self,
        company: Company,
        clock: Clock,
        on_change: Callable[[Change], None] | None = None,
    ) -> None:
        self.company = company
        self.clock = clock
        self.on_change = on_change

    def _context(self, include: frozenset[str], editor: str) -> Context:
        return Context(self.company, self.clock, include, editor)

    # -- writes ------------------------------------------------------------------------------
    def save(
        self,
        entity: str,
        body: object,
        *,
        include: frozenset[str] = frozenset(),
        editor: str = API_USER,
    ) -> Obj:
        """``POST /{entity}``: an update when the body carries an Id, else a create."""
        if isinstance(body, dict) and body.get("Id") not in (None, ""):
            return self.update(entity, body, include=include, editor=editor)
        return self.create(entity, body, include=include, editor=editor)

    def create(
        self,
        entity: str,
        body: object,
        *,
        include: frozenset[str] = frozenset(),
        editor: str = API_USER,
        object_id: str | None = None,
    ) -> Obj:
        """Create an object; ``object_id`` (seeding only, never from the API) fixes its Id."""
        spec = CATALOG[entity]
        if spec.family == "singleton" or entity in _READ_ONLY_ENTITIES:
            raise _unsupported(entity, "Create")
        data = read_body(spec, body)
        for name in _SERVER_FIELDS:
            data.pop(name, None)
        ctx = self._context(include, editor)
        fill_refs(ctx, entity, data)
        rules = RULES.get(entity, _PLAIN)
        rules.prepare(ctx, entity, data, None)
        self._check_books(entity, data)
        now = ctx.now()
        obj: Obj = {
            "domain": "QBO",
            "sparse": False,
            "Id": object_id or self.company.next_id(entity),
            "SyncToken": "0",
            "MetaData": {"CreateTime": now, "LastUpdatedTime": now},
            **data,
        }
        if object_id is not None:
            self.company.claim_id(entity, object_id)
        rules.apply(ctx, entity, obj, 1)
        self._store(entity, obj, editor)
        self._finish(ctx, entity, obj["Id"], "Create")
        return obj

    def update(
        self,
        entity: str,
        body: object,
        *,
        include: frozenset[str] = frozenset(),
        editor: str = API_USER,
    ) -> Obj:
        spec = CATALOG[entity]
        if entity in _READ_ONLY_ENTITIES:
            raise _unsupported(entity, "Update")
        data = read_body(spec, body)
        old = self._current(spec, data)
        sparse = bool(data.pop("sparse", False))
        for name in _SERVER_FIELDS:
            data.pop(name, None)
        if sparse:
            merged = {k: copy.deepcopy(v) for k, v in old.items() if k not in _SERVER_FIELDS}
            merged.update(data)
        else:
            merged = data
        merged["Id"] = old["Id"]
        ctx = self._context(include, editor)
        fill_refs(ctx, entity, merged)
        rules = RULES.get(entity, _PLAIN)
        rules.prepare(ctx, entity, merged, old)
        self._check_books(entity, old, merged)
        obj: Obj = {
            "domain": "QBO",
            "sparse": False,
            "Id": old["Id"],
            "SyncToken": old["SyncToken"],
            "MetaData": old["MetaData"],
            **{k: v for k, v in merged.items() if k != "Id"},
        }
        if obj == old:
            return old  # QBO does not bump SyncToken on a write that changes nothing
        obj["SyncToken"] = str(int(old["SyncToken"]) + 1)
        obj["MetaData"] = {**old["MetaData"], "LastUpdatedTime": ctx.now()}
        rules.apply(ctx, entity, old, -1)
        rules.apply(ctx, entity, obj, 1)
        self._store(entity, obj, editor)
        self._finish(ctx, entity, obj["Id"], "Update")
        return obj

    def delete(self, entity: str, body: object) -> Obj:
        spec = CATALOG[entity]
        if not spec.deletable:
            raise _unsupported(
                entity,
                "Delete",
                f"{entity} is a list: make it inactive instead (sparse update, Active false).",
            )
        old = self._current(spec, _id_and_token(body))
        ctx = self._context(frozenset(), API_USER)
        rules = RULES.get(entity, _PLAIN)
        self._check_books(entity, old)
        rules.before_delete(ctx, entity, old)
        rules.apply(ctx, entity, old, -1)
        del self.company.objects[entity][old["Id"]]
        self.company.deleted[entity][old["Id"]] = ctx.now()
        self._finish(ctx, entity, old["Id"], "Delete")
        return {"domain": "QBO", "status": "Deleted", "Id": old["Id"]}

    def void(self, entity: str, body: object, *, editor: str = API_USER) -> Obj:
        spec = CATALOG[entity]
        if not spec.voidable:
            raise _unsupported(entity, "Void")
        old = self._current(spec, _id_and_token(body))
        ctx = self._context(frozenset(), editor)
        rules = RULES.get(entity, _PLAIN)
        self._check_books(entity, old)
        obj = copy.deepcopy(old)
        rules.void(ctx, entity, obj)
        obj["SyncToken"] = str(int(old["SyncToken"]) + 1)
        obj["MetaData"] = {**old["MetaData"], "LastUpdatedTime": ctx.now()}
        rules.apply(ctx, entity, old, -1)
        rules.apply(ctx, entity, obj, 1)
        self._store(entity, obj, editor)
        self._finish(ctx, entity, obj["Id"], "Void")
        return obj

    def _check_books(self, entity: str, *versions: Obj) -> None:
        """Transactions dated on or before the closing date can't change (6210).

        A person closes the books in QBO by setting ``BookCloseDate`` in the accounting
        preferences (``POST /_emulator/ui-edit`` on Preferences).
        """
        if entity not in TRANSACTIONS:
            return
        prefs = self.company.get("Preferences", "1") or {}
        closing = (prefs.get("AccountingInfoPrefs") or {}).get("BookCloseDate")
        if not closing:
            return
        for version in versions:
            if str(version.get("TxnDate", "9999-12-31")) <= str(closing):
                raise _faults.books_closed(str(closing))

    def _finish(
        self,
        ctx: Context,
        entity: str,
        object_id: str,
        operation: str,
        deleted_id: str | None = None,
    ) -> None:
        """Bump what side effects changed, then announce every change of this write."""
        ctx.settle()
        if self.on_change is None:
            return
        # to the millisecond, as Intuit's notifications carry it (MetaData keeps whole
        # seconds): two edits of one record within a second are two different events
        now = ctx.clock.now().isoformat(timespec="milliseconds")
        realm_id = self.company.realm_id
        self.on_change(Change(realm_id, entity, object_id, operation, now, deleted_id))
        for changed_entity, changed_id, changed_op in ctx.changes:
            self.on_change(Change(realm_id, changed_entity, changed_id, changed_op, now))

    def merge(self, entity: str, from_id: str, to_id: str, *, editor: str = UI_USER) -> Obj:
        """A merge made in the QBO UI: ``from_id``'s transactions move to ``to_id``, which
        stays, and ``from_id`` is gone (webhooks announce a Merge with its ``deletedId``)."""
        if entity not in _MERGEABLE:
            raise _unsupported(entity, "Merge")
        if from_id == to_id:
            raise _faults.business_validation("A record cannot be merged into itself.")
        source, target = self.read(entity, from_id), self.read(entity, to_id)
        ctx = self._context(frozenset(), editor)
        names = {ref for ref, kind in REFERENCE_TARGETS.items() if kind == entity}
        target_ref = {"value": to_id}
        name = target.get("FullyQualifiedName") or target.get(CATALOG[entity].name_field or "")
        if name:
            target_ref["name"] = str(name)
        for txn_entity in sorted(TRANSACTIONS):
            rules = RULES.get(txn_entity, _PLAIN)
            for obj in list(self.company.objects[txn_entity].values()):
                if not _refers(obj, names, from_id):
                    continue
                ctx.changing(txn_entity, obj)
                rules.apply(ctx, txn_entity, obj, -1)
                _repoint(obj, names, from_id, target_ref)
                rules.apply(ctx, txn_entity, obj, 1)
        RULES.get(entity, _PLAIN).apply(ctx, entity, source, -1)
        del self.company.objects[entity][from_id]
        self.company.deleted[entity][from_id] = ctx.now()
        self._finish(ctx, entity, to_id, "Merge", deleted_id=from_id)
        return target

    def _store(self, entity: str, obj: Obj, editor: str) -> None:
        self.company.objects[entity][obj["Id"]] = obj
        self.company.editors[f"{entity}:{obj['Id']}"] = editor

    def _current(self, spec: EntitySpec, data: Mapping[str, Any]) -> Obj:
        """The stored object a write names, after the Id and SyncToken checks (2020, 5010)."""
        object_id = data.get("Id")
        if object_id in (None, ""):
            raise _faults.required_param("Id")
        old = self.read(spec.name, str(object_id))
        token = data.get("SyncToken")
        if token in (None, ""):
            raise _faults.required_param("SyncToken")
        if str(token) != old["SyncToken"]:
            editor = self.company.editors.get(f"{spec.name}:{old['Id']}", API_USER)
            raise _faults.stale_object(editor)
        return old

    # -- reads -------------------------------------------------------------------------------
    def read(self, entity: str, object_id: str) -> Obj:
        spec = CATALOG[entity]
        if spec.family != "singleton" and entity not in _READ_ONLY_ENTITIES:
            _check_id(object_id)
        obj = self.company.get(entity, object_id)
        if obj is None:
            if object_id in self.company.deleted[entity]:
                raise _faults.object_not_found("Another user has deleted this transaction.")
            raise _faults.object_not_found()
        return obj

    def query(self, text: str) -> dict[str, Any]:
        """``GET /query``: the QueryResponse body."""
        query = parse_query(text, _QUERYABLE)
        rows: Any = self.company.objects[query.entity].values()
        # Name-list queries see only active records unless they filter on Active (3.1).
        if query.entity in NAME_LISTS and not query.filters_on("Active"):
            rows = [row for row in rows if row.get("Active", True)]
        zone = self.clock.zone
        if query.count:
            return {"totalCount": count_query(query, rows, zone)}
        found = run_query(query, rows, zone)
        if not found:
            return {}
        return {
            query.entity: found,
            "startPosition": query.start_position,
            "maxResults": len(found),
        }


#: Name lists QBO can merge in its UI.
_MERGEABLE = frozenset({"Customer", "Vendor", "Employee", "Item", "Account"})


def _refers(value: Any, names: set[str], object_id: str) -> bool:
    if isinstance(value, dict):
        return any(
            (key in names and isinstance(item, dict) and str(item.get("value")) == object_id)
            or _refers(item, names, object_id)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_refers(item, names, object_id) for item in value)
    return False


def _repoint(value: Any, names: set[str], object_id: str, target: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in names and isinstance(item, dict) and str(item.get("value")) == object_id:
                value[key] = dict(target)
            else:
                _repoint(item, names, object_id, target)
    elif isinstance(value, list):
        for item in value:
            _repoint(item, names, object_id, target)


def _check_id(object_id: str) -> None:
    if not object_id.isdigit():
        raise _faults.invalid_id(object_id)


def _id_and_token(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _faults.required_param("Id")
    return {"Id": body.get("Id"), "SyncToken": body.get("SyncToken")}


def _unsupported(entity: str, operation: str, why: str | None = None) -> _faults.FaultError:
    detail = why or f"Operation {operation} is not supported for {entity}."
    return _faults.FaultError(
        400,
        [_faults.ErrorItem("Unsupported Operation", f"Operation {operation} : {detail}", "500")],
    )
