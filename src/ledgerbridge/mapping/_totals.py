"""What QBO will compute as a payload's ``TotalAmt`` (``QBO-REFERENCE.md`` section 8.4).

After each write the engine compares the ``TotalAmt`` QBO answers with this; a difference is
recorded on the record as a warning (penny rounding is the most common complaint about QBO
integrations). The rules, as QBO (and the emulator) apply them:

- each item, group and expense line counts its ``Amount`` rounded half-up to the cent
  (an item line's ``Amount`` is ``round_half_up(Qty x UnitPrice, 2)``, checked by QBO:
  6070); ``DescriptionOnly`` lines count zero;
- a percent discount is ``round_half_up(subtotal x percent / 100, 2)``, a fixed one its
  ``Amount``;
- ``TotalAmt = subtotal - discount + TxnTaxDetail.TotalTax``;
- a payload without detail lines (a Payment) totals its own ``TotalAmt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from ledgerbridge.model import round_money, to_decimal

__all__ = ["expected_total"]

_COUNTED: Final = frozenset(
    {
        "SalesItemLineDetail",
        "GroupLineDetail",
        "ItemBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail",
    }
)


def _amount(value: object) -> Decimal:
    return to_decimal(0 if value in (None, "") else value)


def expected_total(payload: Mapping[str, Any]) -> Decimal:
    """The ``TotalAmt`` QBO computes for ``payload`` (module docstring)."""
    lines = [line for line in payload.get("Line") or [] if isinstance(line, Mapping)]
    if not any("DetailType" in line for line in lines):
        return round_money(_amount(payload.get("TotalAmt")))
    counted = [line for line in lines if line.get("DetailType") in _COUNTED]
    subtotal = sum((round_money(_amount(line.get("Amount"))) for line in counted), Decimal(0))
    discount = Decimal(0)
    for line in lines:
        if line.get("DetailType") != "DiscountLineDetail":
            continue
        detail = line.get("DiscountLineDetail") or {}
        if detail.get("PercentBased"):
            discount += round_money(subtotal * _amount(detail.get("DiscountPercent")) / 100)
        else:
            discount += round_money(_amount(line.get("Amount")))
    tax = round_money(_amount((payload.get("TxnTaxDetail") or {}).get("TotalTax")))
    return round_money(subtotal - discount + tax)
