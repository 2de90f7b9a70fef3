"""The sandbox sample company, Craig's Design and Landscaping Services, seeded into a ledger."""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.emulator import Emulator, FaultError
from ledgerbridge.emulator._company import Company
from ledgerbridge.emulator._ledger import Ledger
from ledgerbridge.emulator._sample import seed_sample_company

SALES_FORMS = ("Estimate", "Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt")


def seeded(emulator: Emulator, name: str = "Sandbox Company_US_1") -> Ledger:
    company = Company(emulator._new_realm_id(), name)
    ledger = Ledger(company, emulator.clock)
    seed_sample_company(ledger)
    return ledger


@pytest.fixture
def ledger(emulator: Emulator) -> Ledger:
    return seeded(emulator)


def objects(ledger: Ledger, entity: str) -> dict[str, dict[str, Any]]:
    return ledger.company.objects[entity]


def rows(ledger: Ledger, text: str) -> list[dict[str, Any]]:
    entity = text.split()[3]
    return list(ledger.query(text).get(entity, []))


def applications(ledger: Ledger) -> dict[tuple[str, str], Decimal]:
    """What the seeded payments apply to each invoice and credit memo."""
    applied: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for payment in objects(ledger, "Payment").values():
        for line in payment["Line"]:
            link = line["LinkedTxn"][0]
            applied[(link["TxnType"], link["TxnId"])] += line["Amount"]
    return applied


def test_amy_is_customer_one(ledger: Ledger) -> None:
    """Customer 1 is Amy's Bird Sanctuary with the address and e-mail sandboxes return."""
    amy = objects(ledger, "Customer")["1"]
    assert amy["DisplayName"] == "Amy's Bird Sanctuary"
    assert amy["PrimaryEmailAddr"] == {"Address": "Birds@Intuit.com"}
    assert amy["BillAddr"]["Line1"] == "4581 Finch St."
    assert amy["Balance"] == Decimal("239.00")


def test_customers_keep_sandbox_ids(ledger: Ledger) -> None:
    """All 29 sample customers exist under their sandbox Ids."""
    customers = objects(ledger, "Customer")
    assert sorted(customers, key=int) == [str(n) for n in range(1, 30)]
    names = {"2": "Bill's Windsurf Shop", "3": "Cool Cars", "7": "Freeman Sporting Goods"}
    for customer_id, name in names.items():
        assert customers[customer_id]["DisplayName"] == name
    assert customers["29"]["DisplayName"] == "Weiskopf Consulting"


def test_sub_customers_have_parent_qualified_names(ledger: Ledger) -> None:
    """Jobs are named "Parent:Child" and point at their parent customer."""
    customers = objects(ledger, "Customer")
    expected = {
        "8": "Freeman Sporting Goods:0969 Ocean View Road",
        "9": "Freeman Sporting Goods:55 Twin Lane",
        "23": "Shara Barnett:Barnett Design",
    }
    for customer_id, name in expected.items():
        job = customers[customer_id]
        assert job["FullyQualifiedName"] == name
        assert job["Job"] is True
        assert job["Level"] == 1
        assert job["ParentRef"]["name"] == name.split(":")[0]
    assert customers["7"]["BalanceWithJobs"] == Decimal("562.50")


def test_item_ten_is_pest_control(ledger: Ledger) -> None:
    """Item 10 is the Pest Control service python-quickbooks' estimate test names."""
    item = objects(ledger, "Item")["10"]
    assert (item["Name"], item["Type"], item["UnitPrice"]) == ("Pest Control", "Service", 35)
    assert item["IncomeAccountRef"] == {"value": "54", "name": "Pest Control Services"}
    assert sorted(objects(ledger, "Item"), key=int) == [str(n) for n in range(1, 19)]


def test_python_quickbooks_estimate_is_accepted(ledger: Ledger) -> None:
    """The estimate of python-quickbooks' integration test saves against the sample data."""
    customer = rows(ledger, "select * from Customer MAXRESULTS 1")[0]
    body = {
        "TotalAmt": 31.5,
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NeedToPrint",
        "EmailStatus": "NotSet",
        "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
        "TxnTaxDetail": {"TotalTax": 0},
        "BillEmail": {"Address": "Cool_Cars@intuit.com"},
        "CustomerMemo": {"value": "Thank you for your business and have a great day!"},
        "TrackingNum": "42",
        "Line": [
            {
                "LineNum": 1,
                "Description": "Pest Control Services",
                "Amount": 35.0,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "UnitPrice": 35,
                    "Qty": 1,
                    "ItemRef": {"value": "10", "name": "Pest Control"},
                    "TaxCodeRef": {"value": "NON"},
                },
            },
            {
                "Amount": 3.5,
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {
                    "PercentBased": True,
                    "DiscountPercent": 10,
                    "DiscountAccountRef": {"value": "86", "name": "Discounts given"},
                },
            },
        ],
    }
    estimate = ledger.create("Estimate", body)
    assert estimate["TotalAmt"] == Decimal("31.50")
    discount = next(line for line in estimate["Line"] if "DiscountLineDetail" in line)
    assert discount["DiscountLineDetail"]["DiscountAccountRef"]["name"] == "Discounts given"


def test_discount_and_credit_card_accounts(ledger: Ledger) -> None:
    """Account 86 is Discounts given and 42 is the Visa credit card, as client tests assume."""
    accounts = objects(ledger, "Account")
    discounts, visa = accounts["86"], accounts["42"]
    assert (discounts["Name"], discounts["AccountType"]) == ("Discounts given", "Income")
    assert discounts["AccountSubType"] == "DiscountsRefundsGiven"
    assert (visa["Name"], visa["AccountType"], visa["Classification"]) == (
        "Visa",
        "Credit Card",
        "Liability",
    )
    assert accounts["41"]["Name"] == "Mastercard"


def test_chart_of_accounts_has_the_standard_accounts(ledger: Ledger) -> None:
    """A/R, A/P, Undeposited Funds, banks, inventory and product accounts carry sandbox Ids."""
    accounts = objects(ledger, "Account")
    expected = {
        "84": ("Accounts Receivable (A/R)", "Accounts Receivable"),
        "33": ("Accounts Payable (A/P)", "Accounts Payable"),
        "4": ("Undeposited Funds", "Other Current Asset"),
        "35": ("Checking", "Bank"),
        "36": ("Savings", "Bank"),
        "81": ("Inventory Asset", "Other Current Asset"),
        "80": ("Cost of Goods Sold", "Cost of Goods Sold"),
        "79": ("Sales of Product Income", "Income"),
        "1": ("Services", "Income"),
    }
    for account_id, (name, account_type) in expected.items():
        assert (accounts[account_id]["Name"], accounts[account_id]["AccountType"]) == (
            name,
            account_type,
        )
    assert len(accounts) == 90
    assert accounts["18"]["Name"] == "Repair & Maintenance (deleted)"
    assert accounts["18"]["Active"] is False


def test_sub_accounts_may_share_a_name(ledger: Ledger) -> None:
    """Two accounts named Depreciation coexist, told apart by their full names."""
    found = rows(ledger, "select * from Account where Name = 'Depreciation'")
    assert sorted((row["Id"], row["FullyQualifiedName"]) for row in found) == [
        ("39", "Truck:Depreciation"),
        ("40", "Depreciation"),
    ]
    decks = objects(ledger, "Account")["64"]
    assert decks["FullyQualifiedName"] == "Job Expenses:Job Materials:Decks and Patios"


def test_sales_form_totals_add_up(ledger: Ledger) -> None:
    """Every sales form's lines, subtotal, discount and tax add up to its TotalAmt."""
    for entity in SALES_FORMS:
        for form in objects(ledger, entity).values():
            items = [line for line in form["Line"] if line["DetailType"] == "SalesItemLineDetail"]
            for line in items:
                detail = line["SalesItemLineDetail"]
                assert line["Amount"] == (detail["Qty"] * detail["UnitPrice"]).quantize(
                    Decimal("0.01")
                )
            kinds = {line["DetailType"]: line for line in form["Line"]}
            subtotal = kinds["SubTotalLineDetail"]["Amount"]
            assert subtotal == sum(line["Amount"] for line in items)
            discount = sum(
                (line["Amount"] for line in form["Line"] if "DiscountLineDetail" in line),
                Decimal(0),
            )
            tax = form["TxnTaxDetail"]["TotalTax"]
            assert form["TotalAmt"] == subtotal - discount + tax, (entity, form["Id"])


def test_invoice_balances_follow_payments(ledger: Ledger) -> None:
    """Invoice Balance is TotalAmt less what payments apply; credit memos likewise."""
    applied = applications(ledger)
    for invoice in objects(ledger, "Invoice").values():
        paid = applied.get(("Invoice", invoice["Id"]), Decimal(0))
        assert invoice["Balance"] == invoice["TotalAmt"] - paid, invoice["Id"]
        payments = {link["TxnId"] for link in invoice["LinkedTxn"] if link["TxnType"] == "Payment"}
        paying = {
            payment["Id"]
            for payment in objects(ledger, "Payment").values()
            if any(line["LinkedTxn"][0]["TxnId"] == invoice["Id"] for line in payment["Line"])
        }
        assert payments == paying
    memo = objects(ledger, "CreditMemo")["73"]
    assert memo["RemainingCredit"] == memo["TotalAmt"] - applied[("CreditMemo", "73")] == 0
    amy = [objects(ledger, "Invoice")[i] for i in ("9", "67", "71")]
    assert [(i["DocNumber"], i["TotalAmt"], i["Balance"]) for i in amy] == [
        ("1001", Decimal("108.00"), Decimal("0.00")),
        ("1021", Decimal("459.00"), Decimal("239.00")),
        ("1025", Decimal("205.00"), Decimal("0.00")),
    ]


def test_customer_and_vendor_balances(ledger: Ledger) -> None:
    """Customer and vendor balances are their open documents; A/R 5281.52, A/P 1602.67."""
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in objects(ledger, "Invoice").values():
        owed[invoice["CustomerRef"]["value"]] += invoice["Balance"]
    for memo in objects(ledger, "CreditMemo").values():
        owed[memo["CustomerRef"]["value"]] -= memo["Balance"]
    for payment in objects(ledger, "Payment").values():
        owed[payment["CustomerRef"]["value"]] -= payment["UnappliedAmt"]
    customers = objects(ledger, "Customer")
    for customer_id, customer in customers.items():
        assert customer["Balance"] == owed.get(customer_id, Decimal(0)), customer_id
    assert sum(c["Balance"] for c in customers.values()) == Decimal("5281.52")
    bills: dict[str, Decimal] = defaultdict(Decimal)
    for bill in objects(ledger, "Bill").values():
        bills[bill["VendorRef"]["value"]] += bill["Balance"]
    vendors = objects(ledger, "Vendor")
    for vendor_id, vendor in vendors.items():
        assert vendor["Balance"] == bills.get(vendor_id, Decimal(0)), vendor_id
    assert sum(v["Balance"] for v in vendors.values()) == Decimal("1602.67")


def test_estimates_close_when_invoiced(ledger: Ledger) -> None:
    """Estimates 41, 46 and 48 became invoices 103, 69 and 49; estimate 100 stays accepted."""
    estimates = objects(ledger, "Estimate")
    for estimate_id, invoice_id in (("41", "103"), ("46", "69"), ("48", "49")):
        assert estimates[estimate_id]["TxnStatus"] == "Closed"
        assert estimates[estimate_id]["LinkedTxn"] == [{"TxnId": invoice_id, "TxnType": "Invoice"}]
    assert estimates["100"]["TxnStatus"] == "Accepted"
    assert estimates["100"]["TotalAmt"] == Decimal("351.81")


def test_inventory_on_hand_as_recorded(ledger: Ledger) -> None:
    """After the seeded sales the inventory items hold the quantities sandboxes show."""
    items = objects(ledger, "Item")
    on_hand = {item_id: items[item_id]["QtyOnHand"] for item_id in ("5", "11", "16", "17")}
    assert on_hand == {"5": 2, "11": 25, "16": 25, "17": 31}
    assert items["5"]["AssetAccountRef"]["value"] == "81"


def test_seeding_is_deterministic(emulator: Emulator) -> None:
    """Two seeds give identical companies apart from their timestamps."""

    def without_times(ledger: Ledger) -> dict[str, Any]:
        state = copy.deepcopy(ledger.company.objects)
        for entity_objects in state.values():
            for obj in entity_objects.values():
                obj.pop("MetaData", None)
        return state

    first, second = seeded(emulator), seeded(emulator)
    assert first.company.realm_id != second.company.realm_id
    assert without_times(first) == without_times(second)
    assert first.company.counters == second.company.counters


def test_queries_find_the_sample_data(ledger: Ledger) -> None:
    """Typical client queries: by escaped name, by customer, by type, and a count."""
    amy = rows(ledger, "select * from Customer where DisplayName = 'Amy\\'s Bird Sanctuary'")
    assert [row["Id"] for row in amy] == ["1"]
    invoices = rows(ledger, "select * from Invoice where CustomerRef = '1'")
    assert sorted(row["DocNumber"] for row in invoices) == ["1001", "1021", "1025"]
    inventory = rows(ledger, "select * from Item where Type = 'Inventory'")
    assert sorted(row["Name"] for row in inventory) == [
        "Pump",
        "Rock Fountain",
        "Sprinkler Heads",
        "Sprinkler Pipes",
    ]
    cards = rows(ledger, "select * from Account where AccountType = 'Credit Card'")
    assert sorted(row["Id"] for row in cards) == ["41", "42"]
    assert ledger.query("select count(*) from Vendor") == {"totalCount": 26}


def test_new_records_continue_sandbox_numbering(ledger: Ledger) -> None:
    """New names take Id 58 (one sequence for people) and a new invoice is DocNumber 1038."""
    customer = ledger.create("Customer", {"DisplayName": "New Landscaping Client"})
    assert customer["Id"] == "58"
    vendor = ledger.create("Vendor", {"DisplayName": "New Nursery Supplier"})
    assert vendor["Id"] == "59"  # customers, vendors and employees share one sequence
    invoice = ledger.create(
        "Invoice",
        {
            "CustomerRef": {"value": "1"},
            "Line": [
                {
                    "Amount": 100,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    assert (invoice["Id"], invoice["DocNumber"]) == ("131", "1038")
    assert invoice["SalesTermRef"]["name"] == "Net 30"


def test_company_info_and_preferences(ledger: Ledger) -> None:
    """CompanyInfo names the company and the sandbox address; Preferences are the sample's."""
    info = ledger.read("CompanyInfo", "1")
    assert info["CompanyName"] == "Sandbox Company_US_1"
    assert info["CompanyAddr"]["City"] == "San Pablo"
    prefs = ledger.read("Preferences", "1")
    assert prefs["SalesFormsPrefs"]["DefaultDiscountAccount"] == "86"
    assert prefs["SalesFormsPrefs"]["DefaultTerms"] == {"value": "3"}
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True
    assert "Craig's Design and Landscaping Services" in str(prefs["EmailMessagesPrefs"])
    assert sorted(objects(ledger, "TaxCode")) == ["2", "NON", "TAX"]


def test_only_an_empty_company_is_seeded(ledger: Ledger) -> None:
    """Seeding a company that already has data is refused before anything changes."""
    with pytest.raises(ValueError, match="empty company"):
        seed_sample_company(ledger)


def test_sample_data_still_obeys_the_rules(ledger: Ledger) -> None:
    """A second customer named like a sample one is refused, as QBO refuses it."""
    with pytest.raises(FaultError) as caught:
        ledger.create("Customer", {"DisplayName": "Amy's Bird Sanctuary"})
    assert caught.value.code == "6240"
