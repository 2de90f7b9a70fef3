"""InventoryAdjustment: a change of quantity on hand without a sale or a purchase.

Each line is an ``ItemAdjustmentLineDetail`` with an inventory ``ItemRef`` and a ``QtyDiff``
(positive adds stock); ``AdjustAccountRef`` names the offsetting account (Inventory Shrinkage
in a new company).
"""

from __future__ import annotations

from . import _faults
from ._company import Obj
from ._lines import move_quantity, number_lines, require_lines
from ._payload import to_decimal
from ._rules import Context, Rules, ref_id

__all__ = ["InventoryAdjustmentRules"]

_DETAIL = "ItemAdjustmentLineDetail"


class InventoryAdjustmentRules(Rules):
    def prepare(self, ctx: Context, entity: str, new: Obj, old: Obj | None) -> None:
        if not new.get("AdjustAccountRef"):
            raise _faults.required_param("AdjustAccountRef")
        lines = []
        for line in require_lines(entity, new):
            line = dict(line)
            if line["DetailType"] != _DETAIL:
                raise _faults.invalid_enumeration("Line.DetailType", line["DetailType"])
            detail = dict(line.get(_DETAIL) or {})
            item_id = ref_id(detail, "ItemRef")
            if item_id is None:
                raise _faults.required_param("Line.ItemAdjustmentLineDetail.ItemRef")
            item = ctx.company.get("Item", item_id) or {}
            if item.get("Type") != "Inventory":
                raise _faults.business_validation(
                    f"Item {item_id} does not track quantity on hand.", "ItemRef"
                )
            if "QtyDiff" not in detail:
                raise _faults.required_param("Line.ItemAdjustmentLineDetail.QtyDiff")
            detail["QtyDiff"] = to_decimal(detail["QtyDiff"], entity=entity, name="QtyDiff")
            line[_DETAIL] = detail
            lines.append(line)
        number_lines(lines, old)
        new["Line"] = lines
        new.setdefault("TxnDate", ctx.today())

    def apply(self, ctx: Context, entity: str, obj: Obj, sign: int) -> None:
        for line in obj["Line"]:
            detail = line[_DETAIL]
            move_quantity(ctx, detail["ItemRef"], sign * detail["QtyDiff"])
