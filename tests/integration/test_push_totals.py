"""After each write QBO's TotalAmt is compared with the app's total; a difference is a warning.

Per-line rounding as QBO does (half-up to the cent) keeps awkward quantities and prices from
causing one; a QBO that computes differently (here its automated sales tax) causes one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
from pushkit import World, money, open_world

from ledgerbridge.model import (
    Customer,
    Discount,
    Invoice,
    Item,
    ItemLine,
    PurchaseItemLine,
    PurchaseOrder,
    Vendor,
    round_money,
)
from ledgerbridge.store import Database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

#: the rate of the automated sales tax below
AST_RATE = Decimal("0.08")


class AutomatedSalesTax(httpx.AsyncBaseTransport):
    """QBO's automated sales tax, which the emulator does not have: QBO computes a sales
    form's tax itself (here 8 % of its taxable lines) and ignores the TotalTax it is sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/invoice"):
            body = json.loads(await request.aread())
            taxable = sum(
                (
                    money(line["Amount"])
                    for line in body.get("Line", [])
                    if line.get("SalesItemLineDetail", {}).get("TaxCodeRef") == {"value": "TAX"}
                ),
                Decimal(0),
            )
            body["TxnTaxDetail"] = {"TotalTax": str(round_money(taxable * AST_RATE))}
            headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"content-length"]
            request = httpx.Request(
                request.method,
                request.url,
                headers=headers,
                content=json.dumps(body).encode(),
                extensions=request.extensions,
            )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def taxing_world(database: Database) -> AsyncIterator[World]:
    """A world whose QBO company computes its own sales tax."""
    async with open_world(database, wrap=AutomatedSalesTax) as world:
        yield world


def _invoice(*lines: ItemLine, tax: str = "0", discount: Discount | None = None) -> Invoice:
    return Invoice(
        id="inv1",
        customer_id="c1",
        number="1001",
        invoice_date=date(2026, 3, 2),
        lines=lines,
        tax=Decimal(tax),
        discount=discount,
    )


def _basics(world: World) -> None:
    world.put(Customer(id="c1", name="Acme Tooling"))
    world.put(Item(id="s1", name="Machining", kind="service"))
    world.put(Item(id="s2", name="Deburring", kind="service"))


async def test_a_total_quickbooks_computes_differently_is_a_visible_warning(
    taxing_world: World,
) -> None:
    """QBO adds 8 % tax the app did not send: pushed, with a warning on the link naming
    both totals; once the app sends the same tax, the warning is gone."""
    world = taxing_world
    _basics(world)
    line = ItemLine(item_id="s1", quantity=Decimal(2), unit_price=Decimal("100.00"), taxable=True)
    world.put(_invoice(line))
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "created" and result.qbo_id is not None
    assert money(world.read("Invoice", result.qbo_id)["TotalAmt"]) == Decimal("216.00")
    assert result.warning == (
        "QuickBooks computed a total of 216.00 but the app's total is 200.00; check the "
        "lines, discount and tax of this record in QuickBooks."
    )
    link = world.link("invoice", "inv1")
    assert link is not None and link.last_result == "ok" and link.warning == result.warning
    assert ("invoice", "inv1") not in world.dirty()

    world.put(_invoice(line, tax="16.00"))
    again = await world.pusher.push("invoice", "inv1")
    assert again.outcome == "updated" and again.warning is None
    link = world.link("invoice", "inv1")
    assert link is not None and link.warning is None


async def test_awkward_quantities_and_prices_round_per_line_without_a_warning(
    world: World,
) -> None:
    """3 x 0.335 and 7 x 1.005 round half-up per line (1.01, 7.04) as QBO does, and a 7.5 %
    discount on 8.05 is 0.60: QBO's total is the app's, no warning."""
    _basics(world)
    world.put(
        _invoice(
            ItemLine(item_id="s1", quantity=Decimal(3), unit_price=Decimal("0.335")),
            ItemLine(item_id="s2", quantity=Decimal(7), unit_price=Decimal("1.005")),
            discount=Discount(percent=Decimal("7.5")),
        )
    )
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "created" and result.qbo_id is not None, result.message
    assert result.warning is None
    invoice = world.read("Invoice", result.qbo_id)
    item_lines = [li for li in invoice["Line"] if li["DetailType"] == "SalesItemLineDetail"]
    assert [money(li["Amount"]) for li in item_lines] == [Decimal("1.01"), Decimal("7.04")]
    assert money(invoice["TotalAmt"]) == Decimal("7.45")
    link = world.link("invoice", "inv1")
    assert link is not None and link.warning is None


async def test_awkward_purchase_costs_round_per_line_without_a_warning(world: World) -> None:
    """The same awkward quantities on a purchase order: 8.05 in QBO, no warning."""
    world.put(Vendor(id="v1", name="Steel Supply Co"))
    world.put(Item(id="i1", name="Washer", kind="non_inventory"))
    world.put(Item(id="i2", name="Shim", kind="non_inventory"))
    world.put(
        PurchaseOrder(
            id="po1",
            vendor_id="v1",
            order_date=date(2026, 3, 3),
            lines=(
                PurchaseItemLine(item_id="i1", quantity=Decimal(3), unit_cost=Decimal("0.335")),
                PurchaseItemLine(item_id="i2", quantity=Decimal(7), unit_cost=Decimal("1.005")),
            ),
        )
    )
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "created" and result.qbo_id is not None, result.message
    assert result.warning is None
    assert money(world.read("PurchaseOrder", result.qbo_id)["TotalAmt"]) == Decimal("8.05")
