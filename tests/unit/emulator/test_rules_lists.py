"""Server rules of companies and name lists, provoked over HTTP (QBO-REFERENCE.md 4 and 7)."""

from __future__ import annotations

from typing import Any

import pytest
from emukit import (
    AR,
    BAD_PROPERTY,
    BUSINESS,
    DUPLICATE_PERSON,
    INACTIVE,
    REQUIRED,
    SERVICES_INCOME,
    TIMESTAMP,
    TOO_LONG,
    Realm,
    fault_of,
    inventory_body,
    length_detail,
    ok,
    person,
    read,
    ref,
    sparse,
    stale_detail,
)

# -- 1. a new realm is a new US company -----------------------------------------------------


def test_company_info_of_new_realm(realm: Realm) -> None:
    """GET /companyinfo/{realmId} describes a US company named as created."""
    info = ok(realm.get(f"companyinfo/{realm.realm_id}"), "CompanyInfo")
    assert info["CompanyName"] == "Test Machine Shop"
    assert info["Country"] == "US"
    assert info["Id"] == "1"
    assert TIMESTAMP.match(info["MetaData"]["CreateTime"])


def test_preferences_of_new_realm(realm: Realm) -> None:
    """GET /preferences: automatic sales-form numbering, USD home currency, no multicurrency."""
    prefs = ok(realm.get("preferences"), "Preferences")
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    assert prefs["CurrencyPrefs"] == {"MultiCurrencyEnabled": False, "HomeCurrency": ref("USD")}


def test_chart_of_accounts_of_new_realm(realm: Realm) -> None:
    """A new company has AR, AP, Undeposited Funds, a checking bank and the usual P&L accounts."""
    rows = realm.query("SELECT * FROM Account MAXRESULTS 1000")["Account"]
    by_name = {row["Name"]: (row["AccountType"], row["AccountSubType"]) for row in rows}
    assert by_name["Accounts Receivable (A/R)"] == ("Accounts Receivable", "AccountsReceivable")
    assert by_name["Accounts Payable (A/P)"] == ("Accounts Payable", "AccountsPayable")
    assert by_name["Undeposited Funds"] == ("Other Current Asset", "UndepositedFunds")
    assert by_name["Checking"] == ("Bank", "Checking")
    assert by_name["Sales of Product Income"] == ("Income", "SalesOfProductIncome")
    assert by_name["Services"] == ("Income", "ServiceFeeIncome")
    assert by_name["Cost of Goods Sold"][0] == "Cost of Goods Sold"
    assert by_name["Inventory Asset"] == ("Other Current Asset", "Inventory")
    assert sum(1 for kind, _ in by_name.values() if kind == "Expense") >= 5


def test_payment_methods_of_new_realm(realm: Realm) -> None:
    """A new company has the five standard payment methods."""
    rows = realm.query("SELECT * FROM PaymentMethod")["PaymentMethod"]
    assert {row["Name"]: row["Type"] for row in rows} == {
        "Cash": "NON_CREDIT_CARD",
        "Check": "NON_CREDIT_CARD",
        "Visa": "CREDIT_CARD",
        "MasterCard": "CREDIT_CARD",
        "American Express": "CREDIT_CARD",
    }


def test_terms_of_new_realm(realm: Realm) -> None:
    """A new company has Due on receipt, Net 15, Net 30 and Net 60 terms."""
    rows = realm.query("SELECT * FROM Term")["Term"]
    assert {row["Name"]: row["DueDays"] for row in rows} == {
        "Due on receipt": 0,
        "Net 15": 15,
        "Net 30": 30,
        "Net 60": 60,
    }


@pytest.mark.parametrize(("code", "taxable"), [("TAX", True), ("NON", False)])
def test_tax_codes_of_new_realm(realm: Realm, code: str, taxable: bool) -> None:
    """The US pseudo tax codes TAX and NON exist and are readable by their code."""
    tax_code = ok(realm.get(f"taxcode/{code}"), "TaxCode")
    assert (tax_code["Id"], tax_code["Name"], tax_code["Taxable"]) == (code, code, taxable)


# -- 2. Id, SyncToken, MetaData -------------------------------------------------------------


def test_create_assigns_sequential_ids_and_sync_token_zero(realm: Realm) -> None:
    """Creates get the next numeric Id of their entity and SyncToken "0"."""
    first = realm.create("Customer", {"DisplayName": "First"})
    second = realm.create("Customer", {"DisplayName": "Second"})
    assert first["SyncToken"] == second["SyncToken"] == "0"
    assert int(second["Id"]) == int(first["Id"]) + 1
    assert (first["domain"], first["sparse"]) == ("QBO", False)


def test_client_id_on_create_is_an_update_of_that_id(realm: Realm, acme: dict[str, Any]) -> None:
    """A body carrying an Id is an update, so it needs the SyncToken (2020)."""
    response = realm.post("customer", {"Id": acme["Id"], "DisplayName": "Other"})
    assert fault_of(response)[:3] == (400, "2020", REQUIRED)


def test_each_change_bumps_sync_token(realm: Realm, acme: dict[str, Any]) -> None:
    """Every effective update adds 1 to the SyncToken."""
    once = ok(sparse(realm, "Customer", acme, CompanyName="Acme Inc"), "Customer")
    twice = ok(sparse(realm, "Customer", once, CompanyName="Acme LLC"), "Customer")
    assert (once["SyncToken"], twice["SyncToken"]) == ("1", "2")


def test_no_op_write_keeps_sync_token(realm: Realm, acme: dict[str, Any]) -> None:
    """A write that changes nothing returns the same SyncToken and LastUpdatedTime."""
    realm.emulator.clock.advance(60)
    same = ok(sparse(realm, "Customer", acme, Notes=acme["Notes"]), "Customer")
    assert same["SyncToken"] == "0"
    assert same["MetaData"] == acme["MetaData"]


def test_deactivating_an_inactive_record_is_a_no_op(realm: Realm) -> None:
    """Deactivating again (with the Name, as qbo_api sends it) changes nothing (4.1)."""
    account = realm.create("Account", {"Name": "Fees Billed", "AccountType": "Income"})
    body = {"Name": "Fees Billed", "Active": False}
    inactive = ok(sparse(realm, "Account", account, **body), "Account")
    again = ok(sparse(realm, "Account", inactive, **body), "Account")
    assert again["SyncToken"] == inactive["SyncToken"] == "1"
    assert again["Name"] == "Fees Billed (deleted)"


def test_stale_sync_token_is_5010_naming_the_last_editor(
    realm: Realm, acme: dict[str, Any]
) -> None:
    """An update with an old SyncToken gets 5010 Stale Object Error naming who saved last."""
    ok(sparse(realm, "Customer", acme, CompanyName="Acme Inc"), "Customer")
    fault = fault_of(sparse(realm, "Customer", acme, CompanyName="Acme LLC"))
    assert fault[:4] == (400, "5010", "Stale Object Error", stale_detail("Emulator User"))


def test_update_without_sync_token_is_2020(realm: Realm, acme: dict[str, Any]) -> None:
    """An update must carry the SyncToken: 2020 naming it."""
    response = realm.post("customer", {"Id": acme["Id"], "sparse": True, "Notes": "x"})
    fault = fault_of(response)
    assert fault[:3] == (400, "2020", REQUIRED)
    assert (fault.detail, fault.element) == (
        "Required parameter SyncToken is missing in the request",
        "SyncToken",
    )


def test_metadata_times_are_company_local_with_offset(realm: Realm, acme: dict[str, Any]) -> None:
    """CreateTime/LastUpdatedTime are YYYY-MM-DDTHH:MM:SS±HH:MM; updates move only the latter."""
    assert TIMESTAMP.match(acme["MetaData"]["CreateTime"])
    assert acme["MetaData"]["CreateTime"] == acme["MetaData"]["LastUpdatedTime"]
    realm.emulator.clock.advance(90)
    updated = ok(sparse(realm, "Customer", acme, CompanyName="Acme Inc"), "Customer")
    assert updated["MetaData"]["CreateTime"] == acme["MetaData"]["CreateTime"]
    assert TIMESTAMP.match(updated["MetaData"]["LastUpdatedTime"])
    assert updated["MetaData"]["LastUpdatedTime"] > acme["MetaData"]["CreateTime"]


# -- 3. names: uniqueness, deactivation ----------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [("Customer", "Vendor"), ("Vendor", "Employee"), ("Employee", "Customer")],
)
def test_display_name_unique_across_people(realm: Realm, first: str, second: str) -> None:
    """Customer, Vendor and Employee share one DisplayName namespace: 6240."""
    realm.create(first, person(first, "Jordan Blake"))
    fault = fault_of(realm.post(second.lower(), person(second, "Jordan Blake")))
    assert fault[:4] == (400, "6240", "Duplicate Name Exists Error", DUPLICATE_PERSON)


def test_display_name_uniqueness_ignores_case_and_spaces(
    realm: Realm, acme: dict[str, Any]
) -> None:
    """ "acme fabrication " collides with "Acme Fabrication" (6240)."""
    response = realm.post("vendor", {"DisplayName": "  acme FABRICATION "})
    assert fault_of(response)[:3] == (400, "6240", "Duplicate Name Exists Error")


def test_rename_onto_another_name_is_6240(realm: Realm, acme: dict[str, Any]) -> None:
    """An update may not take a name another record holds."""
    other = realm.create("Customer", {"DisplayName": "Other Co"})
    response = sparse(realm, "Customer", other, DisplayName=acme["DisplayName"])
    assert fault_of(response)[:3] == (400, "6240", "Duplicate Name Exists Error")


def test_item_name_unique_among_items(realm: Realm) -> None:
    """A second item called "Services" (a seeded item) is 6240."""
    body = {"Name": "services", "Type": "Service", "IncomeAccountRef": ref(SERVICES_INCOME)}
    fault = fault_of(realm.post("item", body))
    assert fault[:3] == (400, "6240", "Duplicate Name Exists Error")
    assert fault.detail.startswith("The name supplied already exists. : ")


def test_item_and_customer_names_are_separate_namespaces(
    realm: Realm, acme: dict[str, Any]
) -> None:
    """An item may be named like a customer."""
    body = {"Name": acme["DisplayName"], "Type": "Service", "IncomeAccountRef": ref("6")}
    assert realm.create("Item", body)["Name"] == "Acme Fabrication"


def test_deactivation_renames_and_frees_the_name(realm: Realm, acme: dict[str, Any]) -> None:
    """Active false renames "<name> (deleted)"; a new record may then take the name."""
    gone = ok(sparse(realm, "Customer", acme, Active=False), "Customer")
    assert (gone["Active"], gone["DisplayName"]) == (False, "Acme Fabrication (deleted)")
    assert gone["SyncToken"] == "1"
    again = realm.create("Customer", {"DisplayName": "Acme Fabrication"})
    assert again["Id"] != acme["Id"]


def test_deactivating_two_records_of_the_same_name(realm: Realm, acme: dict[str, Any]) -> None:
    """A name freed by deactivation can be used and deactivated again."""
    ok(sparse(realm, "Customer", acme, Active=False), "Customer")
    second = realm.create("Customer", {"DisplayName": "Acme Fabrication"})
    gone = ok(sparse(realm, "Customer", second, Active=False), "Customer")
    assert gone["Active"] is False
    assert gone["DisplayName"].startswith("Acme Fabrication (deleted")


def test_reactivation_removes_the_suffix(realm: Realm, acme: dict[str, Any]) -> None:
    """Active true on a deactivated record gives its name back."""
    gone = ok(sparse(realm, "Customer", acme, Active=False), "Customer")
    back = ok(sparse(realm, "Customer", gone, Active=True), "Customer")
    assert (back["Active"], back["DisplayName"]) == (True, "Acme Fabrication")


def test_reactivation_onto_a_taken_name_is_6240(realm: Realm, acme: dict[str, Any]) -> None:
    """Reactivating is refused when a new record took the name meanwhile."""
    gone = ok(sparse(realm, "Customer", acme, Active=False), "Customer")
    realm.create("Employee", person("Employee", "Acme Fabrication"))
    response = sparse(realm, "Customer", gone, Active=True)
    assert fault_of(response)[:3] == (400, "6240", "Duplicate Name Exists Error")


@pytest.mark.parametrize(
    ("entity", "object_id"),
    [("Customer", None), ("Vendor", None), ("Item", "1"), ("Account", AR), ("Term", "1")],
)
def test_name_lists_cannot_be_deleted(
    realm: Realm, acme: dict[str, Any], steel: dict[str, Any], entity: str, object_id: str | None
) -> None:
    """operation=delete on a name list is 400 code 500 Unsupported Operation."""
    target = {"Customer": acme, "Vendor": steel}.get(entity) or read(realm, entity, object_id or "")
    body = {"Id": target["Id"], "SyncToken": target["SyncToken"]}
    fault = fault_of(realm.post(entity.lower(), body, operation="delete"))
    assert fault[:3] == (400, "500", "Unsupported Operation")
    assert read(realm, entity, target["Id"])["Active"] is True


def test_inactive_records_hidden_from_default_queries(realm: Realm, acme: dict[str, Any]) -> None:
    """Queries see inactive records only with Active = false or Active IN (true, false)."""
    kept = realm.create("Customer", {"DisplayName": "Kept Co"})
    ok(sparse(realm, "Customer", acme, Active=False), "Customer")

    def ids(where: str) -> set[str]:
        rows = realm.query(f"SELECT * FROM Customer {where}").get("Customer", [])
        return {row["Id"] for row in rows}

    assert ids("") == {kept["Id"]}
    assert ids("WHERE Active = false") == {acme["Id"]}
    assert ids("WHERE Active IN (true, false)") == {acme["Id"], kept["Id"]}


def test_inactive_record_still_readable_by_id(realm: Realm, acme: dict[str, Any]) -> None:
    """Deactivation keeps the record: GET by Id still returns it."""
    ok(sparse(realm, "Customer", acme, Active=False), "Customer")
    assert read(realm, "Customer", acme["Id"])["Active"] is False


def test_referencing_inactive_record_is_610(realm: Realm, acme: dict[str, Any]) -> None:
    """A sub-customer whose parent is inactive: 610 Object Not Found (recorded Detail)."""
    ok(sparse(realm, "Customer", acme, Active=False), "Customer")
    body = {"DisplayName": "Plant 2", "ParentRef": ref(acme["Id"]), "Job": True}
    assert fault_of(realm.post("customer", body))[:4] == (400, "610", "Object Not Found", INACTIVE)


# -- 4. forbidden characters and lengths ---------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "field", "value"),
    [
        ("Customer", "DisplayName", "Acme: West"),
        ("Customer", "DisplayName", "Acme\tWest"),
        ("Vendor", "DisplayName", "Acme\nWest"),
        ("Employee", "GivenName", "Jo:Ann"),
        ("Customer", "PrintOnCheckName", "Acme:West"),
        ("Item", "Name", "Bolt: M6"),
        ("Account", "Name", "Fees:Billed"),
    ],
)
def test_forbidden_characters_in_names_are_2050(
    realm: Realm, entity: str, field: str, value: str
) -> None:
    """A colon, tab or newline in a name is refused with 2050 on that element."""
    bodies: dict[str, dict[str, Any]] = {
        "Customer": {"DisplayName": "Acme West"},
        "Vendor": {"DisplayName": "Acme West"},
        "Employee": {"GivenName": "Jo", "FamilyName": "Ann"},
        "Item": {"Name": "Bolt", "Type": "Service", "IncomeAccountRef": ref(SERVICES_INCOME)},
        "Account": {"Name": "Fees", "AccountType": "Income"},
    }
    fault = fault_of(realm.post(entity.lower(), {**bodies[entity], field: value}))
    assert fault[:3] == (400, "2050", TOO_LONG)
    assert fault.element == field


@pytest.mark.parametrize(
    ("entity", "body", "field", "maximum"),
    [
        ("Customer", {}, "DisplayName", 500),
        ("Customer", {"DisplayName": "A"}, "Notes", 2000),
        ("Customer", {"DisplayName": "A"}, "Title", 16),
        ("Vendor", {}, "DisplayName", 500),
        ("Item", {"Type": "Service", "IncomeAccountRef": ref(SERVICES_INCOME)}, "Name", 100),
        ("Account", {"AccountType": "Income"}, "Name", 100),
        ("Term", {"Type": "STANDARD", "DueDays": 10}, "Name", 31),
    ],
)
def test_too_long_strings_are_2050(
    realm: Realm, entity: str, body: dict[str, Any], field: str, maximum: int
) -> None:
    """A string one past its maximum length is 2050 with the recorded Detail pattern."""
    fault = fault_of(realm.post(entity.lower(), {**body, field: "x" * (maximum + 1)}))
    assert fault[:4] == (400, "2050", TOO_LONG, length_detail(maximum, maximum + 1))
    assert fault.element == field


def test_display_name_of_maximum_length_is_accepted(realm: Realm) -> None:
    """A 500-character DisplayName is within the limit."""
    assert len(realm.create("Customer", {"DisplayName": "y" * 500})["DisplayName"]) == 500


# -- 5 and 6. required fields, unknown properties, wrong types ------------------------------


def test_customer_without_any_name_is_2020(realm: Realm) -> None:
    """A customer needs a DisplayName or a name part to build it from."""
    fault = fault_of(realm.post("customer", {"CompanyName": "Nameless"}))
    assert fault[:3] == (400, "2020", REQUIRED)
    assert fault.element == "DisplayName"


def test_display_name_built_from_name_parts(realm: Realm) -> None:
    """Without DisplayName the server joins Title GivenName MiddleName FamilyName Suffix."""
    body = {"Title": "Dr.", "GivenName": "Ada", "FamilyName": "Byron"}
    customer = realm.create("Customer", body)
    assert (customer["DisplayName"], customer["PrintOnCheckName"]) == ("Dr. Ada Byron",) * 2


def test_employee_without_given_or_family_name_is_2020(realm: Realm) -> None:
    """An employee needs a GivenName or a FamilyName."""
    fault = fault_of(realm.post("employee", {"DisplayName": "Just A Display"}))
    assert fault[:3] == (400, "2020", REQUIRED)


@pytest.mark.parametrize("missing", ["AssetAccountRef", "QtyOnHand", "InvStartDate"])
def test_inventory_item_required_fields_are_2020(realm: Realm, missing: str) -> None:
    """An inventory item needs AssetAccountRef, QtyOnHand and InvStartDate (7.4)."""
    body = inventory_body("Widget")
    del body[missing]
    fault = fault_of(realm.post("item", body))
    assert fault == (
        400,
        "2020",
        REQUIRED,
        f"Required parameter {missing} is missing in the request",
        missing,
    )


def test_item_without_type_is_2020(realm: Realm) -> None:
    """Item Type is required at minor version 75."""
    fault = fault_of(realm.post("item", {"Name": "Widget", "IncomeAccountRef": ref("6")}))
    assert fault[:3] == (400, "2020", REQUIRED)
    assert fault.element == "Type"


def test_service_item_without_income_account_is_2020(realm: Realm) -> None:
    """A service item is sold, so it needs an IncomeAccountRef."""
    fault = fault_of(realm.post("item", {"Name": "Consulting", "Type": "Service"}))
    assert fault[:3] == (400, "2020", REQUIRED)
    assert fault.element == "IncomeAccountRef"


def test_unknown_property_on_a_list_is_2010(realm: Realm) -> None:
    """Strict JSON: an unknown Customer property is refused with the recorded Detail shape."""
    fault = fault_of(realm.post("customer", {"DisplayName": "Acme", "BadJson": 1}))
    assert fault[:3] == (400, "2010", BAD_PROPERTY)
    assert fault.detail.startswith(
        'Property Name:Unrecognized field "BadJson" (class com.intuit.schema.finance.v3.Customer),'
        " not marked as ignorable ("
    )


@pytest.mark.parametrize(
    ("entity", "body"),
    [
        (
            "Item",
            {"Name": "W", "Type": "Service", "IncomeAccountRef": ref("6"), "UnitPrice": "abc"},
        ),
        ("Customer", {"DisplayName": "Acme", "Taxable": "maybe"}),
        ("Customer", {"DisplayName": "Acme", "OpenBalanceDate": "not a date"}),
        ("Customer", {"DisplayName": "Acme", "BillAddr": "1 Main St"}),
    ],
)
def test_wrong_value_type_is_2010(realm: Realm, entity: str, body: dict[str, Any]) -> None:
    """A value that cannot be read as the property's type is 2010."""
    assert fault_of(realm.post(entity.lower(), body))[:3] == (400, "2010", BAD_PROPERTY)


def test_invalid_enumeration_is_2170(realm: Realm) -> None:
    """A value outside an enumeration (Item Type) is 2170 Invalid Enumeration."""
    body = {"Name": "W", "Type": "Gadget", "IncomeAccountRef": ref("6")}
    fault = fault_of(realm.post("item", body))
    assert fault[:3] == (400, "2170", "Invalid Enumeration")
    assert fault.element == "Type"


def test_reference_to_missing_object_is_2500(realm: Realm) -> None:
    """An IncomeAccountRef to an account that never existed is 2500 Invalid Reference Id."""
    body = {"Name": "W", "Type": "Service", "IncomeAccountRef": ref("9999")}
    fault = fault_of(realm.post("item", body))
    assert fault[:3] == (400, "2500", "Invalid Reference Id")
    assert fault.element == "IncomeAccountRef"


# -- 15. sparse and full updates -----------------------------------------------------------


def test_sparse_update_changes_only_sent_fields(realm: Realm, acme: dict[str, Any]) -> None:
    """sparse:true merges: Notes survives a change of CompanyName."""
    updated = ok(sparse(realm, "Customer", acme, CompanyName="Acme Inc"), "Customer")
    assert (updated["CompanyName"], updated["Notes"]) == ("Acme Inc", "key account")


def test_full_update_clears_omitted_fields(realm: Realm, acme: dict[str, Any]) -> None:
    """A full update sets omitted writable fields to null: Notes disappears."""
    body = {"Id": acme["Id"], "SyncToken": acme["SyncToken"], "DisplayName": "Acme Fabrication"}
    updated = ok(realm.post("customer", body), "Customer")
    assert "Notes" not in updated
    assert updated["SyncToken"] == "1"


def test_read_only_fields_are_ignored_on_write(realm: Realm) -> None:
    """FullyQualifiedName and Level sent by a client are overwritten by the server."""
    body = {"DisplayName": "Acme", "FullyQualifiedName": "Other:Name", "Level": 3}
    customer = realm.create("Customer", body)
    assert (customer["FullyQualifiedName"], customer["Level"]) == ("Acme", 0)


# -- 16. sub-customers ---------------------------------------------------------------------


def test_sub_customer_fields(realm: Realm, acme: dict[str, Any]) -> None:
    """ParentRef makes a job: Job true, Level 1, FullyQualifiedName "Parent:Child"."""
    body = {"DisplayName": "Plant 2", "ParentRef": ref(acme["Id"]), "BillWithParent": True}
    job = realm.create("Customer", body)
    assert (job["Job"], job["Level"], job["BillWithParent"]) == (True, 1, True)
    assert job["FullyQualifiedName"] == "Acme Fabrication:Plant 2"
    assert job["ParentRef"] == {"value": acme["Id"], "name": "Acme Fabrication"}
    assert (acme["Job"], acme["Level"]) == (False, 0)


def test_bill_with_parent_needs_a_parent(realm: Realm) -> None:
    """BillWithParent on a top-level customer is refused (6000)."""
    fault = fault_of(realm.post("customer", {"DisplayName": "Solo", "BillWithParent": True}))
    assert fault[:3] == (
        400,
        "6000",
        "A business validation error has occurred while processing your request",
    )


def test_sub_customers_nest_four_levels_below_top(realm: Realm, acme: dict[str, Any]) -> None:
    """Four levels below a top-level customer are allowed; a fifth is refused (6000)."""
    parent = acme
    for level in range(1, 5):
        parent = realm.create(
            "Customer", {"DisplayName": f"Level {level}", "ParentRef": ref(parent["Id"])}
        )
        assert parent["Level"] == level
    assert parent["FullyQualifiedName"] == "Acme Fabrication:Level 1:Level 2:Level 3:Level 4"
    fault = fault_of(
        realm.post("customer", {"DisplayName": "Level 5", "ParentRef": ref(parent["Id"])})
    )
    assert fault[:2] == (400, "6000")
    assert fault.element == "ParentRef"


def test_sub_customer_parent_must_exist(realm: Realm) -> None:
    """A ParentRef to a customer that does not exist is 2500."""
    fault = fault_of(realm.post("customer", {"DisplayName": "Orphan", "ParentRef": ref("999")}))
    assert fault[:3] == (400, "2500", "Invalid Reference Id")
    assert fault.element == "ParentRef"


def test_renaming_a_parent_renames_its_jobs(realm: Realm, acme: dict[str, Any]) -> None:
    """A sub-customer's FullyQualifiedName and ParentRef name follow a parent's rename."""
    job = realm.create("Customer", {"DisplayName": "Plant 2", "ParentRef": ref(acme["Id"])})
    grandchild = realm.create("Customer", {"DisplayName": "Dock", "ParentRef": ref(job["Id"])})
    ok(sparse(realm, "Customer", acme, DisplayName="Acme Industries"), "Customer")
    assert read(realm, "Customer", job["Id"])["FullyQualifiedName"] == "Acme Industries:Plant 2"
    assert read(realm, "Customer", job["Id"])["ParentRef"]["name"] == "Acme Industries"
    assert read(realm, "Customer", grandchild["Id"])["FullyQualifiedName"] == (
        "Acme Industries:Plant 2:Dock"
    )


def test_a_customer_cannot_become_its_own_ancestor(realm: Realm, acme: dict[str, Any]) -> None:
    """Re-parenting a customer under its own sub-customer is refused (6000)."""
    job = realm.create("Customer", {"DisplayName": "Plant 2", "ParentRef": ref(acme["Id"])})
    fault = fault_of(sparse(realm, "Customer", acme, ParentRef=ref(job["Id"])))
    assert fault[:3] == (400, "6000", BUSINESS)
    assert fault.element == "ParentRef"


def test_customer_with_open_balance_cannot_be_deactivated(
    realm: Realm, acme: dict[str, Any]
) -> None:
    """A customer with a non-zero balance stays active (6000, 4.3)."""
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}
    realm.create("Invoice", {"CustomerRef": ref(acme["Id"]), "Line": [line]})
    current = read(realm, "Customer", acme["Id"])
    fault = fault_of(sparse(realm, "Customer", current, Active=False))
    assert fault[:3] == (400, "6000", BUSINESS)
    assert "non-zero balance" in fault.detail


def test_account_names_repeat_under_different_parents(realm: Realm) -> None:
    """Account names need only be unique under one parent: the full name must differ."""
    parents = [
        realm.create("Account", {"Name": name, "AccountType": "Expense"})
        for name in ("Vehicle", "Equipment")
    ]
    for parent in parents:
        child = realm.create(
            "Account",
            {"Name": "Depreciation", "AccountType": "Expense", "ParentRef": ref(parent["Id"])},
        )
        assert child["FullyQualifiedName"] == f"{parent['Name']}:Depreciation"
    again = {"Name": "Depreciation", "AccountType": "Expense", "ParentRef": ref(parents[0]["Id"])}
    assert fault_of(realm.post("account", again))[:2] == (400, "6240")


def test_people_share_one_id_sequence(realm: Realm) -> None:
    """Customers, vendors and employees draw Ids from one sequence, as in QBO."""
    ids = [
        int(realm.create(entity, person(entity, f"Seq {entity}"))["Id"])
        for entity in ("Customer", "Vendor", "Employee")
    ]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
