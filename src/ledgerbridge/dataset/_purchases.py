"""Purchase orders, vendor bills, and the stock counts that end the period.

Purchase orders buy bar stock in 12 ft lengths, hardware by the hundred and tooling, with
freight and fees as cost lines; older orders have been received or finished (they become
bills in QBO), recent ones are still on order. Bills are what arrives without a purchase
order: outside processing (anodizing, heat treat), machine repair and calibration, inbound
freight, utilities. Inventory levels are the stock counts of the last month.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from ledgerbridge.model import (
    CENT,
    Bill,
    CostLine,
    InventoryLevel,
    Item,
    PurchaseItemLine,
    PurchaseOrder,
    Vendor,
)

from ._draw import Draw
from ._parties import company_domain
from ._shop import SHOP_ADDRESS, Shop
from ._words import COST_LINES, PURCHASE_MEMOS

__all__ = ["make_bills", "make_inventory_levels", "make_purchase_orders"]

PurchaseLine = PurchaseItemLine | CostLine
Status = Literal["ordered", "received", "finished"]

#: vendor role -> the item group it sells
_SUPPLIES: Final = {"material": "raw", "hardware": "hardware", "tooling": "supply"}
_BOUGHT: Final = ("raw", "hardware", "supply", "part")
_NUMBER_START: Final = 7000
#: what service vendors bill: (description, amount range, QBO expense account)
_SERVICE_BILLS: Final = (
    ("Spindle rebuild - Haas VF-2", ("1800.00", "4800.00"), "Repair & Maintenance"),
    ("Annual calibration - CMM and gauges", ("650.00", "1900.00"), "Repair & Maintenance"),
    ("Compressor service and filters", ("240.00", "880.00"), "Repair & Maintenance"),
    ("Way cover repair", ("320.00", "1250.00"), "Repair & Maintenance"),
)


def _cost(draw: Draw, item: Item) -> Decimal:
    """What the vendor charges this time: the item's cost, give or take 5%."""
    base = item.purchase_cost if item.purchase_cost is not None else Decimal("10.00")
    places = CENT if base == base.quantize(CENT) else Decimal("0.0001")  # small parts
    return (base * draw.between(95, 105) / 100).quantize(places, rounding=ROUND_HALF_UP)


def _quantity(draw: Draw, group: str) -> Decimal:
    if group == "raw":
        return Decimal(12 * draw.between(1, 12))  # feet, in 12 ft lengths
    if group == "hardware":
        return Decimal(100 * draw.between(1, 20))
    return Decimal(draw.between(1, 12))


def _item_lines(shop: Shop, group: str) -> list[PurchaseLine]:
    draw = shop.draw
    items = shop.items_of(group) or shop.items_of(*_BOUGHT)
    lines: list[PurchaseLine] = []
    for item in draw.sample(items, draw.weighted((1, 2, 3, 4), (40, 30, 20, 10))):
        lines.append(
            PurchaseItemLine(
                item_id=item.id, quantity=_quantity(draw, group), unit_cost=_cost(draw, item)
            )
        )
    return lines


def _cost_line(draw: Draw, index: int) -> CostLine:
    description, (low, high), account = COST_LINES[index]
    return CostLine(
        description=description,
        amount=draw.money(low, high),
        account=account if draw.chance(0.5) else None,
    )


def _cost_lines(draw: Draw, role: str, subtotal: Decimal) -> list[PurchaseLine]:
    lines: list[PurchaseLine] = []
    if draw.chance(0.55):
        lines.append(_cost_line(draw, 0))
    elif draw.chance(0.05):  # freight prepaid: a line of nothing, which QBO never sees
        lines.append(CostLine(description="Freight - prepaid", amount=Decimal("0.00")))
    if role == "material" and draw.chance(0.25):
        lines.append(_cost_line(draw, 1))
    if subtotal < 150 and draw.chance(0.3):
        lines.append(_cost_line(draw, 2))
    if role == "tooling" and draw.chance(0.1):
        lines.append(_cost_line(draw, 3))
    return lines


def _status(draw: Draw, age: int) -> Status:
    """Orders older than ten days have mostly been received; some are finished."""
    if age < 10:
        return "ordered"
    statuses: tuple[Status, ...] = ("received", "finished", "ordered")
    return draw.weighted(statuses, (50, 30, 20))


def _purchase_order(shop: Shop, vendor: Vendor, role: str) -> PurchaseOrder:
    draw = shop.draw
    lines = _item_lines(shop, _SUPPLIES.get(role, "raw"))
    subtotal = sum((line.amount for line in lines), Decimal(0))
    lines += _cost_lines(draw, role, subtotal)
    ordered = draw.day(180)
    status = _status(draw, (draw.start - ordered).days)
    orders = shop.sales_orders
    if orders and draw.chance(0.4):
        reference: str | None = f"For SO-{draw.pick(orders).number}"
    else:
        reference = draw.pick((f"Job {draw.digits(4)}", "Restock to min qty", None))
    return PurchaseOrder(
        id="draft",
        vendor_id=vendor.id,
        order_date=ordered,
        due_date=draw.after(ordered, 5, 21),
        lines=tuple(lines),
        ship_to=SHOP_ADDRESS if draw.chance(0.85) else None,
        vendor_email=f"po@{company_domain(vendor.name)}" if draw.chance(0.15) else None,
        memo=draw.pick(PURCHASE_MEMOS) if draw.chance(0.4) else None,
        internal_reference=reference,
        status=status,
        received_date=draw.after(ordered, 3, 20) if status != "ordered" else None,
    )


def make_purchase_orders(shop: Shop, count: int) -> None:
    """``count`` purchase orders to material, hardware and tooling vendors, numbered in date
    order (the tenant's template makes them ``PO-7001``...)."""
    draw = shop.draw
    drafts = []
    for _ in range(count):
        role = draw.weighted(("material", "hardware", "tooling"), (50, 25, 25))
        drafts.append(_purchase_order(shop, draw.pick(shop.vendors_of(role)), role))
    drafts.sort(key=lambda order: order.order_date)
    shop.purchase_orders.extend(
        order.model_copy(update={"id": f"po-{index:05d}", "number": str(_NUMBER_START + index)})
        for index, order in enumerate(drafts, start=1)
    )


def _bill_lines(shop: Shop, role: str, billed: date) -> list[PurchaseLine]:
    draw = shop.draw
    processing = shop.items_of("processing")
    if role == "processing" and processing:
        item = draw.pick(processing)
        lines: list[PurchaseLine] = [
            PurchaseItemLine(
                item_id=item.id,
                description=f"Lot {draw.digits(5)}",
                quantity=Decimal(draw.between(10, 500)),
                unit_cost=_cost(draw, item),
            )
        ]
        if draw.chance(0.3):
            lines.append(_cost_line(draw, 0))
        return lines
    if role == "freight":
        return [
            CostLine(
                description=f"Inbound freight - PRO {draw.digits(9)}",
                amount=draw.money("45.00", "620.00"),
                account="Shipping, Freight & Delivery",
            )
            for _ in range(draw.between(1, 3))
        ]
    if role == "utility":
        month = (billed.replace(day=1) - timedelta(days=1)).strftime("%B %Y")  # last month
        return [
            CostLine(
                description=f"Electric service {month}",
                amount=draw.money("1200.00", "5400.00"),
                account="Utilities",
            )
        ]
    description, (low, high), account = draw.pick(_SERVICE_BILLS)
    return [CostLine(description=description, amount=draw.money(low, high), account=account)]


def make_bills(shop: Shop, count: int) -> None:
    """``count`` vendor bills for work and services bought without a purchase order."""
    draw = shop.draw
    roles = ("processing", "service", "freight", "utility")
    numbers: set[str] = set()
    drafts = []
    for _ in range(count):
        role = draw.weighted(roles, (50, 20, 20, 10))
        vendor = draw.pick(shop.vendors_of(role))
        number = f"INV-{draw.digits(6)}"
        while number in numbers:
            number = f"INV-{draw.digits(6)}"
        numbers.add(number)
        billed = draw.day(175)
        drafts.append(
            Bill(
                id="draft",
                vendor_id=vendor.id,
                number=number,
                bill_date=billed,
                due_date=draw.after(billed, 30, 30),
                lines=tuple(_bill_lines(shop, role, billed)),
                memo=f"Vendor invoice {number}" if draw.chance(0.3) else None,
            )
        )
    drafts.sort(key=lambda bill: bill.bill_date)
    shop.bills.extend(
        bill.model_copy(update={"id": f"bill-{index:05d}"})
        for index, bill in enumerate(drafts, start=1)
    )


def make_inventory_levels(shop: Shop, count: int) -> None:
    """``count`` stock counts of inventory items over the last month, oldest first; each
    differs from the item's previous figure (else there would be nothing to adjust)."""
    draw = shop.draw
    stocked = shop.items_of("raw", "hardware", "part")
    if not stocked:
        return
    # every item counted once before any is counted twice
    order = draw.sample(stocked, len(stocked))
    counts = sorted(
        ((_moment(draw), order[index % len(order)]) for index in range(count)),
        key=lambda pair: (pair[0], pair[1].id),
    )
    books = {item.id: item.quantity_on_hand or Decimal(0) for item in stocked}
    for index, (moment, item) in enumerate(counts, start=1):
        books[item.id] = _counted(draw, books[item.id])
        shop.inventory_levels.append(
            InventoryLevel(
                id=f"stock-{index:05d}",
                item_id=item.id,
                quantity_on_hand=books[item.id],
                as_of=moment,
            )
        )


def _moment(draw: Draw) -> datetime:
    """A time in the shop's working hours of the last 30 days (UTC)."""
    moment = time(draw.between(7, 16), draw.pick((0, 15, 30, 45)), tzinfo=UTC)
    return datetime.combine(draw.day(30), moment)


def _counted(draw: Draw, before: Decimal) -> Decimal:
    """What a count finds where the books say ``before``: a little more or less (half feet
    of bar stock, whole pieces of the rest), never the same, never below zero."""
    step = Decimal("0.5") if before != before.to_integral_value() else Decimal(1)
    change = step * draw.between(1, 10)
    return before - change if draw.chance(0.6) and before >= change else before + change
