"""The US sample company every Intuit developer sandbox comes with.

A sandbox realm ("Sandbox Company_US_1") holds the books of *Craig's Design and Landscaping
Services*. Client test suites take its names and Ids for granted: python-quickbooks' own
integration tests put item 10 ("Pest Control") on an estimate with a discount line on account
86 ("Discounts given") and pay a purchase with account 42 ("Visa"). :func:`seed_sample_company`
fills a fresh, empty company with that data through the ledger's full rule pipeline, keeping
the Ids real sandboxes return.

Sources (public recordings of sandbox traffic and dumps of sandbox data):

* ``minimul/qbo_api`` ``spec/vcr`` cassettes (a 2015 sandbox, replayed until 2020): customers
  1-29 with names, addresses, phones, e-mails, taxability, sub-customer links and balances;
  vendors 30-53, 56, 57 with addresses, account numbers, terms and 1099 flags; employees 54,
  55; estimates 41, 46, 48, 100; sales receipts 11, 38, 47 (and 17's Id); account 5.
* A Node.js app that inlined its sandbox responses (2020): invoices 9/1001, 67/1021, 71/1025
  of Amy's Bird Sanctuary with their lines, tax detail and the payments 31, 72, 74, 101.
* Intuit's API reference examples kept in SDK fixtures (Clojure ``intuit.quickbooks.online``,
  PipedreamHQ test events): invoice 130/1037, credit memo 73/1026, payment method 7, terms 1-5
  and the sample's Preferences (e-mail messages naming Craig's Design and Landscaping).
* A sandbox batch response (2024): invoice 99/1032 of Travis Waldron; a README of a 2025
  sandbox: invoice 129/1036, payment 128, A/R 5281.52 and A/P 1602.67.
* Sandbox chart-of-accounts dumps: account names, Ids, types and parents (a fyle-qbo-api SQL
  fixture, 2022), sub-types of the expense accounts (a Codat test list), of the asset accounts
  (a 2024 Account query mock) and of accounts 1, 45, 79, 86, 87 (a sandbox-shaped test).
* Sandbox item dumps (2024): items 1-18 with descriptions, prices, costs, taxability,
  income accounts and quantities on hand.
* A ProfitAndLossDetail report of a 2023 sandbox: which invoice, receipt, credit memo, refund
  and bill carries which item, account, customer, vendor, memo and amount, and their dates.
* A 2025 sandbox summary: 18 items, 26 active vendors, CompanyInfo address (123 Sierra Way,
  San Pablo, CA 87999) and industry (Landscaping Services).

Choices where the recordings are silent:

* Account sub-types not recorded: 2, 6, 25, 26, 30, 34, 41-44, 46-54, 82, 83, 85, 89, 90 (the
  usual QBO sub-type for the name and type). Accounts carry no balances: the emulator posts
  nothing to accounts, so every CurrentBalance is 0 (the sandbox shows A/R 5281.52 etc.).
* Payment methods 3-6 (Visa, MasterCard, Discover, American Express) fill the Ids between the
  recorded 1 Cash, 2 Check and 7 Diners Club.
* Tax: only the pseudo codes TAX and NON plus code "2" named "California" (the Id every
  recorded sample invoice names in TxnTaxCodeRef; its name is a choice), at 8 % (tax rate 3).
* Items: InvStartDate one year before seeding; inventory starts with the recorded quantity on
  hand plus what the seeded sales take out, so that the recorded quantities remain.
* Transaction Ids not recorded (invoices 10, 13, 16, 18, 19, 21, 22, 27-30, 63, 96, 111, 124,
  126; payments 33, 58, 81, 85; refund receipt 66; bills 34, 40, 44, 52, 56; purchase orders
  60, 61) are free Ids near their neighbours. Every open invoice and bill keeps the recorded
  customer and vendor balance; where the report shows only part of an invoice, the rest is
  chosen: 1005 (55 Twin Lane), 1012 (Soil line), 1024 (Red Rock Diner), payments of 1002,
  1007, 1017, 1009/1013, the Norton Lumber bill of 205.00 and both purchase orders (modelled
  on a recorded Hicks Hardware restock).
* Dates: each transaction keeps its recorded distance from the day the sample was generated
  (taken as 2023-09-04 for the 2023 report), counted back from ``ledger.clock.today()``.
* CompanyInfo: CompanyName and LegalName are the company's own name (sandboxes say
  "Sandbox Company_US_1"); e-mail noreply@quickbooks.com; CompanyStartDate the seeding day.
* Name Ids: QBO draws customers, vendors and employees from one sequence, so the next one
  created gets Id 58.

Emulator limits that shape the data:

* BillPayment is not an emulator entity, so paid bills (recorded Bill 25, paid by
  BillPaymentCheck 118) can't be seeded; only the open bills are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from ._clock import format_timestamp
from ._company import Obj, company_info
from ._ledger import Ledger

__all__ = ["seed_sample_company"]

# -- name lists ----------------------------------------------------------------------------

#: (Id, Name, AccountType, AccountSubType, parent Id) in Id order.
_ACCOUNTS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("1", "Services", "Income", "ServiceFeeIncome", None),
    ("2", "Retained Earnings", "Equity", "RetainedEarnings", None),
    ("3", "Prepaid Expenses", "Other Current Asset", "PrepaidExpenses", None),
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", None),
    ("5", "Fees Billed", "Income", "ServiceFeeIncome", None),
    ("6", "Refunds-Allowances", "Income", "DiscountsRefundsGiven", None),
    ("7", "Advertising", "Expense", "AdvertisingPromotional", None),
    ("8", "Bank Charges", "Expense", "BankCharges", None),
    ("9", "Commissions & fees", "Expense", "OtherMiscellaneousServiceCost", None),
    ("10", "Dues & Subscriptions", "Expense", "DuesSubscriptions", None),
    ("11", "Insurance", "Expense", "Insurance", None),
    ("12", "Legal & Professional Fees", "Expense", "LegalProfessionalFees", None),
    ("13", "Meals and Entertainment", "Expense", "EntertainmentMeals", None),
    ("14", "Miscellaneous", "Other Expense", "OtherMiscellaneousExpense", None),
    ("15", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", None),
    ("16", "Promotional", "Expense", "AdvertisingPromotional", None),
    ("17", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", None),
    ("18", "Repair & Maintenance", "Expense", "RepairMaintenance", None),
    ("19", "Stationery & Printing", "Expense", "OfficeGeneralAdministrativeExpenses", None),
    ("20", "Supplies", "Expense", "SuppliesMaterials", None),
    ("21", "Taxes & Licenses", "Expense", "TaxesPaid", None),
    ("22", "Travel", "Expense", "Travel", None),
    ("23", "Travel Meals", "Expense", "TravelMeals", None),
    ("24", "Utilities", "Expense", "Utilities", None),
    ("25", "Interest Earned", "Other Income", "InterestEarned", None),
    ("26", "Other Portfolio Income", "Other Income", "OtherInvestmentIncome", None),
    ("27", "Penalties & Settlements", "Other Expense", "PenaltiesSettlements", None),
    ("28", "Disposal Fees", "Expense", "OtherMiscellaneousServiceCost", None),
    ("29", "Equipment Rental", "Expense", "EquipmentRental", None),
    ("30", "Uncategorized Income", "Income", "OtherPrimaryIncome", None),
    ("31", "Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost", None),
    ("32", "Uncategorized Asset", "Other Current Asset", "OtherCurrentAssets", None),
    ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None),
    ("34", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", None),
    ("35", "Checking", "Bank", "Checking", None),
    ("36", "Savings", "Bank", "Savings", None),
    ("37", "Truck", "Fixed Asset", "Vehicles", None),
    ("38", "Original Cost", "Fixed Asset", "Vehicles", "37"),
    ("39", "Depreciation", "Fixed Asset", "AccumulatedDepreciation", "37"),
    ("40", "Depreciation", "Other Expense", "Depreciation", None),
    ("41", "Mastercard", "Credit Card", "CreditCard", None),
    ("42", "Visa", "Credit Card", "CreditCard", None),
    ("43", "Loan Payable", "Other Current Liability", "LoanPayable", None),
    ("44", "Notes Payable", "Long Term Liability", "NotesPayable", None),
    ("45", "Landscaping Services", "Income", "OtherPrimaryIncome", None),
    ("46", "Job Materials", "Income", "OtherPrimaryIncome", "45"),
    ("47", "Decks and Patios", "Income", "OtherPrimaryIncome", "46"),
    ("48", "Fountains and Garden Lighting", "Income", "OtherPrimaryIncome", "46"),
    ("49", "Plants and Soil", "Income", "OtherPrimaryIncome", "46"),
    ("50", "Sprinklers and Drip Systems", "Income", "OtherPrimaryIncome", "46"),
    ("51", "Labor", "Income", "OtherPrimaryIncome", "45"),
    ("52", "Installation", "Income", "OtherPrimaryIncome", "51"),
    ("53", "Maintenance and Repair", "Income", "OtherPrimaryIncome", "51"),
    ("54", "Pest Control Services", "Income", "OtherPrimaryIncome", None),
    ("55", "Automobile", "Expense", "Auto", None),
    ("56", "Fuel", "Expense", "Auto", "55"),
    ("57", "Workers Compensation", "Expense", "Insurance", "11"),
    ("58", "Job Expenses", "Expense", "OtherMiscellaneousServiceCost", None),
    ("59", "Cost of Labor", "Expense", "OtherMiscellaneousServiceCost", "58"),
    ("60", "Installation", "Expense", "OtherMiscellaneousServiceCost", "59"),
    ("61", "Maintenance and Repairs", "Expense", "OtherMiscellaneousServiceCost", "59"),
    ("62", "Equipment Rental", "Expense", "EquipmentRental", "58"),
    ("63", "Job Materials", "Expense", "SuppliesMaterials", "58"),
    ("64", "Decks and Patios", "Expense", "SuppliesMaterials", "63"),
    ("65", "Fountain and Garden Lighting", "Expense", "SuppliesMaterials", "63"),
    ("66", "Plants and Soil", "Expense", "SuppliesMaterials", "63"),
    ("67", "Sprinklers and Drip Systems", "Expense", "SuppliesMaterials", "63"),
    ("68", "Permits", "Expense", "OtherMiscellaneousServiceCost", "58"),
    ("69", "Accounting", "Expense", "LegalProfessionalFees", "12"),
    ("70", "Bookkeeper", "Expense", "LegalProfessionalFees", "12"),
    ("71", "Lawyer", "Expense", "LegalProfessionalFees", "12"),
    ("72", "Maintenance and Repair", "Expense", "RepairMaintenance", None),
    ("73", "Building Repairs", "Expense", "RepairMaintenance", "72"),
    ("74", "Computer Repairs", "Expense", "RepairMaintenance", "72"),
    ("75", "Equipment Repairs", "Expense", "RepairMaintenance", "72"),
    ("76", "Gas and Electric", "Expense", "Utilities", "24"),
    ("77", "Telephone", "Expense", "Utilities", "24"),
    ("78", "Purchases", "Expense", "SuppliesMaterials", None),
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome", None),
    ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    ("81", "Inventory Asset", "Other Current Asset", "Inventory", None),
    ("82", "Design income", "Income", "OtherPrimaryIncome", None),
    ("83", "Other Income", "Income", "OtherPrimaryIncome", None),
    ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", None),
    ("85", "Billable Expense Income", "Income", "OtherPrimaryIncome", None),
    ("86", "Discounts given", "Income", "DiscountsRefundsGiven", None),
    ("87", "Unapplied Cash Payment Income", "Income", "UnappliedCashPaymentIncome", None),
    (
        "88",
        "Unapplied Cash Bill Payment Expense",
        "Expense",
        "UnappliedCashBillPaymentExpense",
        None,
    ),
    ("89", "Arizona Dept. of Revenue Payable", "Other Current Liability", "GlobalTaxPayable", None),
    ("90", "Board of Equalization Payable", "Other Current Liability", "GlobalTaxPayable", None),
)
#: Recorded as "Repair & Maintenance (deleted)": made inactive in the sample itself.
_INACTIVE_ACCOUNTS = frozenset({"18"})

UNDEPOSITED_FUNDS = "4"
CHECKING = "35"
ACCOUNTS_PAYABLE = "33"
DISCOUNTS_GIVEN = "86"
_COGS, _INVENTORY_ASSET = "80", "81"

#: (Id, Name, DueDays)
_TERMS = (
    ("1", "Due on receipt", 0),
    ("2", "Net 15", 15),
    ("3", "Net 30", 30),
    ("4", "Net 60", 60),
    ("5", "Net 10", 10),
)
_PAYMENT_METHODS = (
    ("1", "Cash", "NON_CREDIT_CARD"),
    ("2", "Check", "NON_CREDIT_CARD"),
    ("3", "Visa", "CREDIT_CARD"),
    ("4", "MasterCard", "CREDIT_CARD"),
    ("5", "Discover", "CREDIT_CARD"),
    ("6", "American Express", "CREDIT_CARD"),
    ("7", "Diners Club", "CREDIT_CARD"),
)
CASH, CHECK = "1", "2"

#: Address Id -> (Line1, City, State, PostalCode, Country, Lat, Long)
_ADDRESSES: dict[str, tuple[str, str, str, str, str | None, str, str]] = {
    "2": ("4581 Finch St.", "Bayshore", "CA", "94326", None, "INVALID", "INVALID"),
    "3": ("12 Ocean Dr.", "Half Moon Bay", "CA", "94213", None, "37.4307072", "-122.4295234"),
    "4": ("65 Ocean Dr.", "Half Moon Bay", "CA", "94213", None, "37.4300318", "-122.4336537"),
    "5": ("321 Channing", "Palo Alto", "CA", "94303", None, "37.443231", "-122.1561846"),
    "6": ("25 Court St.", "Tucson", "AZ", "85719", None, "32.2841116", "-110.9744298"),
    "7": ("370 Easy St.", "Middlefield", "CA", "94482", None, "37.4031672", "-122.0642815"),
    "8": ("370 Easy St.", "Middlefield", "CA", "94482", None, "37.4031672", "-122.0642815"),
    "9": ("370 Easy St.", "Middlefield", "CA", "94482", None, "37.4031672", "-122.0642815"),
    "10": ("1987 Main St.", "Middlefield", "CA", "94303", None, "37.445013", "-122.1391443"),
    "11": ("1045 Main St.", "Half Moon Bay", "CA", "94213", None, "37.4559621", "-122.429939"),
    "12": ("12 Willow Rd.", "Menlo Park", "CA", "94305", None, "37.4495308", "-122.1726923"),
    "13": ("85 Pine St.", "Menlo Park", "CA", "94304", None, "37.4451342", "-122.1409626"),
    "14": ("45 First St.", "Menlo Park", "CA", "94304", "USA", "37.4585825", "-122.1352789"),
    "15": (
        "350 Mountain View Dr.",
        "South Orange",
        "NJ",
        "07079",
        None,
        "40.7633073",
        "-74.2426072",
    ),
    "16": ("789 Sugar Lane", "Middlefield", "CA", "94303", None, "37.4530553", "-122.1178261"),
    "17": ("36 Willow Rd", "Menlo Park", "CA", "94304", None, "37.450412", "-122.170593"),
    "18": ("900 Main St.", "Middlefield", "CA", "94303", None, "37.445013", "-122.1391443"),
    "19": ("38921 S. Boise Ave", "Middlefield", "CA", "94304", None, "37.3989376", "-122.1443935"),
    "20": ("753 Cedar St.", "Bayshore", "CA", "94326", None, "37.7077016", "-122.4273232"),
    "21": ("500 Red Rock Rd.", "Bayshore", "CA", "94326", None, "INVALID", "INVALID"),
    "22": ("847 California Ave.", "San Jose", "CA", "95021", None, "37.3313585", "-121.911372"),
    "23": ("77 University", "Palo Alto", "CA", "94303", None, "37.4431445", "-122.164443"),
    "24": ("19 Main St.", "Middlefield", "CA", "94303", None, "37.445013", "-122.1391443"),
    "25": (
        "5647 Cypress Hill Ave.",
        "Middlefield",
        "CA",
        "94303",
        None,
        "37.4238562",
        "-122.1141681",
    ),
    "26": ("898 Elm St.", "Maplewood", "NJ", "07040", None, "40.7312816", "-74.2652908"),
    "27": ("78 First St.", "Monlo Park", "CA", "94304", None, "37.4585825", "-122.1352789"),
    "28": ("202 Main St.", "Tucson", "AZ", "85704", None, "32.2242351", "-110.9758242"),
    "29": ("135 Broadway", "Menlo Park", "CA", "94304", None, "37.4846734", "-122.1989488"),
    "30": ("45612 Main St.", "Bayshore", "CA", "94326", None, "45.256574", "-66.0943698"),
    "31": ("15 Main St.", "Palo Alto", "CA", "94303", None, "37.445013", "-122.1391443"),
    "32": ("P.O. Box 5", "Middlefield", "CA", "94482", None, "43.8249453", "-79.2639122"),
    "33": ("10 Main St.", "Palo Alto", "CA", "94303", None, "37.445013", "-122.1391443"),
    "34": ("1515 Main St.", "Middlefield", "CA", "94482", None, "37.3787808", "-122.1158227"),
    "35": ("45896 Main St.", "Middlefield", "CA", "94303", "USA", "37.445013", "-122.1391443"),
    "36": ("P.O.Box 357", "South Orange", "NJ", "07079", None, "40.7489277", "-74.2609903"),
    "37": ("42 Main St.", "Middlefield", "CA", "94303", None, "37.445013", "-122.1391443"),
    "38": ("53 Main St.", "Middlefield", "CA", "94303", None, "37.445013", "-122.1391443"),
    "39": ("123 Anywhere Ave", "Tucson", "AZ", "85704", None, "32.3477051", "-110.9992777"),
    "40": ("4528 Country Road", "Middlefield", "CA", "94303", None, "37.3752919", "-122.1692159"),
    "41": ("P.O. Box 15", "Bayshore", "CA", "94326", None, "45.2720537", "-79.7935909"),
    "42": ("4 Main St.", "Palo Alto", "CA", "94303", None, "37.445013", "-122.1391443"),
    "43": ("P.O. Box 147", "Bayshore", "CA", "94326", None, "45.2720537", "-79.7935909"),
    "44": ("1111 Elm St.", "Middlefield", "CA", "94482", "USA", "37.4604972", "-122.1547528"),
    "45": ("3948 Elm St.", "Middlefield", "CA", "94482", None, "37.4604972", "-122.1547528"),
    "46": ("5568 Capital Drive", "Tucson", "AZ", "85718", None, "32.3389931", "-110.9268201"),
}

#: (Id, DisplayName, GivenName, MiddleName, FamilyName, CompanyName, phone, e-mail,
#: BillAddr Id, ShipAddr Id, Taxable, parent Id)
_Person = tuple[
    str, str, str | None, str | None, str | None, str | None, str | None, str | None,
    str | None, str | None, bool, str | None,
]  # fmt: skip
_CUSTOMERS: tuple[_Person, ...] = (
    ("1", "Amy's Bird Sanctuary", "Amy", None, "Lauterbach", "Amy's Bird Sanctuary",
     "(650) 555-3311", "Birds@Intuit.com", "2", "2", True, None),
    ("2", "Bill's Windsurf Shop", "Bill", None, "Lucchini", "Bill's Windsurf Shop",
     "(415) 444-6538", "Surf@Intuit.com", "3", None, False, None),
    ("3", "Cool Cars", "Grace", None, "Pariente", "Cool Cars",
     "(415) 555-9933", "Cool_Cars@intuit.com", "4", None, False, None),
    ("4", "Diego Rodriguez", "Diego", None, "Rodriguez", None,
     "(650) 555-4477", "Diego@Rodriguez.com", "5", None, False, None),
    ("5", "Dukes Basketball Camp", "Peter", None, "Dukes", "Dukes Basketball Camp",
     "(520) 420-5638", "Dukes_bball@intuit.com", "6", "6", True, None),
    ("6", "Dylan Sollfrank", "Dylan", None, "Sollfrank", None,
     None, None, None, None, False, None),
    ("7", "Freeman Sporting Goods", "Kirby", None, "Freeman", "Freeman Sporting Goods",
     "(650) 555-0987", "Sporting_goods@intuit.com", "7", "7", False, None),
    ("8", "0969 Ocean View Road", "Sasha", None, "Tillou", "Freeman Sporting Goods",
     "(415) 555-9933", "Sporting_goods@intuit.com", "8", "8", False, "7"),
    ("9", "55 Twin Lane", "Amelia", None, None, "Freeman Sporting Goods",
     "(650) 555-0987", "Sporting_goods@intuit.com", "9", "9", False, "7"),
    ("10", "Geeta Kalapatapu", "Geeta", None, "Kalapatapu", None,
     "(650) 555-0022", "Geeta@Kalapatapu.com", "10", "10", False, None),
    ("11", "Gevelber Photography", "Lisa", None, "Gevelber", "Gevelber Photography",
     "(415) 222-4345", "Photography@intuit.com", "11", "11", False, None),
    ("12", "Jeff's Jalopies", "Jeff", None, "Chin", "Jeff's Jalopies",
     "(650) 555-8989", "Jalopies@intuit.com", "12", "12", False, None),
    ("13", "John Melton", "John", None, "Melton", None,
     "(650) 555-5879", "John@Melton.com", "13", "13", False, None),
    ("14", "Kate Whelan", "Kate", None, "Whelan", None,
     "(650) 554-8822", "Kate@Whelan.com", "14", "14", False, None),
    ("15", "Pye's Cakes", "Karen", None, "Pye", "Pye's Cakes",
     "(973) 555-4652", "pyescakes@intuit.com", "15", "15", False, None),
    ("16", "Kookies by Kathy", "Kathy", None, "Kuplis", "Kookies by Kathy",
     "(650) 555-7896", "qbwebsamplecompany@yahoo.com", "16", None, False, None),
    ("17", "Mark Cho", "Mark", None, "Cho", None,
     "(650) 554-1479", "Mark@Cho.com", "17", "17", False, None),
    ("18", "Paulsen Medical Supplies", "Kathy", None, "Paulsen", "Paulsen Medical Supplies",
     "(650) 557-4569", "Medical@intuit.com", "18", "19", False, None),
    ("19", "Rago Travel Agency", "Jeff", None, "Rago", "Rago Travel Agency",
     "(650) 555-1596", "Rago_Travel@intuit.com", "20", "20", False, None),
    ("20", "Red Rock Diner", "Stephanie", None, "Martini", "Red Rock Diner",
     "(650) 555-4973", "qbwebsamplecompany@yahoo.com", "21", "21", False, None),
    ("21", "Rondonuwu Fruit and Vegi", "Rondonuwu", "Fruit", "and Vegi", None,
     "(650) 555-2645", "Tony@Rondonuwu.com", "22", "22", False, None),
    ("22", "Shara Barnett", "Shara", None, "Barnett", None,
     "(650) 555-4563", "Shara@Barnett.com", "23", "23", False, None),
    ("23", "Barnett Design", "Shara", None, "Barnett", "Barnett Design",
     "(650) 557-1289", "Design@intuit.com", "24", "24", False, "22"),
    ("24", "Sonnenschein Family Store", "Russ", None, "Sonnenschein", "Sonnenschein Family Store",
     "(650) 557-8463", "Familiystore@intuit.com", "25", None, False, None),
    ("25", "Sushi by Katsuyuki", "Katsuyuki", None, "Yanagawa", "Sushi by Katsuyuki",
     "(505) 570-0147", "Sushi@intuit.com", "26", "26", False, None),
    ("26", "Travis Waldron", "Travis", None, "Waldron", None,
     "(650) 557-9977", "Travis@Waldron.com", "27", "27", False, None),
    ("27", "Video Games by Dan", "Dan", None, "Wilks", "Video Games by Dan",
     "(650) 555-3456", "Videogames@intuit.com", "28", "28", False, None),
    ("28", "Wedding Planning by Whitney", "Whitney", None, "Brewer", "Wedding Planning by Whitney",
     "(650) 557-2473", "Dream_Wedding@intuit.com", "29", "29", False, None),
    ("29", "Weiskopf Consulting", "Nicola", None, "Weiskopf", "Weiskopf Consulting",
     "(650) 555-1423", "Consulting@intuit.com", "30", "30", False, None),
)  # fmt: skip
_FREEMAN_EXTRAS = {
    "Mobile": "(973) 555-8849",
    "Fax": "(520) 555-7894",
    "WebAddr": "http://sportinggoods.intuit.com",
}
_CUSTOMER_EXTRAS: dict[str, dict[str, str]] = {
    "7": _FREEMAN_EXTRAS,
    "8": {**_FREEMAN_EXTRAS, "PrintOnCheckName": "Freeman Sporting Goods"},
    "9": {**_FREEMAN_EXTRAS, "PrintOnCheckName": "Freeman Sporting Goods"},
    "11": {"WebAddr": "http://gevelberphotography.com"},
    "15": {"Mobile": "(973) 555-2234", "WebAddr": "http://www.pyescakes.intuit.com"},
    "28": {"WebAddr": "http://www.dreamwedding.intuit.com"},
}
#: Sonnenschein Family Store names the California tax code (recorded).
_CUSTOMER_TAX_CODE = {"24": "2"}

#: (Id, DisplayName, GivenName, FamilyName, CompanyName, phone, e-mail, BillAddr Id, AcctNum,
#: TermRef, Vendor1099)
_Vendor = tuple[
    str, str, str | None, str | None, str | None, str | None, str | None, str | None,
    str | None, str | None, bool,
]  # fmt: skip
_VENDORS: tuple[_Vendor, ...] = (
    ("30", "Books by Bessie", "Bessie", "Williams", "Books by Bessie",
     "(650) 555-7745", "Books@Intuit.com", "31", "1345", None, False),
    ("31", "Brosnahan Insurance Agency", "Nick", "Brosnahan", "Brosnahan Insurance Agency",
     "(650) 555-9912", None, "32", "7653412", None, True),
    ("32", "Cal Telephone", None, None, "Cal Telephone",
     "(650) 555-1616", None, "33", None, "1", False),
    ("33", "Chin's Gas and Oil", None, None, "Chin's Gas and Oil",
     None, None, None, None, None, False),
    ("34", "Cigna Health Care", None, None, "Cigna Health Care",
     "(520) 555-9874", None, None, "123456789", None, False),
    ("35", "Computers by Jenni", "Jenni", "Winslow", "Computers by Jenni",
     "(650) 555-8721", "Msfixit@Intuit.com", "34", None, None, False),
    ("36", "Diego's Road Warrior Bodyshop", None, None, "Diego's Road Warrior Bodyshop",
     None, None, None, None, None, False),
    ("37", "EDD", None, None, "EDD", None, None, None, None, None, False),
    ("38", "Ellis Equipment Rental", "Julie", "Ellis", "Ellis Equipment Rental",
     "(650) 555-3333", "Rental@intuit.com", "35", "39765", None, False),
    ("39", "Fidelity", None, None, "Fidelity", None, None, None, None, None, False),
    ("40", "Hall Properties", "Melanie", "Hall", "Hall Properties",
     "(973) 555-3827", None, "36", "55642", None, False),
    ("41", "Hicks Hardware", "Geoff", "Hicks", "Hicks Hardware",
     "(650) 554-1973", None, "37", "556223", None, False),
    ("42", "Lee Advertising", "Laurel", "Lee", "Lee Advertising",
     "(650) 554-4622", None, "38", "776543", None, False),
    ("43", "Mahoney Mugs", None, None, "Mahoney Mugs", None, None, None, None, None, False),
    ("44", "Met Life Dental", None, None, "Met Life Dental", None, None, None, None, None, False),
    ("45", "National Eye Care", None, None, "National Eye Care",
     "(800) 555-5555", "Nateyecare@intuit.com, pauliejones15@intuit.com", "39",
     "164978565103482659421", "3", False),
    ("46", "Norton Lumber and Building Materials", "Julie", "Norton",
     "Norton Lumber and Building Materials", "(650) 363-6578", "Materials@intuit.com", "40",
     "32980256", None, False),
    ("47", "Pam Seitz", "Pam", "Seitz", "Pam Seitz, CPA",
     "(650) 557-8855", "SeitzCPA@noemail.com", "41", "64132549", "1", False),
    ("48", "PG&E", None, None, "PG&E",
     "(888) 555-9465", "utilities@noemail.com", "42", "00649587213", None, False),
    ("49", "Robertson & Associates", "Jenny", "Robertson", "Robertson & Associates",
     "(650) 557-1111", None, "43", "000005641", None, False),
    ("50", "Tania's Nursery", "Tania", "Kronberg", "Tania's Nursery",
     "(886) 554-2265", "plantqueen@taniasnursery.com", "44", "2154", None, False),
    ("51", "Tim Philip Masonry", "Tim", "Philip", "Tim Philip Masonry",
     "(800) 556-1254", "tim.philip@timphilipmasonry.com", "45", "0078965", None, False),
    ("52", "Tony Rondonuwu", "Tony", "Rodonuwu", None,
     None, "tonyrjr@intuit.com", None, None, None, False),
    ("53", "United States Treasury", None, None, None,
     "(888) 555-6454", "taxesaregreat@intuit.com", "46", "00000111546", None, False),
    ("56", "Bob's Burger Joint", None, None, None, None, None, None, None, None, False),
    ("57", "Squeaky Kleen Car Wash", None, None, None, None, None, None, None, None, False),
)  # fmt: skip
_VENDOR_EXTRAS: dict[str, dict[str, str]] = {
    "30": {"WebAddr": "http://www.booksbybessie.co"},
    "31": {
        "Mobile": "(650) 555-9874",
        "Fax": "(555) 123-4567",
        "WebAddr": "http://BrosnahanInsuranceAgency.org",
        "TaxIdentifier": "XXXXXX9875",
    },
    "35": {"Mobile": "(650) 111-5648", "Fax": "(650) 999-2663"},
    "38": {
        "Mobile": "(650) 445-3333",
        "WebAddr": "http://rental.intuit.com",
        "Title": "Ms.",
        "MiddleName": "I.",
    },
    "40": {
        "Mobile": "(973) 888-6222",
        "WebAddr": "http://www.hallproperties.intuit.org",
        "TaxIdentifier": "XXXXXX2222",
    },
    "41": {"Mobile": "(650) 445-6666", "WebAddr": "http://Hickshardware.co"},
    "42": {"Title": "Mrs.", "MiddleName": "J."},
    "45": {"Fax": "(800) 666-6666", "WebAddr": "http://www.nateyecare.intuit.com"},
    "47": {
        "Mobile": "(650) 888-4446",
        "Fax": "(556) 454-5555",
        "WebAddr": "http://seitzcpas.intuit.com",
    },
    "51": {
        "Mobile": "(650) 555-1549",
        "WebAddr": "http://www.bricksbytim4less.co",
        "TaxIdentifier": "XXXXXX5555",
    },
    "52": {"Title": "Mr.", "Suffix": "Jr.", "MiddleName": "L"},
    "53": {"WebAddr": "http://www.ustreasury.gov"},
}

#: (Id, GivenName, FamilyName, phone, BirthDate, HiredDate)
_EMPLOYEES = (
    ("54", "John", "Johnson", "(540) 555-9645", "1984-10-02", "2015-09-08"),
    ("55", "Emily", "Platt", None, None, None),
)
#: (Id, Name, Type, Description, UnitPrice, PurchaseCost, Taxable, income account,
#: QtyOnHand as recorded after the sample's sales, or None for non-inventory items)
_ITEMS: tuple[tuple[str, str, str, str | None, str, str, bool, str, int | None], ...] = (
    ("1", "Services", "Service", None, "0", "0", False, "1", None),
    ("2", "Hours", "Service", None, "0", "0", False, "1", None),
    ("3", "Concrete", "Service", "Concrete for fountain installation", "0", "0", True, "48", None),
    ("4", "Design", "Service", "Custom Design", "75", "0", False, "82", None),
    ("5", "Rock Fountain", "Inventory", "Rock Fountain", "275", "125", True, "79", 2),
    ("6", "Gardening", "Service", "Weekly Gardening Service", "0", "0", False, "45", None),
    ("7", "Installation", "Service", "Installation of landscape design", "50", "0", False, "52",
     None),
    ("8", "Lighting", "Service", "Garden Lighting", "0", "0", True, "48", None),
    ("9", "Maintenance & Repair", "Service", "Maintenance & Repair", "0", "0", False, "53", None),
    ("10", "Pest Control", "Service", "Pest Control Services", "35", "0", False, "54", None),
    ("11", "Pump", "Inventory", "Fountain Pump", "15", "10", True, "79", 25),
    ("12", "Refunds & Allowances", "Service", "Income due to refunds or allowances", "0", "0",
     False, "83", None),
    ("13", "Rocks", "Service", "Garden Rocks", "0", "0", True, "48", None),
    ("14", "Sod", "Service", "Sod", "0", "0", True, "49", None),
    ("15", "Soil", "Service", "2 cubic ft. bag", "10", "6.50", True, "49", None),
    ("16", "Sprinkler Heads", "Inventory", "Sprinkler Heads", "2", "0.75", True, "79", 25),
    ("17", "Sprinkler Pipes", "Inventory", "Sprinkler Pipes", "4", "2.50", True, "79", 31),
    ("18", "Trimming", "Service", "Tree and Shrub Trimming", "35", "0", False, "45", None),
)  # fmt: skip
_INV_START_DAYS_AGO = 365

# -- transactions --------------------------------------------------------------------------

#: A sales line: (item Id, Description, Qty, UnitPrice, taxable)
_Line = tuple[str, str, str, str, bool]
#: A sales form: (Id, DocNumber, customer Id, days before seeding, lines, discount percent)
_Sale = tuple[str, str, str, int, tuple[_Line, ...], str | None]

_GARDENING, _PEST = "Weekly Gardening Service", "Pest Control Services"
_FOUNTAIN, _PUMP, _DESIGN = "Rock Fountain", "Fountain Pump", "Custom Design"
_ROCKS, _SOIL, _TRIM = "Garden Rocks", "2 cubic ft. bag", "Tree and Shrub Trimming"

_ESTIMATES: tuple[_Sale, ...] = (
    ("41", "1001", "10", 13, (
        ("5", _FOUNTAIN, "1", "275", False),
        ("4", _DESIGN, "3.5", "75", False),
        ("11", _PUMP, "2", "22.5", False),
    ), None),
    ("46", "1001", "20", 5, (("10", _PEST, "2", "35", False),), None),
    ("48", "1001", "18", 5, (
        ("4", _DESIGN, "4", "75", False),
        ("7", "Installation of landscape design", "5", "50", False),
        ("5", _FOUNTAIN, "1", "275", False),
        ("13", _ROCKS, "8", "22.5", False),
    ), None),
    ("100", "1001", "24", 4, (
        ("5", _FOUNTAIN, "1", "275", True),
        ("11", _PUMP, "1", "12.75", True),
        ("3", "Concrete for fountain installation", "4", "9.5", True),
    ), None),
)  # fmt: skip
_ESTIMATE_EXTRAS: dict[str, Obj] = {
    "48": {"EmailStatus": "NeedToSend", "BillEmail": {"Address": "Medical@intuit.com"}},
    "100": {"TxnStatus": "Accepted"},
}

_INVOICES: tuple[_Sale, ...] = (
    ("9", "1001", "1", 4, (("6", _GARDENING, "4", "25", True),), None),
    ("10", "1002", "2", 108, (("6", _GARDENING, "4", "35", False), ("10", _PEST, "1", "35", False)),
     None),
    ("13", "1005", "9", 10, (("6", _GARDENING, "1", "50", False), ("10", _PEST, "1", "35", False)),
     None),
    ("16", "1007", "13", 26, (("4", _DESIGN, "10", "75", False),), None),
    ("18", "1009", "26", 4, (("1", "Lumber", "1", "103.55", False),), None),
    ("19", "1010", "29", 3, (("4", _DESIGN, "5", "75", False),), None),
    ("21", "1012", "23", 15, (("5", _FOUNTAIN, "1", "275", False), ("15", _SOIL, "3", "10", False)),
     "10"),
    ("22", "1013", "26", 13, (("6", _GARDENING, "3", "25", False),), None),
    ("49", "1015", "18", 3, (
        ("4", _DESIGN, "4", "75", False),
        ("7", "Installation of landscape design", "5", "50", False),
        ("5", _FOUNTAIN, "1", "275", False),
        ("13", _ROCKS, "8", "22.5", False),
    ), "5"),
    ("27", "1016", "16", 50, (("6", _GARDENING, "3", "25", False),), None),
    ("28", "1017", "25", 17, (("6", _GARDENING, "4", "20", False),), None),
    ("29", "1018", "25", 10, (("6", _GARDENING, "4", "20", False),), None),
    ("30", "1019", "25", 3, (("6", _GARDENING, "4", "20", False),), None),
    ("67", "1021", "1", 23, (("15", _SOIL, "15", "10", True), ("5", _FOUNTAIN, "1", "275", True)),
     None),
    ("63", "1022", "12", 23, (("6", _GARDENING, "3", "25", True),), None),
    ("69", "1023", "20", 3, (("10", _PEST, "2", "35", False),), None),
    ("70", "1024", "20", 70, (("13", _ROCKS, "4", "12", False), ("18", _TRIM, "3", "36", False)),
     None),
    ("71", "1025", "1", 49, (
        ("6", _GARDENING, "4", "30", False),
        ("10", _PEST, "1", "35", False),
        ("9", "Maintenance & Repair", "1", "50", False),
    ), None),
    ("96", "1027", "2", 49, (("6", _GARDENING, "1", "50", False), ("10", _PEST, "1", "35", False)),
     None),
    ("111", "1031", "8", 77, (
        ("6", _GARDENING, "3", "30", False),
        ("5", _FOUNTAIN, "1", "275", True),
    ), None),
    ("99", "1032", "26", 4, (("14", "Sod", "20", "15", True), ("13", _ROCKS, "7", "12", True)),
     None),
    ("103", "1033", "10", 2, (
        ("5", _FOUNTAIN, "1", "275", True),
        ("4", _DESIGN, "3.5", "75", True),
        ("11", _PUMP, "2", "22.5", True),
    ), None),
    ("124", "1034", "21", 2, (
        ("18", _TRIM, "1", "30", False),
        ("8", "Garden Lighting", "1", "45", True),
    ), None),
    ("126", "1035", "17", 1, (
        ("17", "Sprinkler Pipes", "4", "4", True),
        ("5", _FOUNTAIN, "1", "275", True),
    ), None),
    ("129", "1036", "8", 1, (
        ("6", _GARDENING, "3.5", "25", False),
        ("11", _PUMP, "1", "15", False),
        ("5", _FOUNTAIN, "1", "275", False),
        ("15", _SOIL, "5", "10", False),
        ("14", "Sod", "2", "25", False),
    ), None),
    ("130", "1037", "24", 1, (
        ("5", _FOUNTAIN, "1", "275", True),
        ("11", _PUMP, "1", "12.75", True),
        ("3", "Concrete for fountain installation", "5", "9.5", True),
    ), None),
    ("73", "1026", "1", 18, (("10", _PEST, "1", "100", False),), None),
)  # fmt: skip
#: Invoice -> the estimate it was made from (recorded links).
_INVOICE_ESTIMATE = {"103": "41", "69": "46", "49": "48"}
_INVOICE_EXTRAS: dict[str, Obj] = {
    "9": {"PrivateNote": "Front yard, hedges, and sidewalks"},
    "71": {"CustomField": [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType",
                            "StringValue": "102"}]},
    "130": {"CustomField": [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType",
                             "StringValue": "102"}]},
}  # fmt: skip
#: The credit memo shares the sales DocNumber space; it is the last row of _INVOICES.
_CREDIT_MEMOS = frozenset({"73"})

#: (Id, DocNumber, customer, days, lines, discount, PaymentMethod, PaymentRefNum, deposit to)
_RECEIPTS: tuple[tuple[str, str, str, int, tuple[_Line, ...], str | None, str | None,
                       str | None, str], ...] = (
    ("11", "1003", "6", 6, (("4", _DESIGN, "4.5", "75", False),), None, CHECK, "10264", CHECKING),
    ("17", "1008", "14", 26, (("4", _DESIGN, "3", "75", False),), None, None, None, CHECKING),
    ("38", "1011", "15", 3, (("10", _PEST, "2.5", "35", False),), "10", CASH, None,
     UNDEPOSITED_FUNDS),
    ("47", "1014", "4", 5, (("6", _GARDENING, "4", "35", False),), None, None, None,
     UNDEPOSITED_FUNDS),
)  # fmt: skip
_RECEIPT_NOTES = {"11": "A private note."}
_REFUND = ("66", "1020", "15", 3, (("10", _PEST, "2.5", "35", False),))
_REFUND_NOTE = "Refund - Pest control was ineffective"

#: (Id, customer, days, TotalAmt, ((TxnType, TxnId, Amount), ...), PaymentMethod, ref)
_PAYMENTS: tuple[tuple[str, str, int, str, tuple[tuple[str, str, str], ...], str | None,
                       str | None], ...] = (
    ("33", "2", 90, "175", (("Invoice", "10", "175"),), CHECK, "1501"),
    ("74", "1", 40, "105", (("Invoice", "71", "105"),), None, None),
    ("128", "8", 60, "387", (("Invoice", "111", "387"),), CHECK, "2064"),
    ("101", "1", 15, "220", (("Invoice", "67", "220"),), None, None),
    ("72", "1", 18, "0", (("Invoice", "71", "100"), ("CreditMemo", "73", "100")), None, None),
    ("58", "13", 20, "300", (("Invoice", "16", "300"),), CHECK, "5543"),
    ("81", "25", 10, "80", (("Invoice", "28", "80"),), CASH, None),
    ("85", "26", 3, "178.55", (("Invoice", "18", "103.55"), ("Invoice", "22", "75")), CHECK,
     "1238"),
    ("31", "1", 2, "108", (("Invoice", "9", "108"),), None, None),
)  # fmt: skip

#: (Id, vendor, days, ((account, Description, Amount), ...)): the sample's open bills.
_BILLS: tuple[tuple[str, str, int, tuple[tuple[str, str | None, str], ...]], ...] = (
    ("52", "48", 46, (("76", None, "86.44"),)),
    ("34", "31", 8, (("11", None, "241.23"),)),
    ("44", "46", 4, (("64", "Lumber", "205"),)),
    ("40", "36", 3, (("75", "Repairs on the truck", "755"),)),
    ("56", "49", 1, (("69", None, "315"),)),
)
#: (Id, DocNumber, vendor, days, ((item, Description, Qty, UnitPrice), ...))
_PURCHASE_ORDERS: tuple[tuple[str, str, str, int, tuple[tuple[str, str, str, str], ...]], ...] = (
    ("60", "1001", "41", 7, (
        ("5", "Rock Fountain", "1", "125"),
        ("16", "Sprinkler Heads", "15", "0.75"),
        ("17", "Sprinkler Pipes", "25", "2.5"),
        ("11", "Fountain Pump", "3", "10"),
    )),
    ("61", "1002", "50", 2, (("15", "2 cubic ft. bag", "20", "6.50"),)),
)  # fmt: skip

_TAX_PERCENT = Decimal(8)
_TAX_CODE, _TAX_RATE = "2", "3"
_MEMO = "Thank you for your business and have a great day!"
_CREW = [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType"}]
_CENT = Decimal("0.01")


def seed_sample_company(ledger: Ledger) -> None:
    """Fill a fresh, empty company with Craig's Design and Landscaping Services.

    Lists, then transactions, all through ``ledger.create`` with the sandbox's Ids; CompanyInfo,
    Preferences and tax codes, which the API cannot create, are written directly.
    """
    company = ledger.company
    if any(company.objects[entity] for entity in ("Account", "Customer", "Item")):
        raise ValueError("the sample company can only be seeded into an empty company")
    today = ledger.clock.today()

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    _write_singletons(ledger)
    _seed_accounts(ledger)
    for term_id, name, days in _TERMS:
        body = {"Name": name, "Type": "STANDARD", "DueDays": days}
        ledger.create("Term", body, object_id=term_id)
    for method_id, name, kind in _PAYMENT_METHODS:
        ledger.create("PaymentMethod", {"Name": name, "Type": kind}, object_id=method_id)
    _seed_people(ledger)
    _seed_items(ledger, day(_INV_START_DAYS_AGO))

    duplicates = frozenset({"allowduplicatedocnum"})
    for sale in _ESTIMATES:
        body = {**_sales_body(sale, day), **_ESTIMATE_EXTRAS.get(sale[0], {})}
        ledger.create("Estimate", body, object_id=sale[0], include=duplicates)
    for sale in _INVOICES:
        entity = "CreditMemo" if sale[0] in _CREDIT_MEMOS else "Invoice"
        body = {**_sales_body(sale, day), **_INVOICE_EXTRAS.get(sale[0], {})}
        estimate = _INVOICE_ESTIMATE.get(sale[0])
        if estimate is not None:
            body["LinkedTxn"] = [{"TxnId": estimate, "TxnType": "Estimate"}]
        ledger.create(entity, body, object_id=sale[0])
    for receipt_id, doc, customer, days, lines, discount, method, ref_num, deposit in _RECEIPTS:
        body = _sales_body((receipt_id, doc, customer, days, lines, discount), day)
        body["DepositToAccountRef"] = {"value": deposit}
        if method is not None:
            body["PaymentMethodRef"] = {"value": method}
        if ref_num is not None:
            body["PaymentRefNum"] = ref_num
        if receipt_id in _RECEIPT_NOTES:
            body["PrivateNote"] = _RECEIPT_NOTES[receipt_id]
        ledger.create("SalesReceipt", body, object_id=receipt_id)
    refund_id, doc, customer, days, lines = _REFUND
    body = _sales_body((refund_id, doc, customer, days, lines, None), day)
    body.update(
        DepositToAccountRef={"value": CHECKING},
        PaymentMethodRef={"value": CHECK},
        PaymentType="Check",
        PrivateNote=_REFUND_NOTE,
    )
    ledger.create("RefundReceipt", body, object_id=refund_id)
    for payment_id, customer, days, total, applied, method, ref_num in _PAYMENTS:
        payment: Obj = {
            "CustomerRef": {"value": customer},
            "TxnDate": day(days),
            "TotalAmt": Decimal(total),
            "DepositToAccountRef": {"value": UNDEPOSITED_FUNDS},
            "Line": [
                {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": txn_id, "TxnType": kind}]}
                for kind, txn_id, amount in applied
            ],
        }
        if method is not None:
            payment["PaymentMethodRef"] = {"value": method}
        if ref_num is not None:
            payment["PaymentRefNum"] = ref_num
        ledger.create("Payment", payment, object_id=payment_id)
    for bill_id, vendor, days, bill_lines in _BILLS:
        ledger.create("Bill", _bill_body(vendor, day(days), bill_lines), object_id=bill_id)
    for po_id, doc, vendor, days, po_lines in _PURCHASE_ORDERS:
        ledger.create("PurchaseOrder", _po_body(doc, vendor, day(days), po_lines), object_id=po_id)


# -- lists -----------------------------------------------------------------------------------


def _seed_accounts(ledger: Ledger) -> None:
    for account_id, name, account_type, sub_type, parent in _ACCOUNTS:
        body: Obj = {"Name": name, "AccountType": account_type, "AccountSubType": sub_type}
        if parent is not None:
            body["ParentRef"] = {"value": parent}
        if account_id in _INACTIVE_ACCOUNTS:
            body["Active"] = False
        ledger.create("Account", body, object_id=account_id)


def _address(address_id: str | None) -> Obj | None:
    if address_id is None:
        return None
    line1, city, state, postal, country, lat, long = _ADDRESSES[address_id]
    address: Obj = {"Id": address_id, "Line1": line1, "City": city}
    if country is not None:
        address["Country"] = country
    address.update(CountrySubDivisionCode=state, PostalCode=postal, Lat=lat, Long=long)
    return address


def _contact(extras: dict[str, str]) -> Obj:
    out: Obj = {}
    for name, value in extras.items():
        if name in ("Mobile", "Fax"):
            out[name] = {"FreeFormNumber": value}
        elif name == "WebAddr":
            out[name] = {"URI": value}
        else:
            out[name] = value
    return out


def _compact(body: Obj) -> Obj:
    return {name: value for name, value in body.items() if value is not None}


def _seed_people(ledger: Ledger) -> None:
    for row in _CUSTOMERS:
        (customer_id, display, given, middle, family, company_name, phone, email, bill, ship,
         taxable, parent) = row  # fmt: skip
        body = _compact(
            {
                "DisplayName": display,
                "GivenName": given,
                "MiddleName": middle,
                "FamilyName": family,
                "CompanyName": company_name,
                "PrimaryPhone": {"FreeFormNumber": phone} if phone else None,
                "PrimaryEmailAddr": {"Address": email} if email else None,
                "BillAddr": _address(bill),
                "ShipAddr": _address(ship),
                "Taxable": taxable,
                "ParentRef": {"value": parent} if parent else None,
            }
        )
        body.update(_contact(_CUSTOMER_EXTRAS.get(customer_id, {})))
        if customer_id in _CUSTOMER_TAX_CODE:
            body["DefaultTaxCodeRef"] = {"value": _CUSTOMER_TAX_CODE[customer_id]}
        ledger.create("Customer", body, object_id=customer_id)
    for (
        vendor_id,
        display,
        given,
        family,
        company_name,
        phone,
        email,
        bill,
        acct,
        term,
        v1099,
    ) in _VENDORS:
        body = _compact(
            {
                "DisplayName": display,
                "GivenName": given,
                "FamilyName": family,
                "CompanyName": company_name,
                "PrimaryPhone": {"FreeFormNumber": phone} if phone else None,
                "PrimaryEmailAddr": {"Address": email} if email else None,
                "BillAddr": _address(bill),
                "AcctNum": acct,
                "TermRef": {"value": term} if term else None,
                "Vendor1099": v1099,
            }
        )
        body.update(_contact(_VENDOR_EXTRAS.get(vendor_id, {})))
        ledger.create("Vendor", body, object_id=vendor_id)
    for employee_id, given, family, phone, born, hired in _EMPLOYEES:
        body = _compact(
            {
                "GivenName": given,
                "FamilyName": family,
                "PrimaryPhone": {"FreeFormNumber": phone} if phone else None,
                "BirthDate": born,
                "HiredDate": hired,
            }
        )
        ledger.create("Employee", body, object_id=employee_id)


def _sold_quantities() -> dict[str, Decimal]:
    """What the seeded sales forms take out of stock (credit memos and refunds put back)."""
    sold: dict[str, Decimal] = {}
    forms: list[tuple[int, Iterable[_Line]]] = [
        (-1 if sale[0] in _CREDIT_MEMOS else 1, sale[4]) for sale in _INVOICES
    ]
    forms += [(1, receipt[4]) for receipt in _RECEIPTS]
    forms.append((-1, _REFUND[4]))
    for sign, lines in forms:
        for item_id, _, qty, _, _ in lines:
            sold[item_id] = sold.get(item_id, Decimal(0)) + sign * Decimal(qty)
    return sold


def _seed_items(ledger: Ledger, start_date: str) -> None:
    sold = _sold_quantities()
    for item_id, name, kind, description, price, cost, taxable, income, on_hand in _ITEMS:
        body: Obj = _compact(
            {
                "Name": name,
                "Type": kind,
                "Description": description,
                "UnitPrice": Decimal(price),
                "PurchaseCost": Decimal(cost),
                "Taxable": taxable,
                "IncomeAccountRef": {"value": income},
            }
        )
        if on_hand is not None:
            body.update(
                PurchaseDesc=description,
                ExpenseAccountRef={"value": _COGS},
                AssetAccountRef={"value": _INVENTORY_ASSET},
                QtyOnHand=on_hand + sold.get(item_id, Decimal(0)),
                InvStartDate=start_date,
            )
        ledger.create("Item", body, object_id=item_id)


# -- transactions ----------------------------------------------------------------------------


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _sales_body(sale: _Sale, day: Callable[[int], str]) -> Obj:
    """A sales form's create body: item lines, an optional discount and California tax."""
    _, doc, customer, days, lines, discount = sale
    body_lines: list[Obj] = []
    taxable = Decimal(0)
    for item_id, description, qty, price, is_taxable in lines:
        amount = _money(Decimal(qty) * Decimal(price))
        if is_taxable:
            taxable += amount
        body_lines.append(
            {
                "Description": description,
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item_id},
                    "Qty": Decimal(qty),
                    "UnitPrice": Decimal(price),
                    "TaxCodeRef": {"value": "TAX" if is_taxable else "NON"},
                },
            }
        )
    if discount is not None:
        body_lines.append(
            {
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {
                    "PercentBased": True,
                    "DiscountPercent": Decimal(discount),
                    "DiscountAccountRef": {"value": DISCOUNTS_GIVEN},
                },
            }
        )
    tax_detail: Obj = {"TotalTax": Decimal(0)}
    if taxable:
        tax = _money(taxable * _TAX_PERCENT / 100)
        tax_detail = {
            "TxnTaxCodeRef": {"value": _TAX_CODE},
            "TotalTax": tax,
            "TaxLine": [
                {
                    "Amount": tax,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": _TAX_RATE},
                        "PercentBased": True,
                        "TaxPercent": _TAX_PERCENT,
                        "NetAmountTaxable": taxable,
                    },
                }
            ],
        }
    return {
        "DocNumber": doc,
        "TxnDate": day(days),
        "CustomerRef": {"value": customer},
        "Line": body_lines,
        "TxnTaxDetail": tax_detail,
        "CustomerMemo": {"value": _MEMO},
        "CustomField": [dict(field) for field in _CREW],
    }


def _bill_body(vendor: str, txn_date: str, lines: Iterable[tuple[str, str | None, str]]) -> Obj:
    return {
        "VendorRef": {"value": vendor},
        "TxnDate": txn_date,
        "APAccountRef": {"value": ACCOUNTS_PAYABLE},
        "SalesTermRef": {"value": "3"},
        "Line": [
            _compact(
                {
                    "Description": description,
                    "Amount": Decimal(amount),
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {
                        "AccountRef": {"value": account},
                        "BillableStatus": "NotBillable",
                        "TaxCodeRef": {"value": "NON"},
                    },
                }
            )
            for account, description, amount in lines
        ],
    }


def _po_body(
    doc: str, vendor: str, txn_date: str, lines: Iterable[tuple[str, str, str, str]]
) -> Obj:
    return {
        "DocNumber": doc,
        "VendorRef": {"value": vendor},
        "TxnDate": txn_date,
        "APAccountRef": {"value": ACCOUNTS_PAYABLE},
        "Line": [
            {
                "Description": description,
                "Amount": _money(Decimal(qty) * Decimal(price)),
                "DetailType": "ItemBasedExpenseLineDetail",
                "ItemBasedExpenseLineDetail": {
                    "ItemRef": {"value": item_id},
                    "Qty": Decimal(qty),
                    "UnitPrice": Decimal(price),
                    "BillableStatus": "NotBillable",
                    "TaxCodeRef": {"value": "NON"},
                },
            }
            for item_id, description, qty, price in lines
        ],
        "CustomField": [dict(field) for field in _CREW],
    }


# -- what the API cannot create --------------------------------------------------------------


def _write_singletons(ledger: Ledger) -> None:
    """TaxCodes, CompanyInfo and Preferences, stored as QBO returns them."""
    company = ledger.company
    now = format_timestamp(ledger.clock.now())
    meta = {"CreateTime": now, "LastUpdatedTime": now}
    server = {"domain": "QBO", "sparse": False, "SyncToken": "0", "MetaData": meta}
    for code, name, description, taxable in (
        ("TAX", "TAX", "Taxable", True),
        ("NON", "NON", "Non-taxable", False),
    ):
        company.objects["TaxCode"][code] = {
            **server,
            "Id": code,
            "Name": name,
            "Description": description,
            "Active": True,
            "Hidden": False,
            "Taxable": taxable,
            "TaxGroup": False,
        }
    company.objects["TaxCode"][_TAX_CODE] = {
        **server,
        "Id": _TAX_CODE,
        "Name": "California",
        "Description": "California",
        "Active": True,
        "Hidden": False,
        "Taxable": True,
        "TaxGroup": True,
        "SalesTaxRateList": {
            "TaxRateDetail": [
                {
                    "TaxRateRef": {"value": _TAX_RATE, "name": "California"},
                    "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": 0,
                }
            ]
        },
        "PurchaseTaxRateList": {"TaxRateDetail": []},
    }
    for code in ("TAX", "NON", _TAX_CODE):
        company.index_name(
            "TaxCode", str(company.objects["TaxCode"][code]["Name"]), ("TaxCode", code)
        )
    company.objects["CompanyInfo"]["1"] = {**server, "Id": "1", **_company_info(ledger)}
    company.objects["Preferences"]["1"] = {**server, "Id": "1", **_preferences()}


def _company_info(ledger: Ledger) -> Obj:
    address = {
        "Line1": "123 Sierra Way",
        "City": "San Pablo",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "87999",
    }
    return company_info(
        ledger.company.name,
        address=address,
        industry="Landscaping Services",
        start_date=ledger.clock.today().isoformat(),
    )


def _message(form: str, body: str) -> Obj:
    name = "Craig's Design and Landscaping Services"
    return {
        "Subject": f"{form} from {name}",
        "Message": f"{body}\n\nSincerely,\n{name}",
    }


def _custom_flags(prefix: str, used: tuple[bool, bool, bool]) -> Obj:
    return {
        "CustomField": [
            {"BooleanValue": flag, "Type": "BooleanType", "Name": f"{prefix}{index}"}
            for index, flag in ((3, used[2]), (2, used[1]), (1, used[0]))
        ]
    }


def _preferences() -> Obj:
    """The sample's Preferences as recorded (Intuit's reference example, 2018)."""
    thanks = "Thank you for your business - we appreciate it very much."
    return {
        "EmailMessagesPrefs": {
            "InvoiceMessage": _message(
                "Invoice",
                "Your invoice is attached.  Please remit payment at your earliest convenience.\n"
                + thanks,
            ),
            "EstimateMessage": _message(
                "Estimate",
                "Please review the estimate below.  Feel free to contact us if you have any "
                "questions.\nWe look forward to working with you.",
            ),
            "SalesReceiptMessage": _message(
                "Sales Receipt", "Your sales receipt is attached.\n" + thanks
            ),
            "StatementMessage": _message(
                "Statement",
                "Your statement is attached.  Please remit payment at your earliest "
                "convenience.\n" + thanks,
            ),
        },
        "ProductAndServicesPrefs": {
            "QuantityWithPriceAndRate": True,
            "ForPurchase": True,
            "QuantityOnHand": True,
            "ForSales": True,
        },
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "AccountingInfoPrefs": {
            "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": True,
            "TaxYearMonth": "January",
            "ClassTrackingPerTxn": False,
            "TrackDepartments": True,
            "TaxForm": "6",
            "CustomerTerminology": "Customers",
            "DepartmentTerminology": "Location",
            "ClassTrackingPerTxnLine": True,
        },
        "SalesFormsPrefs": {
            "ETransactionPaymentEnabled": False,
            "CustomTxnNumbers": False,
            "AllowShipping": False,
            "AllowServiceDate": False,
            "ETransactionEnabledStatus": "NotApplicable",
            "DefaultCustomerMessage": _MEMO,
            "EmailCopyToCompany": False,
            "AllowEstimates": True,
            "DefaultTerms": {"value": "3"},
            "AllowDiscount": True,
            "DefaultDiscountAccount": DISCOUNTS_GIVEN,
            "AllowDeposit": True,
            "AutoApplyPayments": True,
            "IPNSupportEnabled": False,
            "AutoApplyCredit": True,
            "CustomField": [
                _custom_flags("SalesFormsPrefs.UseSalesCustom", (True, False, False)),
                {
                    "CustomField": [
                        {
                            "StringValue": "Crew #",
                            "Type": "StringType",
                            "Name": "SalesFormsPrefs.SalesCustomName1",
                        }
                    ]
                },
            ],
            "UsingPriceLevels": False,
            "ETransactionAttachPDF": False,
        },
        "VendorAndPurchasesPrefs": {
            "BillableExpenseTracking": True,
            "TrackingByCustomer": True,
            "POCustomField": [
                _custom_flags("PurchasePrefs.UsePurchaseCustom", (True, True, False)),
                {
                    "CustomField": [
                        {
                            "StringValue": "Sales Rep",
                            "Type": "StringType",
                            "Name": "PurchasePrefs.PurchaseCustomName2",
                        },
                        {
                            "StringValue": "Crew #",
                            "Type": "StringType",
                            "Name": "PurchasePrefs.PurchaseCustomName1",
                        },
                    ]
                },
            ],
        },
        "TaxPrefs": {"TaxGroupCodeRef": {"value": _TAX_CODE}, "UsingSalesTax": True},
        "OtherPrefs": {
            "NameValue": [
                {"Name": name, "Value": value}
                for name, value in (
                    ("SalesFormsPrefs.DefaultCustomerMessage", _MEMO),
                    ("SalesFormsPrefs.DefaultItem", "1"),
                    ("DTXCopyMemo", "false"),
                    ("UncategorizedAssetAccountId", "32"),
                    ("UncategorizedIncomeAccountId", "30"),
                    ("UncategorizedExpenseAccountId", "31"),
                    ("SFCEnabled", "true"),
                    ("DataPartner", "false"),
                    ("Vendor1099Enabled", "true"),
                    ("TimeTrackingFeatureEnabled", "true"),
                    ("FDPEnabled", "false"),
                    ("ProjectsEnabled", "false"),
                    ("DateFormat", "Month Date Year separated by a slash"),
                    ("DateFormatMnemonic", "MMDDYYYY_SEP_SLASH"),
                    ("NumberFormat", "US Number Format"),
                    ("NumberFormatMnemonic", "US_NB"),
                    ("WarnDuplicateCheckNumber", "true"),
                    ("WarnDuplicateBillNumber", "false"),
                    ("SignoutInactiveMinutes", "60"),
                    ("AccountingInfoPrefs.ShowAccountNumbers", "false"),
                )
            ]
        },
        "TimeTrackingPrefs": {
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": True,
            "ShowBillRateToAll": False,
            "UseServices": True,
            "BillCustomers": True,
        },
        "CurrencyPrefs": {"HomeCurrency": {"value": "USD"}, "MultiCurrencyEnabled": False},
    }
