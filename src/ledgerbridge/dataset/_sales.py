"""Sales orders and the invoices that bill them.

A sales order is a production job (machined parts, maybe anodized, a setup charge), a repair
job (hours, a little stock and hardware) or a material sale. Most orders are invoiced: one
invoice per order, or one for two orders of the same customer and project (whose total is
then exactly the sum of the two orders'); other invoices bill walk-in repair work, and a few
bill warranty rework at $0. Sales tax is charged to the customers that are not exempt, on
their parts and material, after the discount.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from ledgerbridge.model import (
    ChargeLine,
    Customer,
    Discount,
    Invoice,
    Item,
    ItemLine,
    SalesOrder,
    round_money,
)

from ._shop import Shop
from ._words import SALES_CHARGES, SALES_MEMOS, TERMS

__all__ = ["make_invoices", "make_sales_orders"]

Line = ItemLine | ChargeLine

_TERM_DAYS: Final = {name: days for name, days, _ in TERMS}
_TAXED_GROUPS: Final = frozenset({"part", "raw", "hardware"})
_NUMBER_START: Final = {"sales_order": 10000, "invoice": 4000}


def _sales_memo(shop: Shop) -> str:
    """A memo as a customer writes it (their PO number, a drawing revision)."""
    draw = shop.draw
    return draw.pick(SALES_MEMOS).format(po=draw.digits(7), rev=draw.pick("ABCDEFG"))


class _Lines:
    """Sales lines for one customer: prices from the items, tax flags from the customer."""

    def __init__(self, shop: Shop, customer_id: str) -> None:
        self.shop = shop
        self.draw = shop.draw
        self.taxed = customer_id in shop.tax_rate

    def item(self, group: str, quantity: Decimal, *, fallback: str = "service") -> Line:
        items = self.shop.items_of(group) or self.shop.items_of(fallback, "part")
        item = self.draw.pick(items)
        return self.of(item, group, quantity)

    def of(self, item: Item, group: str, quantity: Decimal) -> ItemLine:
        price = item.sales_price if item.sales_price is not None else Decimal("10.00")
        if quantity >= 100 and self.draw.chance(0.5):  # a quantity break
            price = round_money(price * Decimal("0.9"))
        return ItemLine(
            item_id=item.id,
            quantity=quantity,
            unit_price=price,
            taxable=self.taxed and group in _TAXED_GROUPS,
        )

    def run_size(self, part: Item) -> Decimal:
        """How many pieces of ``part`` an order runs: a few of a $1,500 valve body, hundreds
        of a $5 spacer (about $200 to $6,000 of parts a line)."""
        price = part.sales_price or Decimal(100)
        most = int(min(max(Decimal(6000) / max(price, Decimal(1)), Decimal(1)), Decimal(500)))
        return Decimal(self.draw.between(max(1, most // 10), most))

    def charge(self, index: int) -> ChargeLine:
        """Charge ``index`` of ``SALES_CHARGES`` (setup, rush fee, freight...)."""
        description, (low, high) = SALES_CHARGES[index]
        return ChargeLine(description=description, amount=self.draw.money(low, high))

    def production(self) -> list[Line]:
        draw = self.draw
        lines: list[Line] = []
        parts = self.shop.items_of("part") or self.shop.items_of("service")
        for _ in range(draw.weighted((1, 2, 3), (60, 30, 10))):
            part = draw.pick(parts)
            line = self.of(part, "part", self.run_size(part))
            lines.append(line)
            if draw.chance(0.3) and self.shop.items_of("processing"):
                lines.append(self.item("processing", line.quantity))
        if draw.chance(0.2):
            lines.append(self.item("service", draw.quantity(1, 4, step="0.5")))
        if draw.chance(0.25):
            lines.append(self.charge(0))
        if draw.chance(0.2):
            lines.append(self.charge(2))
        return lines

    def repair(self) -> list[Line]:
        draw = self.draw
        lines: list[Line] = [
            self.item("service", draw.quantity("0.5", 12, step="0.25"))
            for _ in range(draw.weighted((1, 2), (70, 30)))
        ]
        if draw.chance(0.5):
            lines.append(self.item("raw", draw.quantity("0.5", 6, step="0.25")))
        if draw.chance(0.3):
            lines.append(self.item("hardware", Decimal(draw.between(4, 50))))
        if draw.chance(0.2):
            lines.append(self.charge(1))
        subtotal = sum((line.amount for line in lines), Decimal(0))
        if subtotal > 200 and draw.chance(0.05):
            amount = draw.money("5.00", min(Decimal("60.00"), subtotal / 4))
            lines.append(ChargeLine(description="Courtesy adjustment", amount=-amount))
        return lines

    def material(self) -> list[Line]:
        draw = self.draw
        lines: list[Line] = [
            self.item("raw", draw.quantity(1, 48, step="0.5"), fallback="part")
            for _ in range(draw.weighted((1, 2, 3), (50, 35, 15)))
        ]
        if draw.chance(0.4):
            lines.append(self.item("hardware", Decimal(draw.between(10, 400)), fallback="part"))
        if draw.chance(0.3):
            lines.append(self.charge(2))
        return lines

    def job(self) -> list[Line]:
        kind = self.draw.weighted((self.production, self.repair, self.material), (60, 25, 15))
        return kind()


def _discount(shop: Shop, subtotal: Decimal) -> Discount | None:
    draw = shop.draw
    if not draw.chance(0.12) or subtotal <= 0:
        return None
    if draw.chance(0.6):
        return Discount(percent=Decimal(draw.pick(("2.5", "5", "10"))))
    amount = Decimal(draw.pick(("25.00", "50.00", "100.00")))
    return Discount(amount=amount) if amount * 4 <= subtotal else None


def _tax(shop: Shop, customer_id: str, lines: Sequence[Line], discount: Decimal) -> Decimal:
    """The customer's rate on the taxable lines, after their share of the discount."""
    rate = shop.tax_rate.get(customer_id)
    taxable = sum((line.amount for line in lines if line.taxable), Decimal(0))
    subtotal = sum((line.amount for line in lines), Decimal(0))
    if rate is None or taxable <= 0 or subtotal <= 0:
        return Decimal("0.00")
    taxable -= round_money(discount * taxable / subtotal)
    return max(round_money(taxable * rate), Decimal("0.00"))


def _document_money(
    shop: Shop, customer_id: str, lines: Sequence[Line]
) -> tuple[Discount | None, Decimal]:
    subtotal = sum((line.amount for line in lines), Decimal(0))
    discount = _discount(shop, subtotal)
    off = discount.of(subtotal) if discount else Decimal(0)
    return discount, _tax(shop, customer_id, lines, off)


def _payer(shop: Shop) -> tuple[Customer, str | None]:
    """A customer (the bigger, the likelier) and, half the time, one of its projects."""
    draw = shop.draw
    customer = draw.weighted(shop.buyers, [shop.weight[c.id] for c in shop.buyers])
    projects = [p for p in shop.projects if p.customer_id == customer.id]
    project = draw.pick(projects).id if projects and draw.chance(0.5) else None
    return customer, project


def make_sales_orders(shop: Shop, count: int) -> None:
    """``count`` sales orders over the last six months, numbered in date order."""
    draw = shop.draw
    drafts = []
    for _ in range(count):
        customer, project = _payer(shop)
        lines = _Lines(shop, customer.id).job()
        discount, tax = _document_money(shop, customer.id, lines)
        ordered = draw.day(180, earliest=3)
        drafts.append(
            SalesOrder(
                id="draft",
                customer_id=customer.id,
                project_id=project,
                order_date=ordered,
                due_date=draw.after(ordered, 7, 45),
                lines=tuple(lines),
                discount=discount,
                tax=tax,
                memo=_sales_memo(shop) if draw.chance(0.5) else None,
            )
        )
    drafts.sort(key=lambda order: order.order_date)
    shop.sales_orders.extend(
        order.model_copy(
            update={"id": f"so-{index:05d}", "number": str(_NUMBER_START["sales_order"] + index)}
        )
        for index, order in enumerate(drafts, start=1)
    )


def _billing_groups(shop: Shop, invoices: int) -> list[list[SalesOrder]]:
    """The sales orders billed, alone or two at a time (same customer and project)."""
    draw = shop.draw
    billed = draw.sample(shop.sales_orders, round(len(shop.sales_orders) * 0.86))
    by_payer: dict[tuple[str, str | None], list[SalesOrder]] = {}
    for order in sorted(billed, key=lambda o: o.id):
        by_payer.setdefault((order.customer_id, order.project_id), []).append(order)
    groups: list[list[SalesOrder]] = []
    for orders in by_payer.values():
        while orders:
            take = 2 if len(orders) > 1 and draw.chance(0.3) else 1
            groups.append(orders[:take])
            del orders[:take]
    draw.rng.shuffle(groups)
    return groups[:invoices]


def _combined(shop: Shop, orders: Sequence[SalesOrder]) -> Invoice:
    """One invoice for ``orders``: their lines, discounts and taxes, so its total is theirs."""
    draw = shop.draw
    first = orders[0]
    if len(orders) == 1:
        discount = first.discount
    else:
        off = sum((order.discount_total for order in orders), Decimal(0))
        discount = Discount(amount=off) if off > 0 else None
    day = draw.after(max(order.order_date for order in orders), 2, 25)
    return _invoice(
        shop,
        customer_id=first.customer_id,
        project_id=first.project_id,
        day=day,
        lines=tuple(line for order in orders for line in order.lines),
        discount=discount,
        tax=sum((order.tax for order in orders), Decimal(0)),
        sales_order_ids=tuple(order.id for order in orders),
        memo=first.memo,
    )


def _invoice(shop: Shop, *, customer_id: str, day: date, **fields: object) -> Invoice:
    terms = shop.terms[customer_id]
    return Invoice.model_validate(
        {
            "id": "draft",
            "customer_id": customer_id,
            "invoice_date": day,
            "due_date": day + timedelta(days=_TERM_DAYS[terms]),
            "terms": terms,
            **fields,
        }
    )


def _walk_in(shop: Shop) -> Invoice:
    """Repair work invoiced without a sales order."""
    customer, project = _payer(shop)
    lines = _Lines(shop, customer.id).repair()
    discount, tax = _document_money(shop, customer.id, lines)
    return _invoice(
        shop,
        customer_id=customer.id,
        project_id=project,
        day=shop.draw.day(175),
        lines=tuple(lines),
        discount=discount,
        tax=tax,
        memo=_sales_memo(shop) if shop.draw.chance(0.3) else None,
    )


def _warranty(shop: Shop) -> Invoice:
    """Warranty rework, billed at $0 so that the work is on record."""
    draw = shop.draw
    customer, project = _payer(shop)
    item = draw.pick(shop.items_of("service") or shop.items_of("part"))
    line = ItemLine(
        item_id=item.id,
        description="Warranty rework - no charge",
        quantity=draw.quantity(1, 6, step="0.5"),
        unit_price=Decimal("0"),
    )
    return _invoice(
        shop,
        customer_id=customer.id,
        project_id=project,
        day=draw.day(150),
        lines=(line,),
        tax=Decimal("0.00"),
        memo="Warranty rework - no charge.",
    )


def make_invoices(shop: Shop, count: int) -> None:
    """``count`` invoices (module docstring), numbered in date order."""
    zero = max(1, round(count * 0.01)) if count >= 20 else 0
    groups = _billing_groups(shop, count - zero)
    drafts = [_combined(shop, orders) for orders in groups]
    drafts += [_walk_in(shop) for _ in range(count - zero - len(groups))]
    drafts += [_warranty(shop) for _ in range(zero)]
    drafts.sort(key=lambda invoice: (invoice.invoice_date, invoice.sales_order_ids))
    shop.invoices.extend(
        invoice.model_copy(
            update={"id": f"inv-{index:05d}", "number": str(_NUMBER_START["invoice"] + index)}
        )
        for index, invoice in enumerate(drafts, start=1)
    )
