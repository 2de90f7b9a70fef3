"""Fixtures of the mapping tests: tenant settings and an emulator company with its Refs."""

from __future__ import annotations

from datetime import date

import pytest
from mapkit import Books, open_books

from ledgerbridge.model import TenantSettings


@pytest.fixture
def settings() -> TenantSettings:
    """A tenant with a refund account, a PO template and a start date."""
    return TenantSettings(
        refund_account="Checking",
        sync_start_date=date(2026, 1, 1),
        doc_number_templates={"purchase_order": "PO-{number}"},
    )


@pytest.fixture
def books() -> Books:
    """A fresh company in the emulator's in-process ledger."""
    return open_books()
