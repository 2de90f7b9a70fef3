"""The shop's items: raw stock, purchased hardware, parts it makes, tooling, and services.

Proportions of a job shop's item list: about two thirds inventory (bar stock sold by the foot
with decimal quantities on hand, hardware priced below the cent, finished parts with part
numbers), a sixth non-inventory tooling and supplies, and its services (machine hours,
engineering, outside processing such as anodizing, which the shop also buys).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal, TypeVar

from ledgerbridge.model import CENT, Item

from ._draw import Draw
from ._shop import Shop
from ._words import FORMS, HARDWARE, MATERIALS, PARTS, SERVICES, SIZES, SUPPLIES

__all__ = ["make_items"]

Kind = Literal["inventory", "non_inventory", "service"]
T = TypeVar("T")

_HARDWARE_FINISH: Final = ("", " stainless", " zinc-plated", " black-oxide")
_SUPPLY_PACK: Final = ("", " (2-pack)", " (5-pack)")
_PART_NOTES: Final = (
    "Machined per customer drawing, rev {}.",
    "Deburred, bagged and tagged. Drawing rev {}.",
    "Critical dims 100% inspected; rev {}.",
)
_TRIES: Final = 40


def _round(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _markup(draw: Draw, cost: Decimal, low: int, high: int, places: int = 2) -> Decimal:
    """``cost`` marked up by ``low`` to ``high`` percent."""
    return _round(cost * (100 + draw.between(low, high)) / 100, places)


class _Maker:
    """Makes items with unique names and sequential ids."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.draw = shop.draw
        self.names: set[str] = set()

    def unique(self, make: Callable[[], tuple[str, T]]) -> tuple[str, T]:
        """A name from ``make`` no item has yet (numbered when the words run out), and what
        ``make`` drew along with it."""
        for _ in range(_TRIES):
            name, extra = make()
            if name.casefold() not in self.names:
                self.names.add(name.casefold())
                return name, extra
        while True:
            name, extra = make()
            name = f"{name} #{self.draw.digits(5)}"
            if name.casefold() not in self.names:
                self.names.add(name.casefold())
                return name, extra

    def add(self, group: str, kind: Kind, name: str, **fields: object) -> None:
        shop = self.shop
        first = group not in shop.item_groups
        active = first or kind == "service" or not self.draw.chance(0.01)
        item = Item.model_validate(
            {
                "id": f"item-{len(shop.items) + 1:05d}",
                "name": name,
                "kind": kind,
                "active": active,
                **fields,
            }
        )
        shop.items.append(item)
        shop.item_groups.setdefault(group, [])
        if active:
            shop.item_groups[group].append(item)

    def category(self, name: str) -> str | None:
        """Most items sit in a category; a few were never filed."""
        return name if self.draw.chance(0.9) else None

    # -- one item of each kind ----------------------------------------------------------------
    def raw(self) -> None:
        draw = self.draw

        def name() -> tuple[str, tuple[str, str, str]]:
            material, form, size = draw.pick(MATERIALS), draw.pick(FORMS), draw.pick(SIZES)
            text = f"{material[0]} {form[0]} {size[0]}"
            return text, (f"{material[1]}-{form[1]}-{size[1]}", material[2], size[1])

        text, (sku, base, inches) = self.unique(name)
        factor = Decimal(inches) ** Decimal("1.5") * draw.between(90, 110) / 100
        cost = max(_round(Decimal(base) * factor), CENT)
        self.add(
            "raw",
            "inventory",
            text,
            sku=sku,
            description=f"{text}, 12ft lengths, sold by the foot",
            purchase_cost=cost,
            sales_price=_markup(draw, cost, 35, 80),
            quantity_on_hand=draw.quantity(2, 240, step="0.5"),
            category=self.category("Raw Stock"),
        )

    def hardware(self) -> None:
        draw = self.draw

        def name() -> tuple[str, tuple[str, tuple[str, str]]]:
            pattern, prefix, sizes, costs = draw.pick(HARDWARE)
            size = draw.pick(sizes)
            sku = f"{prefix}-{size.replace(' ', '')}-{draw.digits(3)}".upper()
            return pattern.format(size) + draw.pick(_HARDWARE_FINISH), (sku, costs)

        text, (sku, (low, high)) = self.unique(name)
        cost = draw.price(low, high, places=4)
        self.add(
            "hardware",
            "inventory",
            text,
            sku=sku,
            purchase_cost=cost,
            sales_price=_markup(draw, cost, 80, 150, places=4),
            quantity_on_hand=Decimal(draw.between(0, 4000)),
            category=self.category("Hardware"),
        )

    def part(self) -> None:
        draw = self.draw

        def name() -> tuple[str, tuple[str, tuple[str, str]]]:
            part, prefix, prices = draw.pick(PARTS)
            number = f"{prefix}-{draw.digits(4)}"
            return f"{part} {number}", (f"{number}-{draw.pick('ABCDEF')}", prices)

        text, (sku, (low, high)) = self.unique(name)
        price = draw.money(low, high)
        self.add(
            "part",
            "inventory",
            text,
            sku=sku,
            description=draw.pick(_PART_NOTES).format(draw.pick("ABCDEF")),
            sales_price=price,
            purchase_cost=_round(price * draw.between(40, 65) / 100),
            quantity_on_hand=Decimal(draw.between(0, 400)),
            category=self.category("Finished Parts"),
        )

    def supply(self) -> None:
        draw = self.draw

        def name() -> tuple[str, tuple[str, tuple[str, str]]]:
            pattern, code, sizes, costs = draw.pick(SUPPLIES)
            text = pattern.format(draw.pick(sizes)) + draw.pick(_SUPPLY_PACK)
            return text, (f"{code}-{draw.digits(5)}", costs)

        text, (sku, (low, high)) = self.unique(name)
        cost = draw.price(low, high)
        self.add(
            "supply",
            "non_inventory",
            text,
            sku=sku,
            purchase_cost=cost,
            sales_price=_markup(draw, cost, 20, 40) if draw.chance(0.6) else None,
            category=self.category("Tooling & Supplies"),
        )

    def service(self, entry: tuple[str, str, str, str]) -> None:
        text, category, price, cost = entry
        self.names.add(text.casefold())
        self.add(
            "processing" if Decimal(cost) > 0 else "service",
            "service",
            text,
            sales_price=Decimal(price),
            purchase_cost=Decimal(cost) if Decimal(cost) > 0 else None,
            category=self.category(category),
        )


def _services(draw: Draw, count: int) -> list[tuple[str, str, str, str]]:
    """``count`` of the services, machining hours and one outside process always among them."""
    processing = [s for s in SERVICES if Decimal(s[3]) > 0]
    rest = [s for s in SERVICES[1:] if s is not processing[0]]
    draw.rng.shuffle(rest)
    return [SERVICES[0], processing[0], *rest][:count]


def make_items(shop: Shop, count: int) -> None:
    """``count`` items (module docstring for the mix); at least one inventory item and one
    service."""
    draw, maker = shop.draw, _Maker(shop)
    services = _services(draw, min(len(SERVICES), max(1, round(count * 0.09))))
    supplies = max(0, min(round(count * 0.18), count - len(services) - 1))
    stocked = count - len(services) - supplies
    raw, hardware = round(stocked * 0.4), round(stocked * 0.25)
    plan = (
        [maker.part] * max(1, stocked - raw - hardware)
        + [maker.raw] * raw
        + [maker.hardware] * hardware
        + [maker.supply] * supplies
    )
    for entry in services:
        maker.service(entry)
    for make in plan[: count - len(services)]:
        make()
