"""A payment method QBO lacks: created when the tenant allows it, else a clear failure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pushkit import World

from ledgerbridge.model import Customer, Payment, PaymentMethodSetting, TenantSettings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ZELLE = {"Zelle": PaymentMethodSetting(qbo_method="Zelle Transfer")}


def _payment(world: World, app_id: str, method: str) -> None:
    world.put(Customer(id="c1", name="Acme Tooling"))
    world.put(
        Payment(
            id=app_id,
            customer_id="c1",
            payment_date=date(2026, 3, 10),
            amount=Decimal("75.00"),
            method=method,
        )
    )


def _methods(world: World) -> dict[str, str]:
    return {m["Name"]: m["Type"] for m in world.objects("PaymentMethod")}


async def test_a_missing_method_fails_naming_it_and_the_setting(world: World) -> None:
    """Not allowed to create it: the payment fails, nothing is written, the sentence says
    which method is missing and which setting would let ledgerbridge create it."""
    world.with_settings(TenantSettings(payment_methods=ZELLE))
    _payment(world, "p1", "Zelle")
    before = _methods(world)
    result = await world.pusher.push("payment", "p1")
    assert result.outcome == "failed"
    assert result.message == (
        "QuickBooks has no payment method named 'Zelle Transfer', which this record's payment "
        "method maps to (payment_methods setting): create it in QuickBooks, map the method to "
        "one that exists, or turn on create_missing_payment_methods so that ledgerbridge "
        "creates it."
    )
    assert world.objects("Payment") == [] and _methods(world) == before
    assert ("payment", "p1") in world.dirty()


async def test_a_missing_method_is_created_once_when_allowed(world: World) -> None:
    """Allowed: the method is created (not a card: NON_CREDIT_CARD) and reused after."""
    world.with_settings(TenantSettings(payment_methods=ZELLE, create_missing_payment_methods=True))
    _payment(world, "p1", "Zelle")
    _payment(world, "p2", "zelle")
    report = await world.pusher.push_dirty()
    assert [r.outcome for r in report.results] == ["created", "created", "created"]
    assert _methods(world)["Zelle Transfer"] == "NON_CREDIT_CARD"
    created = [m for m in world.objects("PaymentMethod") if m["Name"] == "Zelle Transfer"]
    assert len(created) == 1
    refs = {p["PaymentMethodRef"]["value"] for p in world.objects("Payment")}
    assert refs == {created[0]["Id"]}


async def test_a_card_brand_is_created_as_a_credit_card_method(world: World) -> None:
    """An unmapped method named after a card brand becomes a CREDIT_CARD method."""
    world.with_settings(TenantSettings(create_missing_payment_methods=True))
    _payment(world, "p1", "Discover")
    assert (await world.pusher.push("payment", "p1")).outcome == "created"
    assert _methods(world)["Discover"] == "CREDIT_CARD"


async def test_an_existing_method_is_used_without_creating_one(world: World) -> None:
    """A method QBO has (Visa in every new company) is found by name, nothing is created."""
    world.with_settings(TenantSettings(create_missing_payment_methods=True))
    _payment(world, "p1", "Visa")
    before = _methods(world)
    assert (await world.pusher.push("payment", "p1")).outcome == "created"
    assert _methods(world) == before
    assert "paymentmethod" not in world.write_paths()


async def test_a_method_name_too_long_for_quickbooks_is_refused(world: World) -> None:
    """QBO names hold 31 characters: the payment fails with a sentence, nothing is cut."""
    name = "Northeast Regional Wire Transfer"
    world.with_settings(
        TenantSettings(
            payment_methods={"Wire": PaymentMethodSetting(qbo_method=name)},
            create_missing_payment_methods=True,
        )
    )
    _payment(world, "p1", "Wire")
    result = await world.pusher.push("payment", "p1")
    assert result.outcome == "failed"
    assert result.message is not None
    assert f"{name!r} cannot be created in QuickBooks" in result.message
    assert "at most 31 characters" in result.message
    assert name not in _methods(world)
