"""Customers (a few with sub-customers), their projects, and the shop's vendors.

Names are unique in QBO's shared customer/vendor namespace once QBO's cleaning is applied
(``Shop.claim``); a few customers are inactive (and so receive no documents), and business is
uneven: each customer gets a Pareto weight, so a handful of big accounts place most orders.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Final

from ledgerbridge.model import Address, Contact, Customer, Project, Vendor

from ._draw import Draw, ascii_slug
from ._shop import Shop
from ._words import (
    CITIES,
    COMPANY_SUFFIXES,
    CUSTOMER_NOTES,
    FIRST_NAMES,
    INDUSTRIES,
    PARTS,
    PLACES,
    PROJECT_KINDS,
    PROJECT_STAGES,
    SITES,
    STREETS,
    SURNAMES,
    TERMS,
    VENDOR_KINDS,
)

__all__ = ["company_domain", "make_customers", "make_projects", "make_vendors"]

City = tuple[str, str, str, str, str]

#: Sales-tax rates of the customers that are not exempt.
_TAX_RATES: Final = ("0.0625", "0.0700", "0.0725", "0.0825")
#: (role, weight) of vendors
_VENDOR_ROLES: Final = (
    ("material", 25),
    ("hardware", 15),
    ("tooling", 15),
    ("processing", 20),
    ("service", 10),
    ("freight", 8),
    ("utility", 7),
)
_MAILBOXES: Final = ("ap", "accounts", "purchasing")
_UNIT: Final = ("", "", "", "Suite 200", "Bldg B", "Dock 4", "Unit 12")
#: how many tries a unique name gets before a number is added to it
_TRIES: Final = 40


def _address(draw: Draw, city: City) -> Address:
    name, region, prefix, country, _ = city
    if country == "Canada":
        # Canadian postal codes: "H2X 1Y4"
        postal = f"{prefix} {draw.between(1, 9)}{draw.pick('ABCEGHJKLMNPRSTVXY')}"
        postal += str(draw.between(1, 9))
    else:
        postal = f"{prefix}{draw.between(1, 99):02d}"
    return Address(
        line1=f"{draw.between(100, 9899)} {draw.pick(STREETS)}",
        line2=draw.pick(_UNIT) or None,
        city=name,
        region=region,
        postal_code=postal,
        country=country,
    )


def _phone(draw: Draw, city: City) -> str:
    # 555-0100 to 555-0199: the numbers reserved for fiction
    return f"({city[4]}) 555-{draw.between(100, 199):04d}"


def company_domain(name: str) -> str:
    """A company's e-mail domain: its first two words ("Summit Automation Co." ->
    "summitautomation.com")."""
    return f"{ascii_slug(''.join(name.split()[:2]))}.com"


def _unique(shop: Shop, make: Callable[[], str]) -> str:
    """A name from ``make`` that no customer or vendor has yet."""
    for _ in range(_TRIES):
        name = make()
        if shop.claim(name):
            return name
    base, number = make(), 2
    while not shop.claim(f"{base} No. {number}"):
        number += 1
    return f"{base} No. {number}"


def _company_name(draw: Draw) -> str:
    pattern = draw.between(1, 4)
    if pattern == 1:
        core = f"{draw.pick(SURNAMES)} {draw.pick(INDUSTRIES)}"
    elif pattern == 2:
        core = f"{draw.pick(PLACES)} {draw.pick(INDUSTRIES)}"
    elif pattern == 3:
        core = f"{draw.pick(SURNAMES)} & {draw.pick(['Sons', 'Daughters', draw.pick(SURNAMES)])}"
        core += f" {draw.pick(INDUSTRIES)}"
    else:
        core = f"{draw.pick(SURNAMES)}-{draw.pick(SURNAMES)} {draw.pick(INDUSTRIES)}"
    suffix = draw.pick(COMPANY_SUFFIXES)
    return f"{core} {suffix}".strip()


def _contacts(draw: Draw, domain: str, city: City) -> tuple[Contact, ...]:
    count = draw.weighted((0, 1, 2, 3), (10, 50, 30, 10))
    contacts = []
    for index in range(count):
        first, last = draw.pick(FIRST_NAMES), draw.pick(SURNAMES)
        contacts.append(
            Contact(
                first_name=first,
                last_name=last,
                email=f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}",
                phone=_phone(draw, city) if draw.chance(0.7) else None,
                primary=index == 0,
            )
        )
    return tuple(contacts)


def _customer(shop: Shop, app_id: str, name: str, parent: Customer | None) -> Customer:
    draw = shop.draw
    city = draw.pick(CITIES)
    domain = company_domain(name.split(":")[0])
    billing = _address(draw, city)
    shipping = billing if draw.chance(0.7) else _address(draw, draw.pick(CITIES))
    return Customer(
        id=app_id,
        name=name,
        company_name=name.split(":")[0] if draw.chance(0.8) else None,
        contacts=_contacts(draw, domain, city),
        billing_address=billing,
        shipping_address=shipping,
        email=f"{draw.pick(_MAILBOXES)}@{domain}" if draw.chance(0.6) else None,
        phone=_phone(draw, city) if draw.chance(0.8) else None,
        notes=draw.pick(CUSTOMER_NOTES) if draw.chance(0.2) else None,
        # the first customers stay active so that even a small data set has buyers
        active=len(shop.customers) < 5 or not draw.chance(0.02),
        parent_id=parent.id if parent else None,
    )


def _site_name(draw: Draw, parent: Customer) -> str:
    return f"{parent.name}: {draw.pick(SITES)}"


def make_customers(shop: Shop, count: int) -> None:
    """``count`` customers; about 4% are sub-customers (``"<parent>: <site>"``)."""
    draw = shop.draw
    for index in range(1, count + 1):
        parents = [c for c in shop.buyers if c.parent_id is None]
        parent = draw.pick(parents) if parents and index > 5 and draw.chance(0.04) else None
        if parent is not None:
            name = _unique(shop, partial(_site_name, draw, parent))
        else:
            name = _unique(shop, lambda: _company_name(draw))
        customer = _customer(shop, f"cust-{index:05d}", name, parent)
        shop.customers.append(customer)
        if not customer.active:
            continue
        shop.buyers.append(customer)
        shop.weight[customer.id] = draw.rng.paretovariate(1.2)
        shop.terms[customer.id] = draw.weighted([t[0] for t in TERMS], [t[2] for t in TERMS])
        if draw.chance(0.25):
            shop.tax_rate[customer.id] = Decimal(draw.pick(_TAX_RATES))


def _project_display(draw: Draw, customer: Customer) -> str:
    """A project's name as the sub-customer it may become: ``"<customer> - <project>"``."""
    part, prefix, _ = draw.pick(PARTS)
    detail = f"{prefix}-{draw.digits(4)}" if draw.chance(0.6) else part.lower()
    return f"{customer.name} - {draw.pick(PROJECT_KINDS)} {detail}"


def make_projects(shop: Shop, count: int) -> None:
    """``count`` projects (jobs) of active customers, the bigger customers more often."""
    draw = shop.draw
    weights = [shop.weight[c.id] for c in shop.buyers]
    for index in range(1, count + 1):
        customer = draw.weighted(shop.buyers, weights)
        display = _unique(shop, partial(_project_display, draw, customer))
        shop.projects.append(
            Project(
                id=f"proj-{index:05d}",
                customer_id=customer.id,
                name=display[len(customer.name) + 3 :],
                stage=draw.pick(PROJECT_STAGES),
            )
        )


def _vendor_name(draw: Draw, role: str) -> str:
    kind = draw.pick(VENDOR_KINDS[role])
    lead = draw.pick(PLACES) if draw.chance(0.6) else draw.pick(SURNAMES)
    return f"{lead} {kind} {draw.pick(COMPANY_SUFFIXES)}".strip()


def make_vendors(shop: Shop, count: int) -> None:
    """``count`` vendors in roles: material, hardware, tooling, outside processing, service,
    freight and utilities (every role present once there are enough vendors)."""
    draw = shop.draw
    roles = [role for role, _ in _VENDOR_ROLES]
    for index in range(1, count + 1):
        role = (
            roles[index - 1]
            if index <= len(roles)
            else draw.weighted(roles, [weight for _, weight in _VENDOR_ROLES])
        )
        name = _unique(shop, partial(_vendor_name, draw, role))
        city = draw.pick(CITIES)
        domain = company_domain(name)
        vendor = Vendor(
            id=f"vend-{index:05d}",
            name=name,
            company_name=name if draw.chance(0.7) else None,
            address=_address(draw, city),
            email=f"{draw.pick(['orders', 'sales', 'ar'])}@{domain}" if draw.chance(0.8) else None,
            phone=_phone(draw, city) if draw.chance(0.85) else None,
            active=index <= len(roles) or not draw.chance(0.03),
        )
        shop.vendors.append(vendor)
        if vendor.active:
            shop.vendor_roles.setdefault(role, []).append(vendor)
