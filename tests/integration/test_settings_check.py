"""Tenant settings checked against the company's own QBO lists (:func:`check_settings`).

Each rule is provoked on a fresh emulator company (``pushkit``), whose lists are those of a
new US QBO company (``docs/emulator.md``, "Companies").
"""

from __future__ import annotations

from typing import Any

import pytest
from pushkit import World, open_world

from ledgerbridge.engine import SettingProblem, SettingsCheck, check_settings
from ledgerbridge.model import ALL_RECORD_TYPES, PaymentMethodSetting, TenantSettings
from ledgerbridge.store import Database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

#: every type but refunds: the defaults then give no warning (no refund account yet)
NO_REFUNDS = ALL_RECORD_TYPES - {"refund"}


async def _check(world: World, **changes: Any) -> SettingsCheck:
    """The check of the defaults with ``changes`` (refunds off unless changed)."""
    settings = TenantSettings(**{"enabled_types": NO_REFUNDS, **changes})
    return await check_settings(world.qbo, settings)


def _only(check: SettingsCheck) -> SettingProblem:
    [problem] = check.problems
    return problem


async def test_the_default_settings_pass_on_a_new_company(world: World) -> None:
    """TenantSettings() fits a new company; the only finding is the unset refund account."""
    check = await check_settings(world.qbo, TenantSettings())
    assert check.ok and check.errors == ()
    [warning] = check.warnings
    assert warning.field == "refund_account" and "refunds wait" in warning.problem
    # QBO takes any Other Current Asset account; only cash-based ones are offered
    assert warning.suggestions == ("Checking", "Undeposited Funds")
    assert check.options["refund_account"] == warning.suggestions


async def test_the_lists_are_read_in_five_queries_and_nothing_is_written(world: World) -> None:
    """One query per list, whatever the number of settings; no write at all."""
    settings = TenantSettings(
        refund_account="Checking",
        payment_methods={m: PaymentMethodSetting() for m in ("Cash", "Check", "Visa")},
        deposit_accounts={"Cash": "Checking", "Check": "Checking", "Visa": "Checking"},
        tax_codes={"CA": "TAX", "EX": "NON"},
    )
    before = len(world.emulator.request_log(world.realm_id))
    check = await check_settings(world.qbo, settings)
    requests = world.emulator.request_log(world.realm_id)[before:]
    assert check.ok and check.problems == ()
    assert len(requests) == 5
    assert all(r["path"].endswith("/query") for r in requests)
    assert world.writes() == []


async def test_the_lists_come_back_for_drop_downs(world: World) -> None:
    """choices holds each list's active names; options the names that fit each setting."""
    check = await _check(world)
    assert check.choices["payment_method"] == (
        "American Express",
        "Cash",
        "Check",
        "MasterCard",
        "Visa",
    )
    assert check.choices["term"] == ("Due on receipt", "Net 15", "Net 30", "Net 60")
    assert check.choices["tax_code"] == ("NON", "TAX")
    assert check.choices["item"] == ("Hours", "Services")
    assert "Opening Balance Equity" in check.choices["account"]
    assert check.options["payables_account"] == ("Accounts Payable (A/P)",)
    assert check.options["inventory_asset_account"] == ("Inventory Asset",)
    assert check.options["inventory_cogs_account"] == ("Cost of Goods Sold", "Inventory Shrinkage")
    assert check.options["deposit_accounts"] == ("Checking", "Undeposited Funds")
    assert "Advertising" not in check.options["default_income_account"]
    assert check.options["charge_item"] == ("Hours", "Services")


async def test_names_match_ignoring_case_and_spaces_and_ids_match_too(world: World) -> None:
    """Names match after normalize_name, as the pusher finds them; an Id is accepted."""
    [checking] = [a for a in world.objects("Account") if a["Name"] == "Checking"]
    check = await _check(
        world,
        refund_account="CHECKING",
        payables_account="accounts  payable (a/p)",
        deposit_accounts={"Cash": checking["Id"]},
    )
    assert check.ok and check.problems == (), [p.message for p in check.problems]


async def test_a_missing_account_is_named_with_the_closest_choices(world: World) -> None:
    """A misspelt account: the field, the value, what is wrong, and what it probably meant."""
    problem = _only(await _check(world, refund_account="Checkng"))
    assert (problem.field, problem.value, problem.severity) == (
        "refund_account",
        "Checkng",
        "error",
    )
    assert "no account named 'Checkng'" in problem.problem
    assert problem.close and problem.suggestions[0] == "Checking"
    assert problem.message.startswith("refund_account: QuickBooks has no account named")
    assert "Closest choices: 'Checking'" in problem.message


WRONG_TYPE = [
    ("refund_account", "Services", "Income"),
    ("inventory_income_account", "Checking", "Bank"),
    ("inventory_cogs_account", "Advertising", "Expense"),
    ("inventory_asset_account", "Undeposited Funds", "Other Current Asset (UndepositedFunds)"),
    ("inventory_adjustment_account", "Checking", "Bank"),
    ("default_income_account", "Cost of Goods Sold", "Cost of Goods Sold"),
    ("default_expense_account", "Services", "Income"),
    ("po_cost_account", "Accounts Payable (A/P)", "Accounts Payable"),
    ("payables_account", "Checking", "Bank"),
]


@pytest.mark.parametrize(("setting", "value", "shown"), WRONG_TYPE)
async def test_an_account_of_the_wrong_type_is_refused(
    world: World, setting: str, value: str, shown: str
) -> None:
    """Each account setting refuses an existing account of another type, offering ones that fit."""
    check = await _check(world, **{setting: value})
    problem = _only(check)
    assert not check.ok
    assert (problem.field, problem.value) == (setting, value)
    assert f"is {'an' if shown[0] in 'AEIOU' else 'a'} {shown} account" in problem.problem
    assert problem.suggestions and set(problem.suggestions) <= set(check.options[setting])


async def test_the_inventory_asset_account_needs_the_inventory_detail_type(world: World) -> None:
    """An Other Current Asset account is not enough: its detail type must be Inventory."""
    problem = _only(await _check(world, inventory_asset_account="Undeposited Funds"))
    assert "Other Current Asset account of detail type Inventory" in problem.problem
    assert problem.suggestions == ("Inventory Asset",)


async def test_a_deposit_account_of_the_wrong_type_names_its_method(world: World) -> None:
    """deposit_accounts: each method's account must be Bank or Other Current Asset."""
    problem = _only(
        await _check(world, deposit_accounts={"Card": "Advertising", "Cash": "Checking"})
    )
    assert (problem.field, problem.key, problem.value) == (
        "deposit_accounts",
        "Card",
        "Advertising",
    )
    assert problem.location == 'deposit_accounts["Card"]'
    assert "Bank or Other Current Asset" in problem.problem


async def test_a_missing_default_deposit_account_is_reported(world: World) -> None:
    """Payments without a deposit account go to Undeposited Funds; a company without it is told."""
    undeposited = next(a for a in world.objects("Account") if a["Name"] == "Undeposited Funds")
    world.emulator.ui_edit(
        world.realm_id, "Account", undeposited["Id"], {"Name": "Payments to deposit"}
    )
    problem = _only(await _check(world))
    assert (problem.field, problem.key, problem.value) == (
        "deposit_accounts",
        None,
        "Undeposited Funds",
    )
    assert "default for payment methods without a deposit account" in problem.problem
    assert "Payments to deposit" in problem.suggestions
    # Without payments there is nothing to deposit.
    assert (await _check(world, enabled_types=frozenset({"customer"}))).problems == ()


async def test_an_inactive_account_is_refused(world: World) -> None:
    """An account that exists only inactive ("... (deleted)") cannot be used."""
    petty = await world.qbo.accounts.create({"Name": "Petty Cash", "AccountType": "Bank"})
    await world.qbo.accounts.deactivate(petty["Id"], petty["SyncToken"])
    problem = _only(await _check(world, refund_account="Petty Cash"))
    assert "'Petty Cash' is inactive in QuickBooks" in problem.problem
    assert "Petty Cash" not in problem.suggestions


async def test_inventory_accounts_are_not_checked_when_the_app_masters_inventory(
    world: World,
) -> None:
    """app_master: the asset and adjustment accounts are unused, so not checked."""
    wrong = {"inventory_asset_account": "Nowhere", "inventory_adjustment_account": "Nowhere"}
    assert (await _check(world, inventory_mode="app_master", **wrong)).problems == ()
    check = await _check(world, **wrong)
    assert {p.field for p in check.errors} == set(wrong)
    assert all("app_master" in p.problem for p in check.errors)


async def test_a_missing_payment_method_is_an_error_unless_it_may_be_created(
    world: World,
) -> None:
    """A method QBO lacks is an error; with create_missing_payment_methods, a warning."""
    methods = {
        "Card": PaymentMethodSetting(qbo_method="visa"),
        "ACH": PaymentMethodSetting(),
        "Stripe": PaymentMethodSetting(sync=False),
        "Cheque": PaymentMethodSetting(qbo_method="Chek"),
    }
    check = await _check(world, payment_methods=methods)
    assert not check.ok
    by_key = {p.key: p for p in check.problems}
    assert set(by_key) == {"ACH", "Cheque"}
    assert by_key["ACH"].value == "ACH" and by_key["ACH"].location == (
        'payment_methods["ACH"].qbo_method'
    )
    assert "create_missing_payment_methods" in by_key["ACH"].problem
    assert by_key["Cheque"].suggestions[0] == "Check"

    allowed = await _check(world, payment_methods=methods, create_missing_payment_methods=True)
    assert allowed.ok and allowed.errors == ()
    assert {p.key for p in allowed.warnings} == {"ACH", "Cheque"}
    assert all("will be created" in p.problem for p in allowed.warnings)


async def test_an_inactive_payment_method_is_an_error_even_when_creating(world: World) -> None:
    """An inactive method cannot be created again under its name: always an error."""
    [visa] = [m for m in world.objects("PaymentMethod") if m["Name"] == "Visa"]
    await world.qbo.payment_methods.deactivate(visa["Id"], visa["SyncToken"])
    check = await _check(
        world,
        payment_methods={"Card": PaymentMethodSetting(qbo_method="Visa")},
        create_missing_payment_methods=True,
    )
    problem = _only(check)
    assert problem.severity == "error" and "inactive" in problem.problem


async def test_the_charge_item_must_be_an_existing_service_or_non_inventory_item(
    world: World,
) -> None:
    """A missing charge item, a category and an inventory item are all refused."""
    missing = _only(await _check(world, charge_item="Servces"))
    assert "no product or service named 'Servces'" in missing.problem
    assert missing.suggestions[0] == "Services"

    await world.qbo.items.create({"Name": "Hardware", "Type": "Category"})
    category = _only(await _check(world, charge_item="Hardware"))
    assert "of type Category" in category.problem

    await world.inventory_item_in_qbo("Bar Stock", 5)
    inventory = await _check(world, charge_item="Bar Stock")
    assert "of type Inventory" in _only(inventory).problem
    assert "Bar Stock" in inventory.choices["item"]
    assert "Hardware" not in inventory.choices["item"]
    assert inventory.options["charge_item"] == ("Hours", "Services")


async def test_a_tax_code_mapping_must_name_a_code_of_the_company(database: Database) -> None:
    """Mapped tax codes exist (by name or Id); TAX and NON always do."""
    async with open_world(database, sample_data=True) as world:
        check = await _check(
            world,
            tax_codes={"CA": "california", "CA2": "2", "T": "TAX", "N": "NON", "NY": "New York"},
        )
        [problem] = [p for p in check.problems if p.field == "tax_codes"]
        assert (problem.field, problem.key, problem.value) == ("tax_codes", "NY", "New York")
        assert "not a tax code of this QuickBooks company" in problem.problem
        assert "California" in check.choices["tax_code"]


async def test_a_company_that_never_adjusted_stock_lacks_the_shrinkage_account(
    database: Database,
) -> None:
    """QBO makes "Inventory Shrinkage" at the first quantity adjustment; until then the
    default adjustment account is missing, and the check says so (the sample company)."""
    async with open_world(database, sample_data=True) as world:
        check = await _check(world)
        problem = _only(check)
        assert (problem.field, problem.value) == (
            "inventory_adjustment_account",
            "Inventory Shrinkage",
        )
        # nothing is named alike: the Cost of Goods Sold accounts come first
        assert not problem.close and problem.suggestions[0] == "Cost of Goods Sold"
        assert "Choices include: 'Cost of Goods Sold'" in problem.message
