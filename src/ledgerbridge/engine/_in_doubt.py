"""Writes in doubt: found again in QuickBooks by what was sent, before they are sent again.

A create is in doubt when QuickBooks may have committed it without ledgerbridge knowing: the
answer was lost after the client's retries (:class:`~ledgerbridge.qbo.UncertainOutcomeError`)
or was a server's error page (:class:`~ledgerbridge.qbo.ServerError`: a gateway may give up
on a write QuickBooks goes on to commit), or a worker was killed with the write in flight and
left its operation open. Sending it
again under a new batch ``requestid`` would make a second object. Customers, vendors and
items are found again by name and the other transactions by DocNumber (:class:`Pusher`'s
rules), but a Payment and an InventoryAdjustment carry neither. They are looked for by
content instead, with one query for that day's objects of the type: **a Payment** with the
same date, customer, amount and applications (invoice and amount each); **an
InventoryAdjustment** with the same date, adjustment account and lines (item and quantity
change each). An object a link already holds, or that another write in doubt already took,
is not taken: two identical payments sent and both made are two matches, one sent and
made is one.

Matching by content is a judgement: a payment a person entered in QuickBooks by hand with
exactly this date, customer, amount and applications would be taken as ours. It is the same
payment, and taking it is better than posting it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from ledgerbridge.qbo import select

from ._push_support import Namespace

__all__ = ["FOUND_BY_CONTENT", "find_written", "fingerprint"]

#: the entities without a name or DocNumber to find a write by
FOUND_BY_CONTENT: Final = frozenset({"Payment", "InventoryAdjustment"})

_Fingerprint = tuple[Any, ...]


def fingerprint(entity: str, body: Mapping[str, Any]) -> _Fingerprint | None:
    """What identifies a write of ``entity``, alike for the body sent (money as text or
    ``Decimal``) and the object QuickBooks holds; ``None`` for other entities."""
    lines = body.get("Line") or []
    if entity == "Payment":
        applied = sorted(
            (str(link.get("TxnType")), str(link.get("TxnId")), _number(line.get("Amount")))
            for line in lines
            for link in line.get("LinkedTxn") or []
        )
        return (
            body.get("TxnDate"),
            _ref(body.get("CustomerRef")),
            _number(body.get("TotalAmt")),
            tuple(applied),
        )
    if entity == "InventoryAdjustment":
        adjusted = sorted(
            (_ref(detail.get("ItemRef")), _number(detail.get("QtyDiff")))
            for line in lines
            if isinstance(detail := line.get("ItemAdjustmentLineDetail"), Mapping)
        )
        return (body.get("TxnDate"), _ref(body.get("AdjustAccountRef")), tuple(adjusted))
    return None


async def find_written(
    resource: Namespace, entity: str, body: Mapping[str, Any], taken: Callable[[str], bool]
) -> dict[str, Any] | None:
    """The object of ``entity`` in QuickBooks that ``body``, sent without an answer, made; an
    object for which ``taken(Id)`` holds is passed over. ``None``: none, send it again."""
    wanted = fingerprint(entity, body)
    date = body.get("TxnDate")
    if wanted is None or not date:
        return None
    async for obj in resource.iterate(select(entity).where("TxnDate", "=", str(date))):
        if not taken(str(obj["Id"])) and fingerprint(entity, obj) == wanted:
            return obj
    return None


def _ref(value: Any) -> str | None:
    return str(value["value"]) if isinstance(value, Mapping) and "value" in value else None


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
