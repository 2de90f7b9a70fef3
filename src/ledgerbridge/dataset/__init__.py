"""Generated, realistic data sets of canonical records: demos, load tests, end-to-end tests.

:func:`machine_shop` makes the records of a job shop's half year: customers (a few with
sub-customers, contacts, addresses, names with apostrophes, ampersands, accents and colons),
projects, vendors, items (bar stock, hardware, machined parts, tooling, machine hours and
outside processing), sales orders, invoices (some billing two orders, with discounts, tax,
a few at $0), purchase orders with freight and fees, payments (full, partial, split,
overpaid), credit memos, refunds, bills and stock counts. It is deterministic for a seed
(one ``random.Random``, no global state), every reference resolves, and every record passes
the model's validation. :func:`machine_shop_settings` are the tenant settings under which it
syncs to a new QBO company.

``ledgerbridge records generate`` writes it as NDJSON for ``ledgerbridge records import``.
This package imports only ``ledgerbridge.model`` (``pyproject.toml``, import-linter).
"""

from ._machine_shop import (
    HISTORY,
    MACHINE_SHOP_START,
    MIN_RECORDS,
    machine_shop,
    machine_shop_counts,
)
from ._settings import machine_shop_settings

__all__ = [
    "HISTORY",
    "MACHINE_SHOP_START",
    "MIN_RECORDS",
    "machine_shop",
    "machine_shop_counts",
    "machine_shop_settings",
]
