"""The sync benchmark's baseline: python-quickbooks, unmodified, in the loop its README teaches.

For each invoice: look the customer up by name and create it if missing, the same for each
item, then create the invoice; one request at a time. It runs in a company of its own on the
same emulator with the same settings. A README loop would also crash on an apostrophe in a
name (python-quickbooks does escape quotes in ``filter``) and on a colon (QBO refuses it), so
names go through ``qbo_name`` first, as any working integration must.

**The sample.** The loop's rate depends on how often it creates a customer or an item
instead of finding one: over the whole data set each customer is created once and found by
its later invoices. The first hundred invoices alone would create nearly every customer they
name, a rate no full run has. So the sample is every k-th invoice of the data set (k = its
invoices / the sample), and before the timed loop the company is given, untimed, the
customers and items that the invoices *outside* the sample would have created first: in the
timed loop a customer or an item is created exactly when the full run would create it at a
sampled invoice. Its writes per request are then those of the full run, whose rate it
estimates without the hours a full run would take at this pace.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from benchkit import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Admin, statuses
from ledgerbridge.mapping import qbo_name
from ledgerbridge.model import AnyRecord, Invoice, ItemLine

__all__ = ["baseline"]

CENT: Final = Decimal("0.01")


def baseline(
    base_url: str,
    admin: Admin,
    records: Sequence[AnyRecord],
    *,
    invoices: int,
    time_scale: float,
) -> dict[str, Any]:
    """The README loop on a sample of the data set's invoices (module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = _python_quickbooks(base_url, admin)
        by_id = {(record.type, record.id): record for record in records}
        every = [record for record in records if isinstance(record, Invoice)]
        step = max(1, len(every) // invoices)
        sample = every[::step][:invoices]
        _create_first_made_elsewhere(client, every, set(map(id, sample)), by_id)
        before = statuses(admin, client.company_id)
        started = time.monotonic()
        writes = _readme_loop(client, sample, by_id)
        wall = time.monotonic() - started
    counted = statuses(admin, client.company_id)
    counted = {status: n - before.get(status, 0) for status, n in counted.items()}
    requests_sent = sum(counted.values())
    minutes = wall * time_scale / 60
    return {
        "tool": "python-quickbooks",
        "invoices": len(sample),
        "sampled_every": step,
        "writes": writes,
        "http_requests": requests_sent,
        "wall_s": round(wall, 2),
        "ops_per_min": round(writes / minutes, 1),
        "http_requests_per_record": round(requests_sent / writes, 2),
        "throttled_429": counted.get(429, 0),
    }


def _python_quickbooks(base_url: str, admin: Admin) -> Any:
    """A python-quickbooks client connected through intuit-oauth's authorization-code flow."""
    import requests
    from intuitlib.client import AuthClient
    from intuitlib.enums import Scopes
    from quickbooks import QuickBooks

    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the emulator serves plain HTTP on loopback
    QuickBooks.api_url_v3 = QuickBooks.sandbox_api_url_v3 = f"{base_url}/v3"  # type: ignore[attr-defined]
    admin.new_company("Bench baseline")
    auth = AuthClient(
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT_URI,
        environment=f"{base_url}/.well-known/openid_sandbox_configuration/",
    )
    url = auth.get_authorization_url([Scopes.ACCOUNTING])
    answer = requests.get(url, allow_redirects=False, timeout=10)
    callback = parse_qs(urlsplit(answer.headers["location"]).query)
    realm_id = callback["realmId"][0]
    auth.get_bearer_token(callback["code"][0], realm_id=realm_id)
    return QuickBooks(
        auth_client=auth, refresh_token=auth.refresh_token, company_id=realm_id, minorversion=75
    )


def _create_first_made_elsewhere(
    client: Any,
    invoices: Sequence[Invoice],
    sampled: set[int],
    by_id: dict[tuple[str, str], AnyRecord],
) -> None:
    """Untimed: the customers and items whose first invoice is not in the sample (that
    invoice would have created them), created by the README loop's own code."""
    first: dict[tuple[str, str], Invoice] = {}
    for invoice in invoices:
        first.setdefault(("customer", invoice.customer_id), invoice)
        for line in invoice.lines:
            if isinstance(line, ItemLine):
                first.setdefault(("item", line.item_id), invoice)
    elsewhere = {key for key, invoice in first.items() if id(invoice) not in sampled}
    _readme_loop(client, [], by_id, create=sorted(elsewhere))


def _readme_loop(
    client: Any,
    invoices: Sequence[Invoice],
    by_id: dict[tuple[str, str], AnyRecord],
    *,
    create: Sequence[tuple[str, str]] = (),
) -> int:
    """For each invoice: find or create its customer, find or create each item, create the
    invoice. Returns the number of objects created. ``create``: customers and items to
    create first, without looking (the sample's set-up)."""
    from quickbooks.objects.account import Account
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice as QBInvoice
    from quickbooks.objects.item import Item

    [income] = Account.filter(Name="Sales of Product Income", qb=client)

    def new_customer(name: str) -> Any:
        customer = Customer()
        customer.DisplayName = name
        customer.save(qb=client)
        return customer

    def new_item(name: str) -> Any:
        item = Item()
        item.Name = name
        item.Type = "NonInventory"
        item.IncomeAccountRef = income.to_ref()
        item.save(qb=client)
        return item

    for kind, app_id in create:
        name = by_id[kind, app_id].name  # type: ignore[union-attr]
        if kind == "customer":
            new_customer(qbo_name(name, kind="display_name"))
        else:
            new_item(qbo_name(name, kind="item"))
    writes = 0
    for invoice in invoices:
        app_customer = by_id["customer", invoice.customer_id]
        name = qbo_name(app_customer.name, kind="display_name")  # type: ignore[union-attr]
        found = Customer.filter(DisplayName=name, qb=client)
        if found:
            customer = found[0]
        else:
            customer = new_customer(name)
            writes += 1
        qb_invoice = QBInvoice()
        qb_invoice.CustomerRef = customer.to_ref()
        qb_invoice.DocNumber = invoice.number
        for line in invoice.lines:
            if isinstance(line, ItemLine):
                app_item = by_id["item", line.item_id]
                item_name = qbo_name(app_item.name, kind="item")  # type: ignore[union-attr]
                found_items = Item.filter(Name=item_name, qb=client)
                if found_items:
                    item = found_items[0]
                else:
                    item = new_item(item_name)
                    writes += 1
                amount = (line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP)
                detail = SalesItemLineDetail()
                detail.ItemRef = item.to_ref()
                detail.Qty = float(line.quantity)
                detail.UnitPrice = float(line.unit_price)
            else:
                amount = line.amount
                detail = SalesItemLineDetail()
                [services] = Item.filter(Name="Services", qb=client)
                detail.ItemRef = services.to_ref()
            qb_line = SalesItemLine()
            qb_line.Amount = float(amount)
            qb_line.Description = getattr(line, "description", None)
            qb_line.SalesItemLineDetail = detail
            qb_invoice.Line.append(qb_line)
        qb_invoice.save(qb=client)
        writes += 1
    return writes
