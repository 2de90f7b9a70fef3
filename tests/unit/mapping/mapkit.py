"""A QBO company in the emulator's in-process ledger, with the Refs that point into it.

Mapping tests check payload shapes and then send the payloads to the emulator (a faithful
QBO stand-in; ``docs/emulator.md``) to see that QBO would take them. Nothing is mocked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledgerbridge.emulator import Emulator
from ledgerbridge.mapping import QBORef, Refs

Obj = dict[str, Any]

#: app ids of what every test company holds
CUSTOMER = "c-1"
OTHER_CUSTOMER = "c-2"
VENDOR = "v-1"
SERVICE = "svc"  # the "Services" item a new company is born with (Id "1")
HOURS = "hrs"  # the "Hours" item (Id "2")
STOCK = "bracket"  # an inventory item with 100 on hand


@dataclass
class Books:
    """One emulator company, and Refs resolving the app's records to its objects."""

    emulator: Emulator
    realm_id: str
    refs: Refs

    @property
    def ledger(self) -> Any:
        return self.emulator.ledger(self.realm_id)

    def create(self, entity: str, payload: Obj) -> Obj:
        """Write ``payload`` as QBO would receive it; a Fault fails the test."""
        return dict(self.ledger.create(entity, payload))

    def read(self, entity: str, object_id: str) -> Obj:
        return dict(self.ledger.read(entity, object_id))

    def add(self, table: str, app_id: str, ref: QBORef) -> None:
        """Resolve one more app record (as the engine does after creating it)."""
        current = dict(getattr(self.refs, table))
        current[app_id] = ref
        self.refs = dataclasses.replace(self.refs, **{table: current})


def open_books() -> Books:
    """A new US company with two customers, a vendor and a stocked inventory item."""
    emulator = Emulator()
    realm_id = emulator.create_company("Mapping Test Shop")
    ledger = emulator.ledger(realm_id)

    def by_name(entity: str) -> dict[str, QBORef]:
        rows = ledger.query(f"select * from {entity} maxresults 1000")[entity]
        return {row["Name"]: QBORef(row["Id"], row["Name"]) for row in rows}

    accounts = by_name("Account")
    items = by_name("Item")
    acme = ledger.create("Customer", {"DisplayName": "Acme Fabrication"})
    bolt = ledger.create("Customer", {"DisplayName": "Bolt Works"})
    steel = ledger.create("Vendor", {"DisplayName": "Steel Supply Co"})
    bracket = ledger.create(
        "Item",
        {
            "Name": "Bracket",
            "Type": "Inventory",
            "TrackQtyOnHand": True,
            "QtyOnHand": Decimal(100),
            "InvStartDate": "2026-01-01",
            "IncomeAccountRef": accounts["Sales of Product Income"].payload(),
            "ExpenseAccountRef": accounts["Cost of Goods Sold"].payload(),
            "AssetAccountRef": accounts["Inventory Asset"].payload(),
        },
    )
    refs = Refs(
        customers={
            CUSTOMER: QBORef(acme["Id"], acme["DisplayName"]),
            OTHER_CUSTOMER: QBORef(bolt["Id"], bolt["DisplayName"]),
        },
        vendors={VENDOR: QBORef(steel["Id"], steel["DisplayName"])},
        items={
            SERVICE: items["Services"],
            HOURS: items["Hours"],
            STOCK: QBORef(bracket["Id"], "Bracket"),
        },
        accounts=accounts,
        payment_methods=by_name("PaymentMethod"),
        terms=by_name("Term"),
        qbo_items={"Services": items["Services"]},
    )
    return Books(emulator, realm_id, refs)
