"""One QBO company (realm): its objects, counters and name index, born as a new US company.

A new QuickBooks Online company comes with a chart of accounts, payment methods, terms, the
US pseudo tax codes ``TAX`` and ``NON``, two service items, CompanyInfo and Preferences; the
emulator seeds the same so that a client sees what it would see in a fresh sandbox company.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._catalog import CATALOG, TRANSACTIONS

__all__ = ["Company", "Obj", "company_info"]

Obj = dict[str, Any]

#: (Name, AccountType, AccountSubType) of a new US company's chart of accounts, in Id order.
_ACCOUNTS = [
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Checking", "Bank", "Checking"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Inventory Shrinkage", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Advertising", "Expense", "AdvertisingPromotional"),
    ("Bank Charges", "Expense", "BankCharges"),
    ("Insurance", "Expense", "Insurance"),
    ("Legal & Professional Fees", "Expense", "LegalProfessionalFees"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings"),
    ("Repair & Maintenance", "Expense", "RepairMaintenance"),
    ("Shipping, Freight & Delivery", "Expense", "ShippingFreightDelivery"),
    ("Utilities", "Expense", "Utilities"),
    ("Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost"),
    ("Uncategorized Income", "Income", "OtherPrimaryIncome"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Visa Credit Card", "Credit Card", "CreditCard"),
]

CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
}

#: AccountType implied by an AccountSubType, for creates that send only the sub-type.
ACCOUNT_TYPE_OF_SUBTYPE = {
    **{sub_type: account_type for _, account_type, sub_type in _ACCOUNTS},
    "Savings": "Bank",
    "MoneyMarket": "Bank",
    "CashOnHand": "Bank",
    "PrepaidExpenses": "Other Current Asset",
    "OtherCurrentAssets": "Other Current Asset",
    "MachineryAndEquipment": "Fixed Asset",
    "FurnitureAndFixtures": "Fixed Asset",
    "SalesTaxPayable": "Other Current Liability",
    "LineOfCredit": "Other Current Liability",
    "NotesPayable": "Long Term Liability",
    "OwnersEquity": "Equity",
    "OtherPrimaryIncome": "Income",
    "CostOfLaborCos": "Cost of Goods Sold",
    "ShippingFreightDeliveryCos": "Cost of Goods Sold",
    "Travel": "Expense",
    "InterestEarned": "Other Income",
    "OtherMiscellaneousExpense": "Other Expense",
}

_PAYMENT_METHODS = [
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
]
_TERMS = [("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)]

#: Transactions share one Id sequence in QBO (a LinkedTxn names TxnId and TxnType).
_TXN_SEQUENCE = "txn"


@dataclass
class Company:
    """The whole state of one realm."""

    realm_id: str
    name: str
    objects: dict[str, dict[str, Obj]] = field(default_factory=dict)
    #: Ids of deleted transactions with their deletion time, for reads and CDC.
    deleted: dict[str, dict[str, str]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    #: namespace -> normalized name -> (entity, id)
    names: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    #: "entity:id" -> who saved the object last, quoted in Stale Object errors
    editors: dict[str, str] = field(default_factory=dict)
    #: objects a running batch created, invisible to its later items (never persisted)
    hidden: set[tuple[str, str]] = field(default_factory=set, repr=False)
    #: DocNumber group -> DocNumber -> (entity, id), for the duplicate check (6140)
    doc_numbers: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entity in CATALOG:
            self.objects.setdefault(entity, {})
            self.deleted.setdefault(entity, {})

    # -- ids ---------------------------------------------------------------------------------
    def next_id(self, entity: str) -> str:
        key = _sequence_of(entity)
        value = self.counters.get(key, 0) + 1
        self.counters[key] = value
        return str(value)

    def claim_id(self, entity: str, object_id: str) -> None:
        """Record an Id given from outside (seed data) so that new Ids never collide with it."""
        if self.get(entity, object_id) is not None:
            raise ValueError(f"{entity} {object_id} already exists")
        key = _sequence_of(entity)
        if object_id.isdigit():
            self.counters[key] = max(self.counters.get(key, 0), int(object_id))

    # -- lookup ------------------------------------------------------------------------------
    def get(self, entity: str, object_id: str) -> Obj | None:
        if self.hidden and (entity, object_id) in self.hidden:
            return None
        return self.objects[entity].get(object_id)

    def account_of_subtype(self, sub_type: str) -> Obj | None:
        """The company's first active account of an AccountSubType (the default for a role).

        Defaults go by kind, not by Id: a new company's Undeposited Funds is account 3, the
        sandbox sample company's is account 4.
        """
        for account in self.objects["Account"].values():
            if account.get("AccountSubType") == sub_type and account.get("Active", True):
                return account
        return None

    def default_account_ref(self, sub_type: str) -> dict[str, str]:
        account = self.account_of_subtype(sub_type)
        if account is None:
            raise ValueError(f"the company has no {sub_type} account")
        return {"value": account["Id"], "name": str(account["Name"])}

    def find_by_name(self, namespace: str, name: str) -> tuple[str, str] | None:
        return self.names.get(namespace, {}).get(normalize_name(name))

    def index_name(self, namespace: str, name: str | None, ref: tuple[str, str]) -> None:
        if name:
            self.names.setdefault(namespace, {})[normalize_name(name)] = ref

    def unindex_name(self, namespace: str, name: str | None) -> None:
        if name:
            self.names.get(namespace, {}).pop(normalize_name(name), None)

    # -- persistence -------------------------------------------------------------------------
    def export_state(self) -> dict[str, Any]:
        return {
            "realm_id": self.realm_id,
            "name": self.name,
            "objects": self.objects,
            "deleted": self.deleted,
            "counters": self.counters,
            "editors": self.editors,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Company:
        company = cls(
            realm_id=state["realm_id"],
            name=state["name"],
            objects=state["objects"],
            deleted=state["deleted"],
            counters=state["counters"],
            editors=state["editors"],
        )
        for entity, objects in company.objects.items():
            spec = CATALOG[entity]
            if spec.name_field is None:
                continue
            for obj in objects.values():
                ref = (entity, obj["Id"])
                company.index_name(namespace_of(entity), unique_name(entity, obj), ref)
        for entity, objects in company.objects.items():
            group = DOC_NUMBER_GROUPS.get(entity)
            if group is None:
                continue
            for obj in objects.values():
                if obj.get("DocNumber"):
                    company.doc_numbers.setdefault(group, {})[obj["DocNumber"]] = (
                        entity,
                        obj["Id"],
                    )
        return company


#: Sales forms share one DocNumber space (a 6140 on an invoice can name a credit memo);
#: estimates and purchase orders number on their own. Bills and payments are not checked.
DOC_NUMBER_GROUPS = {
    "Invoice": "sales",
    "SalesReceipt": "sales",
    "CreditMemo": "sales",
    "RefundReceipt": "sales",
    "Estimate": "Estimate",
    "PurchaseOrder": "PurchaseOrder",
}


#: Lists whose names are unique only under one parent: their full names must differ.
_BY_FULL_NAME = frozenset({"Account", "Class", "Department"})
#: Customers, vendors and employees draw their Ids from one sequence in QBO (the sandbox
#: sample company's customers are 1-29, its vendors and employees 30-57).
_PEOPLE = frozenset({"Customer", "Vendor", "Employee"})


def _sequence_of(entity: str) -> str:
    if entity in TRANSACTIONS:
        return _TXN_SEQUENCE
    return "people" if entity in _PEOPLE else entity


def unique_name(entity: str, obj: Obj) -> str | None:
    """The name QBO keeps unique for ``obj``: the full name for accounts, classes and
    locations (two "Depreciation" accounts may live under different parents)."""
    name_field = CATALOG[entity].name_field
    value = obj.get(name_field) if name_field else None
    if entity in _BY_FULL_NAME:
        value = obj.get("FullyQualifiedName") or value
    return str(value) if value else None


def normalize_name(name: str) -> str:
    """QBO name uniqueness ignores case and surrounding spaces (UNVERIFIED; see docs)."""
    return " ".join(name.split()).casefold()


def namespace_of(entity: str) -> str:
    """Customer, Vendor and Employee share one DisplayName namespace; other lists their own."""
    return "people" if entity in ("Customer", "Vendor", "Employee") else entity


def seed_objects() -> list[tuple[str, Obj]]:
    """The lists a new US company is born with, as create bodies in creation order."""
    seeds: list[tuple[str, Obj]] = []
    for name, account_type, sub_type in _ACCOUNTS:
        seeds.append(
            ("Account", {"Name": name, "AccountType": account_type, "AccountSubType": sub_type})
        )
    for name, kind in _PAYMENT_METHODS:
        seeds.append(("PaymentMethod", {"Name": name, "Type": kind}))
    for name, days in _TERMS:
        seeds.append(("Term", {"Name": name, "Type": "STANDARD", "DueDays": days}))
    seeds.append(
        (
            "Item",
            {
                "Name": "Services",
                "Type": "Service",
                "IncomeAccountRef": {"value": "6"},
                "UnitPrice": Decimal(0),
            },
        )
    )
    seeds.append(
        (
            "Item",
            {
                "Name": "Hours",
                "Type": "Service",
                "IncomeAccountRef": {"value": "6"},
                "UnitPrice": Decimal(0),
            },
        )
    )
    return seeds


ACCOUNT_IDS = {name: str(index + 1) for index, (name, _, _) in enumerate(_ACCOUNTS)}
AR_ACCOUNT_ID = ACCOUNT_IDS["Accounts Receivable (A/R)"]
AP_ACCOUNT_ID = ACCOUNT_IDS["Accounts Payable (A/P)"]
UNDEPOSITED_FUNDS_ID = ACCOUNT_IDS["Undeposited Funds"]
DEFAULT_TERMS_ID = "3"  # Net 30, the default terms on a new company's sales forms


def company_info(
    name: str,
    *,
    address: dict[str, str],
    industry: str,
    start_date: str,
    phone: str | None = None,
) -> Obj:
    """The CompanyInfo body of a QBO Plus company (server fields are added by the caller)."""
    info: Obj = {
        "CompanyName": name,
        "LegalName": name,
        "CompanyAddr": {"Id": "1", **address},
        "CustomerCommunicationAddr": {"Id": "1", **address},
        "LegalAddr": {"Id": "1", **address},
        "CompanyStartDate": start_date,
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "Email": {"Address": "noreply@quickbooks.com"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": industry},
            {"Name": "QBOIndustryType", "Value": industry},
            {"Name": "ItemCategoriesFeature", "Value": "true"},
            {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
            {"Name": "IsQbdtMigrated", "Value": "false"},
        ],
    }
    if phone is not None:
        info["PrimaryPhone"] = {"FreeFormNumber": phone}
    return info
