"""Fixtures of the emulator rule tests: a customer, a vendor, a stocked item, a bare client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emukit import Realm, inventory_body
from starlette.testclient import TestClient

from ledgerbridge.emulator import create_app

#: the test company's customer, vendor and inventory item
CUSTOMER = "Acme Fabrication"
VENDOR = "Steel Supply Co"
STOCK = "Bracket"
STOCK_QTY = 10


@pytest.fixture
def acme(realm: Realm) -> dict[str, Any]:
    """A customer with no terms and no balance."""
    return realm.create("Customer", {"DisplayName": CUSTOMER, "Notes": "key account"})


@pytest.fixture
def steel(realm: Realm) -> dict[str, Any]:
    """A vendor."""
    return realm.create("Vendor", {"DisplayName": VENDOR})


@pytest.fixture
def bracket(realm: Realm) -> dict[str, Any]:
    """An inventory item with 10 on hand."""
    return realm.create("Item", inventory_body(STOCK, STOCK_QTY))


@pytest.fixture
def anonymous(realm: Realm) -> Iterator[TestClient]:
    """A client of the same emulator that sends no Authorization header."""
    with TestClient(create_app(realm.emulator), base_url="http://emulator.test") as client:
        yield client
