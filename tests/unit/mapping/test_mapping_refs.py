"""Refs: the resolved QBO references mapping reads, and what it says when one is missing."""

from __future__ import annotations

import dataclasses

import pytest

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.mapping import (
    MappingError,
    QBORef,
    Refs,
    SettingRequiredError,
    SkipRecordError,
    UnresolvedReferenceError,
)


def test_qbo_ref_payload_sends_only_the_id() -> None:
    """QBO needs only value on a write and fills the name itself (1.6)."""
    assert QBORef("42", "Acme").payload() == {"value": "42"}


def test_lookups_by_app_id_and_by_name() -> None:
    """Each table answers its own kind of reference."""
    refs = Refs(
        customers={"c": QBORef("1")},
        vendors={"v": QBORef("2")},
        items={"i": QBORef("3")},
        accounts={"Checking": QBORef("4")},
        terms={"Net 30": QBORef("3")},
    )
    assert refs.customer("c").value == "1"
    assert refs.vendor("v").value == "2"
    assert refs.item("i").value == "3"
    assert refs.account("Checking", field="refund_account").value == "4"
    assert refs.term("Net 30").value == "3"


def test_missing_reference_names_field_id_and_kind() -> None:
    """UnresolvedReferenceError(field, app_id) with a sentence that says what to do."""
    with pytest.raises(UnresolvedReferenceError) as caught:
        Refs().item("SKU-9", field="lines[3].item_id")
    error = caught.value
    assert (error.field, error.app_id, error.kind) == ("lines[3].item_id", "SKU-9", "item")
    assert str(error) == (
        "lines[3].item_id: the item 'SKU-9' has no QuickBooks record resolved yet; it must be "
        "matched or created in QuickBooks before this record is sent."
    )


def test_us_pseudo_tax_codes_need_no_entry() -> None:
    """TAX and NON are their own Ids in a US company (7.6)."""
    assert Refs().tax_code("TAX") == QBORef("TAX")
    with pytest.raises(UnresolvedReferenceError):
        Refs().tax_code("GST")


def test_refs_are_frozen_copies() -> None:
    """Changing the dict a Refs was built from does not change the Refs."""
    customers = {"c": QBORef("1")}
    refs = Refs(customers=customers)
    customers["d"] = QBORef("2")
    with pytest.raises(UnresolvedReferenceError):
        refs.customer("d")
    with pytest.raises(dataclasses.FrozenInstanceError):
        refs.customers = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        refs.customers["e"] = QBORef("3")  # type: ignore[index]


def test_error_tree() -> None:
    """Mapping errors are LedgerbridgeErrors; a skip is not a MappingError."""
    assert issubclass(UnresolvedReferenceError, MappingError)
    assert issubclass(SettingRequiredError, MappingError)
    assert issubclass(MappingError, LedgerbridgeError)
    assert issubclass(SkipRecordError, LedgerbridgeError)
    assert not issubclass(SkipRecordError, MappingError)
    assert SkipRecordError("why").user_message == "why"
