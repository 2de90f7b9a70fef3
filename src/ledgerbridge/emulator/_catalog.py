"""What QBO knows about each entity: its properties, their kinds and limits, its references.

QBO's JSON binding is strict (an unknown property is refused with 2010), so every entity the
emulator serves lists its top-level properties here. The lists are the union of Intuit's API
reference (``QBO-REFERENCE.md`` sections 7 and 8) and what the widely used SDKs send; a
test checks that every property python-quickbooks serializes is known.

Kinds: ``s`` string, ``b`` boolean, ``n`` decimal number, ``i`` integer, ``d`` date, ``t``
date-time, ``r`` reference ``{"value", "name"}``, ``o`` object, ``l`` list, ``x`` anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CATALOG",
    "NAME_LISTS",
    "REFERENCE_TARGETS",
    "TRANSACTIONS",
    "EntitySpec",
    "canonical_entity",
]

Kind = Literal["s", "b", "n", "i", "d", "t", "r", "o", "l", "x"]
Family = Literal["name", "txn", "singleton"]

# Present on every entity; the server owns all of them but Id and SyncToken.
_COMMON = "Id:s SyncToken:s domain:s sparse:b status:s MetaData:o"
_READ_ONLY_COMMON = frozenset({"domain", "status", "MetaData"})

_ADDRESSED = (
    "Title:s GivenName:s MiddleName:s FamilyName:s Suffix:s CompanyName:s DisplayName:s "
    "PrintOnCheckName:s Active:b PrimaryPhone:o AlternatePhone:o Mobile:o Fax:o "
    "PrimaryEmailAddr:o WebAddr:o BillAddr:o OtherAddr:o CurrencyRef:r Balance:n "
    "AcctNum:s TaxIdentifier:s Notes:s Source:s GSTIN:s BusinessNumber:s "
    "PrimaryTaxIdentifier:s SecondaryTaxIdentifier:s GSTRegistrationType:s"
)

_SALES_TXN = (
    "DocNumber:s TxnDate:d PrivateNote:s Line:l LinkedTxn:l CustomField:l CurrencyRef:r "
    "ExchangeRate:n CustomerRef:r CustomerMemo:o BillAddr:o ShipAddr:o ShipFromAddr:o "
    "FreeFormAddress:b ClassRef:r DepartmentRef:r SalesTermRef:r TxnTaxDetail:o "
    "GlobalTaxCalculation:s ApplyTaxAfterDiscount:b PrintStatus:s EmailStatus:s BillEmail:o "
    "BillEmailCc:o BillEmailBcc:o DeliveryInfo:o ShipMethodRef:r ShipDate:d TrackingNum:s "
    "TotalAmt:n HomeTotalAmt:n TxnSource:s TaxExemptionRef:r RecurDataRef:r ProjectRef:r "
    "TransactionLocationType:s TxnStatus:s Balance:n HomeBalance:n ExternalId:s"
)

_PURCHASE_TXN = (
    "DocNumber:s TxnDate:d PrivateNote:s Line:l LinkedTxn:l CustomField:l CurrencyRef:r "
    "ExchangeRate:n VendorRef:r APAccountRef:r SalesTermRef:r DepartmentRef:r ClassRef:r "
    "TxnTaxDetail:o GlobalTaxCalculation:s TotalAmt:n HomeTotalAmt:n DueDate:d "
    "TransactionLocationType:s VendorAddr:o ShipAddr:o ShipMethodRef:r ProjectRef:r "
    "IncludeInAnnualTPAR:b"
)


@dataclass(frozen=True)
class EntitySpec:
    """One QBO entity: its name, family and properties."""

    name: str
    family: Family
    fields: Mapping[str, Kind]
    read_only: frozenset[str] = frozenset()
    max_length: Mapping[str, int] = field(default_factory=dict)
    enums: Mapping[str, frozenset[str]] = field(default_factory=dict)
    deletable: bool = False
    voidable: bool = False
    #: the property holding the object's name, unique within its namespace
    name_field: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "read_only", self.read_only | _READ_ONLY_COMMON)


def _fields(*specs: str) -> Mapping[str, Kind]:
    out: dict[str, Kind] = {}
    for spec in (_COMMON, *specs):
        for item in spec.split():
            name, kind = item.split(":")
            out[name] = kind  # type: ignore[assignment]
    return MappingProxyType(out)


def _enum(*values: str) -> frozenset[str]:
    return frozenset(values)


_NAME_LENGTHS = {
    "DisplayName": 500,
    "Title": 16,
    "Suffix": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "CompanyName": 100,
    "PrintOnCheckName": 110,
    "Notes": 2000,
    "ResaleNum": 16,
    "AcctNum": 100,
    "TaxIdentifier": 20,
}
_TXN_LENGTHS = {"DocNumber": 21, "PrivateNote": 4000, "TrackingNum": 31}
_SALES_ENUMS = {
    "PrintStatus": _enum("NotSet", "NeedToPrint", "PrintComplete"),
    "EmailStatus": _enum("NotSet", "NeedToSend", "EmailSent"),
    "GlobalTaxCalculation": _enum("TaxExcluded", "TaxInclusive", "NotApplicable"),
}
_SALES_READ_ONLY = frozenset({"TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance"})

ACCOUNT_TYPES = _enum(
    "Bank",
    "Accounts Receivable",
    "Other Current Asset",
    "Fixed Asset",
    "Other Asset",
    "Accounts Payable",
    "Credit Card",
    "Other Current Liability",
    "Long Term Liability",
    "Equity",
    "Income",
    "Cost of Goods Sold",
    "Expense",
    "Other Income",
    "Other Expense",
    "Non-Posting",
)

_SPECS = [
    EntitySpec(
        "Account",
        "name",
        _fields(
            "Name:s SubAccount:b ParentRef:r FullyQualifiedName:s Description:s Active:b "
            "Classification:s AccountType:s AccountSubType:s AcctNum:s CurrentBalance:n "
            "CurrentBalanceWithSubAccounts:n CurrencyRef:r TaxCodeRef:r TxnLocationType:s "
            "AccountAlias:s OpeningBalance:n OpeningBalanceDate:d"
        ),
        read_only=frozenset(
            {
                "FullyQualifiedName",
                "Classification",
                "CurrentBalance",
                "CurrentBalanceWithSubAccounts",
            }
        ),
        max_length={"Name": 100, "Description": 100, "AcctNum": 7},
        enums={"AccountType": ACCOUNT_TYPES},
        name_field="Name",
    ),
    EntitySpec(
        "Customer",
        "name",
        _fields(
            _ADDRESSED,
            "ShipAddr:o FullyQualifiedName:s Level:i Job:b IsProject:b BillWithParent:b "
            "ParentRef:r Taxable:b DefaultTaxCodeRef:r SalesTermRef:r PaymentMethodRef:r "
            "PreferredDeliveryMethod:s ResaleNum:s BalanceWithJobs:n OpenBalanceDate:d "
            "ARAccountRef:r CustomerTypeRef:r TaxExemptionReasonId:s ClientEntityId:s",
        ),
        read_only=frozenset({"FullyQualifiedName", "Level", "BalanceWithJobs"}),
        max_length=_NAME_LENGTHS,
        enums={"PreferredDeliveryMethod": _enum("Print", "Email", "None")},
        name_field="DisplayName",
    ),
    EntitySpec(
        "Vendor",
        "name",
        _fields(
            _ADDRESSED,
            "Vendor1099:b TermRef:r BillRate:n CostRate:n TaxReportingBasis:s "
            "APAccountRef:r VendorPaymentBankDetail:o T4AEligible:b T5018Eligible:b",
        ),
        max_length=_NAME_LENGTHS,
        name_field="DisplayName",
    ),
    EntitySpec(
        "Employee",
        "name",
        _fields(
            _ADDRESSED,
            "EmployeeNumber:s SSN:s PrimaryAddr:o BillableTime:b BillRate:n CostRate:n "
            "BirthDate:d Gender:s HiredDate:d ReleasedDate:d Organization:b",
        ),
        max_length={**_NAME_LENGTHS, "EmployeeNumber": 100},
        name_field="DisplayName",
    ),
    EntitySpec(
        "Item",
        "name",
        _fields(
            "Name:s Sku:s Description:s Active:b SubItem:b ParentRef:r Level:i "
            "FullyQualifiedName:s Taxable:b SalesTaxIncluded:b UnitPrice:n Type:s "
            "IncomeAccountRef:r PurchaseDesc:s PurchaseTaxIncluded:b PurchaseCost:n "
            "ExpenseAccountRef:r AssetAccountRef:r PrefVendorRef:r TrackQtyOnHand:b "
            "QtyOnHand:n QtyOnPurchaseOrder:n QtyOnSalesOrder:n ReorderPoint:n "
            "InvStartDate:d SalesTaxCodeRef:r PurchaseTaxCodeRef:r ClassRef:r Source:s "
            "ItemCategoryType:s AbatementRate:n ReverseChargeRate:n ServiceType:s "
            "UQCDisplayText:s UQCId:s ItemGroupDetail:o ItemAssemblyDetail:o"
        ),
        read_only=frozenset(
            {"FullyQualifiedName", "Level", "QtyOnPurchaseOrder", "QtyOnSalesOrder"}
        ),
        max_length={"Name": 100, "Sku": 100, "Description": 4000, "PurchaseDesc": 1000},
        enums={
            "Type": _enum("Inventory", "Service", "NonInventory", "Category", "Group"),
        },
        name_field="Name",
    ),
    EntitySpec(
        "PaymentMethod",
        "name",
        _fields("Name:s Active:b Type:s"),
        max_length={"Name": 31},
        enums={"Type": _enum("CREDIT_CARD", "NON_CREDIT_CARD")},
        name_field="Name",
    ),
    EntitySpec(
        "Term",
        "name",
        _fields(
            "Name:s Active:b Type:s DueDays:i DiscountPercent:n DiscountDays:i "
            "DayOfMonthDue:i DueNextMonthDays:i DiscountDayOfMonth:i"
        ),
        max_length={"Name": 31},
        enums={"Type": _enum("STANDARD", "DATE_DRIVEN")},
        name_field="Name",
    ),
    EntitySpec(
        "TaxCode",
        "name",
        _fields(
            "Name:s Description:s Active:b Hidden:b Taxable:b TaxGroup:b "
            "SalesTaxRateList:o PurchaseTaxRateList:o TaxCodeConfigType:s"
        ),
        max_length={"Name": 100},
        name_field="Name",
    ),
    EntitySpec(
        "Class",
        "name",
        _fields("Name:s SubClass:b ParentRef:r FullyQualifiedName:s Active:b"),
        read_only=frozenset({"FullyQualifiedName"}),
        max_length={"Name": 100},
        name_field="Name",
    ),
    EntitySpec(
        "Department",
        "name",
        _fields("Name:s SubDepartment:b ParentRef:r FullyQualifiedName:s Active:b"),
        read_only=frozenset({"FullyQualifiedName"}),
        max_length={"Name": 100},
        name_field="Name",
    ),
    EntitySpec(
        "Estimate",
        "txn",
        _fields(
            _SALES_TXN,
            "ExpirationDate:d AcceptedBy:s AcceptedDate:d DueDate:d",
        ),
        read_only=_SALES_READ_ONLY,
        max_length=_TXN_LENGTHS,
        enums={
            **_SALES_ENUMS,
            "TxnStatus": _enum("Pending", "Accepted", "Closed", "Rejected", "Converted"),
        },
        deletable=True,
    ),
    EntitySpec(
        "Invoice",
        "txn",
        _fields(
            _SALES_TXN,
            "DueDate:d Deposit:n DepositToAccountRef:r AllowIPNPayment:b "
            "AllowOnlinePayment:b AllowOnlineCreditCardPayment:b AllowOnlineACHPayment:b "
            "InvoiceLink:s EInvoiceStatus:s",
        ),
        read_only=_SALES_READ_ONLY | {"InvoiceLink"},
        max_length=_TXN_LENGTHS,
        enums=_SALES_ENUMS,
        deletable=True,
        voidable=True,
    ),
    EntitySpec(
        "SalesReceipt",
        "txn",
        _fields(
            _SALES_TXN,
            "DepositToAccountRef:r PaymentMethodRef:r PaymentRefNum:s CreditCardPayment:o",
        ),
        read_only=_SALES_READ_ONLY,
        max_length={**_TXN_LENGTHS, "PaymentRefNum": 21},
        enums=_SALES_ENUMS,
        deletable=True,
        voidable=True,
    ),
    EntitySpec(
        "CreditMemo",
        "txn",
        _fields(_SALES_TXN, "RemainingCredit:n PaymentMethodRef:r DepositToAccountRef:r"),
        read_only=_SALES_READ_ONLY | {"RemainingCredit"},
        max_length=_TXN_LENGTHS,
        enums=_SALES_ENUMS,
        deletable=True,
    ),
    EntitySpec(
        "RefundReceipt",
        "txn",
        _fields(
            _SALES_TXN,
            "DepositToAccountRef:r PaymentMethodRef:r PaymentRefNum:s PaymentType:s "
            "CheckPayment:o CreditCardPayment:o",
        ),
        read_only=_SALES_READ_ONLY,
        max_length={**_TXN_LENGTHS, "PaymentRefNum": 100},
        enums={
            **_SALES_ENUMS,
            "PaymentType": _enum("Cash", "Check", "CreditCard", "Other"),
        },
        deletable=True,
    ),
    EntitySpec(
        "PurchaseOrder",
        "txn",
        _fields(_PURCHASE_TXN, "POStatus:s POEmail:o Memo:s ShipTo:r EmailStatus:s"),
        read_only=frozenset({"TotalAmt", "HomeTotalAmt"}),
        max_length={**_TXN_LENGTHS, "Memo": 4000},
        enums={
            "POStatus": _enum("Open", "Closed"),
            "EmailStatus": _SALES_ENUMS["EmailStatus"],
        },
        deletable=True,
    ),
    EntitySpec(
        "Bill",
        "txn",
        _fields(_PURCHASE_TXN, "Balance:n HomeBalance:n"),
        read_only=frozenset({"TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance"}),
        max_length=_TXN_LENGTHS,
        deletable=True,
    ),
    EntitySpec(
        "Payment",
        "txn",
        _fields(
            "TxnDate:d PrivateNote:s Line:l LineEx:o CurrencyRef:r ExchangeRate:n "
            "CustomerRef:r ARAccountRef:r DepositToAccountRef:r PaymentMethodRef:r "
            "PaymentRefNum:s CreditCardPayment:o TotalAmt:n UnappliedAmt:n ProcessPayment:b "
            "TxnSource:s TransactionLocationType:s ProjectRef:r DocNumber:s"
        ),
        read_only=frozenset({"UnappliedAmt", "LineEx"}),
        max_length={"PrivateNote": 4000, "PaymentRefNum": 21, "DocNumber": 21},
        deletable=True,
        voidable=True,
    ),
    EntitySpec(
        "InventoryAdjustment",
        "txn",
        _fields(
            "DocNumber:s TxnDate:d PrivateNote:s Line:l AdjustAccountRef:r "
            "DepartmentRef:r ClassRef:r CustomField:l"
        ),
        max_length=_TXN_LENGTHS,
        deletable=True,
    ),
    EntitySpec(
        "CompanyInfo",
        "singleton",
        _fields(
            "CompanyName:s LegalName:s CompanyAddr:o CustomerCommunicationAddr:o LegalAddr:o "
            "CustomerCommunicationEmailAddr:o PrimaryPhone:o CompanyStartDate:d "
            "FiscalYearStartMonth:s Country:s Email:o WebAddr:o SupportedLanguages:s "
            "NameValue:l EmployerId:s"
        ),
        max_length={"CompanyName": 1024, "LegalName": 1024},
    ),
    EntitySpec(
        "Preferences",
        "singleton",
        _fields(
            "AccountingInfoPrefs:o ProductAndServicesPrefs:o SalesFormsPrefs:o "
            "EmailMessagesPrefs:o VendorAndPurchasesPrefs:o TimeTrackingPrefs:o TaxPrefs:o "
            "CurrencyPrefs:o ReportPrefs:o OtherPrefs:o"
        ),
    ),
]

CATALOG: Mapping[str, EntitySpec] = MappingProxyType({s.name: s for s in _SPECS})
NAME_LISTS = frozenset(s.name for s in _SPECS if s.family == "name")
TRANSACTIONS = frozenset(s.name for s in _SPECS if s.family == "txn")

_BY_LOWER = MappingProxyType({name.lower(): name for name in CATALOG})


def canonical_entity(segment: str) -> str | None:
    """The entity a URL path segment names (QBO matches them case-insensitively)."""
    return _BY_LOWER.get(segment.lower())


#: Which entity a reference property points at, wherever it appears in a payload.
REFERENCE_TARGETS: Mapping[str, str] = MappingProxyType(
    {
        "CustomerRef": "Customer",
        "VendorRef": "Vendor",
        "PrefVendorRef": "Vendor",
        "ItemRef": "Item",
        "AccountRef": "Account",
        "IncomeAccountRef": "Account",
        "ExpenseAccountRef": "Account",
        "AssetAccountRef": "Account",
        "APAccountRef": "Account",
        "ARAccountRef": "Account",
        "DepositToAccountRef": "Account",
        "AdjustAccountRef": "Account",
        "DiscountAccountRef": "Account",
        "PaymentMethodRef": "PaymentMethod",
        "SalesTermRef": "Term",
        "TermRef": "Term",
        "ClassRef": "Class",
        "DepartmentRef": "Department",
        "TaxCodeRef": "TaxCode",
        "DefaultTaxCodeRef": "TaxCode",
        "SalesTaxCodeRef": "TaxCode",
        "PurchaseTaxCodeRef": "TaxCode",
    }
)
