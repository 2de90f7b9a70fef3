"""python-quickbooks and intuit-oauth, unmodified, against the emulator on a loopback port.

The yardstick of the emulator's fidelity: a client written by others, pointed at the
emulator's URL, creates, reads, updates (full and sparse), queries, deletes and voids every
entity ledgerbridge uses, after a real OAuth 2.0 authorization-code flow.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Served

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from intuitlib.client import AuthClient
    from intuitlib.enums import Scopes
    from quickbooks import QuickBooks
    from quickbooks.exceptions import QuickbooksException
    from quickbooks.objects.account import Account
    from quickbooks.objects.base import Address, EmailAddress, Ref
    from quickbooks.objects.bill import Bill
    from quickbooks.objects.company_info import CompanyInfo
    from quickbooks.objects.creditmemo import CreditMemo
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.department import Department
    from quickbooks.objects.detailline import (
        AccountBasedExpenseLine,
        AccountBasedExpenseLineDetail,
        ItemBasedExpenseLine,
        ItemBasedExpenseLineDetail,
        SalesItemLine,
        SalesItemLineDetail,
    )
    from quickbooks.objects.employee import Employee
    from quickbooks.objects.estimate import Estimate
    from quickbooks.objects.invoice import Invoice
    from quickbooks.objects.item import Item
    from quickbooks.objects.payment import Payment, PaymentLine
    from quickbooks.objects.paymentmethod import PaymentMethod
    from quickbooks.objects.preferences import Preferences
    from quickbooks.objects.purchaseorder import PurchaseOrder
    from quickbooks.objects.refundreceipt import RefundReceipt
    from quickbooks.objects.salesreceipt import SalesReceipt
    from quickbooks.objects.taxcode import TaxCode
    from quickbooks.objects.term import Term
    from quickbooks.objects.trackingclass import Class
    from quickbooks.objects.vendor import Vendor

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


@pytest.fixture
def qb(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[QuickBooks]:
    """A python-quickbooks client connected through intuit-oauth's authorization-code flow."""
    # Both libraries refuse plain HTTP unless told otherwise; the emulator serves loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setattr(QuickBooks, "api_url_v3", f"{served.url}/v3")
    monkeypatch.setattr(QuickBooks, "sandbox_api_url_v3", f"{served.url}/v3")
    served.emulator.create_company("Precision Parts Co")
    auth = AuthClient(
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT_URI,
        environment=f"{served.url}/.well-known/openid_sandbox_configuration/",
    )
    url = auth.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID])
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303, 307), answer.text
    callback = parse_qs(urlsplit(answer.headers["location"]).query)
    assert callback["state"] == [auth.state_token]
    realm_id = callback["realmId"][0]
    auth.get_bearer_token(callback["code"][0], realm_id=realm_id)
    first_refresh = auth.refresh_token
    auth.refresh()
    assert auth.refresh_token != first_refresh  # Intuit rotates refresh tokens
    client = QuickBooks(
        auth_client=auth,
        refresh_token=auth.refresh_token,
        company_id=realm_id,
        minorversion=75,
    )
    yield client
    auth.revoke(token=auth.refresh_token)


def _ref(value: str, name: str | None = None) -> Ref:
    ref = Ref()
    ref.value = value
    if name is not None:
        ref.name = name
    return ref


def _account(qb: QuickBooks, name: str) -> Account:
    found = Account.filter(Name=name, qb=qb)
    assert len(found) == 1, name
    return found[0]


def _sales_line(item: Item, amount: int, qty: int | None = None) -> SalesItemLine:
    line = SalesItemLine()
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    if qty is not None:
        line.SalesItemLineDetail.Qty = qty
        line.SalesItemLineDetail.UnitPrice = amount // qty
    return line


def _customer(qb: QuickBooks, name: str) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    return customer.save(qb=qb)


def _inventory_item(qb: QuickBooks, name: str, qty: int) -> Item:
    item = Item()
    item.Name = name
    item.Type = "Inventory"
    item.TrackQtyOnHand = True
    item.QtyOnHand = qty
    item.InvStartDate = "2026-01-01"
    item.UnitPrice = 25
    item.IncomeAccountRef = _account(qb, "Sales of Product Income").to_ref()
    item.ExpenseAccountRef = _account(qb, "Cost of Goods Sold").to_ref()
    item.AssetAccountRef = _account(qb, "Inventory Asset").to_ref()
    return item.save(qb=qb)


def test_customers_full_lifecycle(qb: QuickBooks) -> None:
    """Customer: create, read, full and sparse update, sub-customer, query, deactivate."""
    customer = Customer()
    customer.DisplayName = "O'Brien & Sons \\ Fabrication"
    customer.CompanyName = "O'Brien & Sons"
    customer.Notes = "first note"
    customer.PrimaryEmailAddr = EmailAddress()
    customer.PrimaryEmailAddr.Address = "ap@obrien.example"
    customer.BillAddr = Address()
    customer.BillAddr.Line1 = "12 Mill Road"
    customer.BillAddr.City = "Dayton"
    created = customer.save(qb=qb)
    assert created.Id and created.SyncToken == "0"

    fetched = Customer.get(created.Id, qb=qb)
    assert fetched.DisplayName == "O'Brien & Sons \\ Fabrication"
    assert fetched.BillAddr.City == "Dayton"

    fetched.Notes = "second note"
    updated = fetched.save(qb=qb)
    assert updated.SyncToken == "1" and updated.Notes == "second note"

    sparse = Customer()
    sparse.Id, sparse.SyncToken, sparse.sparse = updated.Id, updated.SyncToken, True
    sparse.CompanyName = "O'Brien and Sons Ltd"
    sparse_result = sparse.save(qb=qb)
    assert sparse_result.CompanyName == "O'Brien and Sons Ltd"
    assert sparse_result.Notes == "second note"  # sparse leaves the rest alone

    job = Customer()
    job.DisplayName = "Kitchen remodel"
    job.ParentRef = sparse_result.to_ref()
    job.Job = True
    job_saved = job.save(qb=qb)
    assert job_saved.FullyQualifiedName == "O'Brien & Sons \\ Fabrication:Kitchen remodel"
    assert job_saved.Level == 1

    matches = Customer.filter(DisplayName="O'Brien & Sons \\ Fabrication", qb=qb)
    assert [c.Id for c in matches] == [created.Id]
    assert Customer.count(qb=qb) == 2
    assert len(Customer.where("DisplayName LIKE 'O''%'".replace("''", "\\'"), qb=qb)) == 1

    job_saved.Active = False
    inactive = job_saved.save(qb=qb)
    assert inactive.Active is False
    assert inactive.DisplayName == "Kitchen remodel (deleted)"
    assert Customer.count(qb=qb) == 1
    assert Customer.count("Active = false", qb=qb) == 1


def test_duplicate_name_raises_6240(qb: QuickBooks) -> None:
    """A DisplayName already used by a vendor is refused with code 6240."""
    vendor = Vendor()
    vendor.DisplayName = "Acme Steel"
    vendor.save(qb=qb)
    customer = Customer()
    customer.DisplayName = "acme steel"
    with pytest.raises(QuickbooksException) as caught:
        customer.save(qb=qb)
    assert caught.value.error_code == 6240


def test_vendors_employees_and_small_lists(qb: QuickBooks) -> None:
    """Vendor, Employee, PaymentMethod, Term, Class, Department: create, update, query."""
    vendor = Vendor()
    vendor.DisplayName = "Midwest Bearings"
    vendor.CompanyName = "Midwest Bearings Inc."
    vendor = vendor.save(qb=qb)
    vendor.AcctNum = "MB-1001"
    assert vendor.save(qb=qb).SyncToken == "1"

    employee = Employee()
    employee.GivenName = "Dana"
    employee.FamilyName = "Reyes"
    employee = employee.save(qb=qb)
    assert employee.DisplayName == "Dana Reyes"
    employee.Active = False
    assert employee.save(qb=qb).DisplayName == "Dana Reyes (deleted)"

    method = PaymentMethod()
    method.Name = "ACH"
    method.Type = "NON_CREDIT_CARD"
    method = method.save(qb=qb)
    names = {m.Name for m in PaymentMethod.all(qb=qb)}
    assert {"Cash", "Check", "Visa", "MasterCard", "American Express", "ACH"} <= names

    term = Term()
    term.Name = "Net 45"
    term.DueDays = 45
    term = term.save(qb=qb)
    assert {t.Name for t in Term.all(qb=qb)} >= {"Due on receipt", "Net 15", "Net 30", "Net 60"}

    tracking = Class()
    tracking.Name = "Machining"
    tracking = tracking.save(qb=qb)
    tracking.Name = "CNC Machining"
    assert tracking.save(qb=qb).Name == "CNC Machining"

    location = Department()
    location.Name = "Plant 2"
    location = location.save(qb=qb)
    assert Department.get(location.Id, qb=qb).Name == "Plant 2"

    assert {code.Id for code in TaxCode.all(qb=qb)} == {"TAX", "NON"}
    assert TaxCode.get("NON", qb=qb).Name == "NON"


def test_items_of_every_kind(qb: QuickBooks) -> None:
    """Item: service, non-inventory, inventory (with its accounts), category; Sku; queries."""
    category = Item()
    category.Name = "Fasteners"
    category.Type = "Category"
    category = category.save(qb=qb)

    service = Item()
    service.Name = "Setup labor"
    service.Type = "Service"
    service.UnitPrice = 85
    service.IncomeAccountRef = _account(qb, "Services").to_ref()
    service = service.save(qb=qb)

    part = Item()
    part.Name = "Hex bolt M8"
    part.Type = "NonInventory"
    part.Sku = "HB-M8"
    part.SubItem = True
    part.ParentRef = category.to_ref()
    part.IncomeAccountRef = _account(qb, "Sales of Product Income").to_ref()
    part.ExpenseAccountRef = _account(qb, "Cost of Goods Sold").to_ref()
    part = part.save(qb=qb)
    assert part.FullyQualifiedName == "Fasteners:Hex bolt M8"

    stocked = _inventory_item(qb, "Bearing 6204", 40)
    assert stocked.QtyOnHand == 40 and stocked.TrackQtyOnHand is True

    stocked.UnitPrice = Decimal("27.50")
    stocked = stocked.save(qb=qb)
    assert stocked.UnitPrice == Decimal("27.5") and stocked.SyncToken == "1"

    assert [i.Name for i in Item.filter(Sku="HB-M8", qb=qb)] == ["Hex bolt M8"]
    assert len(Item.where("Type = 'Inventory'", qb=qb)) == 1
    stocked.Active = False
    assert stocked.save(qb=qb).Name == "Bearing 6204 (deleted)"


def test_accounts_company_info_and_preferences(qb: QuickBooks) -> None:
    """Account create/update/deactivate; CompanyInfo read; Preferences read and update."""
    account = Account()
    account.Name = "Tooling"
    account.AccountType = "Expense"
    account.AccountSubType = "SuppliesMaterials"
    account = account.save(qb=qb)
    account.Description = "Cutting tools and inserts"
    account = account.save(qb=qb)
    assert account.Description == "Cutting tools and inserts"
    account.Active = False
    assert account.save(qb=qb).Name == "Tooling (deleted)"
    names = {a.Name for a in Account.all(max_results=1000, qb=qb)}
    assert {"Accounts Receivable (A/R)", "Undeposited Funds", "Checking"} <= names

    info = CompanyInfo.get(qb.company_id, qb=qb)
    assert info.CompanyName == "Precision Parts Co"

    prefs = Preferences.get(qb=qb)
    assert prefs.SalesFormsPrefs.CustomTxnNumbers is False
    prefs.SalesFormsPrefs.CustomTxnNumbers = True
    saved = prefs.save(qb=qb)
    assert saved.SalesFormsPrefs.CustomTxnNumbers is True


def test_estimate_invoice_payment_flow(qb: QuickBooks) -> None:
    """Estimate → invoice linking it (closes it) → payment across two invoices → void, delete."""
    customer = _customer(qb, "Riverside Pumps")
    item = _inventory_item(qb, "Impeller", 10)

    estimate = Estimate()
    estimate.CustomerRef = customer.to_ref()
    estimate.TxnStatus = "Accepted"
    estimate.Line.append(_sales_line(item, 200, qty=4))
    estimate = estimate.save(qb=qb)
    assert estimate.TotalAmt == 200 and estimate.TxnStatus == "Accepted"

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line.append(_sales_line(item, 200, qty=4))
    link = {"TxnId": estimate.Id, "TxnType": "Estimate"}
    invoice.LinkedTxn = [link]
    invoice = invoice.save(qb=qb)
    assert invoice.Balance == 200 and invoice.DocNumber
    assert Estimate.get(estimate.Id, qb=qb).TxnStatus == "Closed"
    assert Item.get(item.Id, qb=qb).QtyOnHand == 6

    second = Invoice()
    second.CustomerRef = customer.to_ref()
    second.Line.append(_sales_line(item, 50))
    second = second.save(qb=qb)

    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = 230
    for target, amount in ((invoice, 200), (second, 20)):
        line = PaymentLine()
        line.Amount = amount
        line.LinkedTxn = [{"TxnId": target.Id, "TxnType": "Invoice"}]
        payment.Line.append(line)
    payment = payment.save(qb=qb)
    assert Invoice.get(invoice.Id, qb=qb).Balance == 0
    assert Invoice.get(second.Id, qb=qb).Balance == 30
    assert json.loads(payment.to_json())["UnappliedAmt"] == 10

    payment = Payment.get(payment.Id, qb=qb)
    payment.void(qb=qb)
    assert Invoice.get(invoice.Id, qb=qb).Balance == 200

    second = Invoice.get(second.Id, qb=qb)
    second.void(qb=qb)
    voided = Invoice.get(second.Id, qb=qb)
    assert voided.TotalAmt == 0 and voided.PrivateNote == "Voided"

    invoice = Invoice.get(invoice.Id, qb=qb)
    invoice.delete(qb=qb)
    with pytest.raises(QuickbooksException) as caught:
        Invoice.get(invoice.Id, qb=qb)
    assert caught.value.error_code == 610
    assert Estimate.get(estimate.Id, qb=qb).TxnStatus != "Closed"
    assert Item.get(item.Id, qb=qb).QtyOnHand == 10


def test_invoice_sparse_update_and_queries(qb: QuickBooks) -> None:
    """Invoice sparse update keeps lines; queries by DocNumber, TxnDate and totals page right."""
    customer = _customer(qb, "Lakeside Marine")
    service = Item.filter(Name="Services", qb=qb)[0]
    for amount in (100, 250, 400):
        invoice = Invoice()
        invoice.CustomerRef = customer.to_ref()
        invoice.Line.append(_sales_line(service, amount))
        invoice.save(qb=qb)
    big = Invoice.where("TotalAmt > '200.00'", order_by="TotalAmt DESC", qb=qb)
    assert [i.TotalAmt for i in big] == [400, 250]
    page = Invoice.where("", order_by="Id", start_position=2, max_results=1, qb=qb)
    assert len(page) == 1 and page[0].TotalAmt == 250

    target = big[0]
    sparse = Invoice()
    sparse.Id, sparse.SyncToken, sparse.sparse = target.Id, target.SyncToken, True
    sparse.PrivateNote = "Rush job"
    sparse.Line = []
    del sparse.Line  # a sparse update that does not send lines keeps them
    sparse.CustomerRef = customer.to_ref()
    result = sparse.save(qb=qb)
    assert result.PrivateNote == "Rush job" and result.TotalAmt == 400


def test_sales_receipt_credit_memo_refund(qb: QuickBooks) -> None:
    """SalesReceipt (create, void), CreditMemo applied through a payment, RefundReceipt."""
    customer = _customer(qb, "Harbor Freightways")
    service = Item.filter(Name="Services", qb=qb)[0]

    receipt = SalesReceipt()
    receipt.CustomerRef = customer.to_ref()
    receipt.Line.append(_sales_line(service, 75))
    receipt = receipt.save(qb=qb)
    assert receipt.TotalAmt == 75 and receipt.Balance == 0
    receipt.void(qb=qb)
    assert SalesReceipt.get(receipt.Id, qb=qb).TotalAmt == 0

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line.append(_sales_line(service, 300))
    invoice = invoice.save(qb=qb)

    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    memo.Line.append(_sales_line(service, 50))
    memo = memo.save(qb=qb)
    assert memo.RemainingCredit == 50
    memo.PrivateNote = "Damaged in transit"
    memo = memo.save(qb=qb)

    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = 250
    for txn_type, txn_id, amount in (("Invoice", invoice.Id, 300), ("CreditMemo", memo.Id, 50)):
        line = PaymentLine()
        line.Amount = amount
        line.LinkedTxn = [{"TxnId": txn_id, "TxnType": txn_type}]
        payment.Line.append(line)
    payment.save(qb=qb)
    assert Invoice.get(invoice.Id, qb=qb).Balance == 0
    assert CreditMemo.get(memo.Id, qb=qb).RemainingCredit == 0
    assert Customer.get(customer.Id, qb=qb).Balance == 0

    refund = RefundReceipt()
    refund.CustomerRef = customer.to_ref()
    refund.DepositToAccountRef = _account(qb, "Checking").to_ref()
    refund.Line.append(_sales_line(service, 20))
    refund = refund.save(qb=qb)
    assert refund.TotalAmt == 20
    refund.delete(qb=qb)
    assert RefundReceipt.count(qb=qb) == 0


def test_purchase_order_and_bill(qb: QuickBooks) -> None:
    """PurchaseOrder with item and cost lines; a Bill linking it closes it and adds stock."""
    vendor = Vendor()
    vendor.DisplayName = "Global Castings"
    vendor = vendor.save(qb=qb)
    item = _inventory_item(qb, "Pump housing", 2)

    order = PurchaseOrder()
    order.VendorRef = vendor.to_ref()
    goods = ItemBasedExpenseLine()
    goods.Amount = 500
    goods.ItemBasedExpenseLineDetail = ItemBasedExpenseLineDetail()
    goods.ItemBasedExpenseLineDetail.ItemRef = item.to_ref()
    goods.ItemBasedExpenseLineDetail.Qty = 10
    goods.ItemBasedExpenseLineDetail.UnitPrice = 50
    freight = AccountBasedExpenseLine()
    freight.Amount = Decimal("42.50")
    freight.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    freight.AccountBasedExpenseLineDetail.AccountRef = _account(
        qb, "Shipping, Freight & Delivery"
    ).to_ref()
    order.Line = [goods, freight]
    order = order.save(qb=qb)
    assert order.TotalAmt == Decimal("542.5") and order.POStatus == "Open"
    order.Memo = "Deliver to dock 3"
    order = order.save(qb=qb)
    assert order.SyncToken == "1"

    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    bill.Line = [goods, freight]
    bill.LinkedTxn = [{"TxnId": order.Id, "TxnType": "PurchaseOrder"}]
    bill = bill.save(qb=qb)
    assert bill.Balance == Decimal("542.5")
    assert PurchaseOrder.get(order.Id, qb=qb).POStatus == "Closed"
    assert Item.get(item.Id, qb=qb).QtyOnHand == 12
    assert Vendor.get(vendor.Id, qb=qb).Balance == Decimal("542.5")

    bill.delete(qb=qb)
    assert PurchaseOrder.get(order.Id, qb=qb).POStatus == "Open"
    order = PurchaseOrder.get(order.Id, qb=qb)
    order.delete(qb=qb)
    assert PurchaseOrder.count(qb=qb) == 0


def test_inventory_adjustment_through_the_generic_client(qb: QuickBooks) -> None:
    """InventoryAdjustment (no python-quickbooks class): create, read, delete via raw calls."""
    item = _inventory_item(qb, "Gasket kit", 5)
    body = {
        "AdjustAccountRef": {"value": _account(qb, "Inventory Shrinkage").Id},
        "Line": [
            {
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {"ItemRef": {"value": item.Id}, "QtyDiff": -2},
            }
        ],
    }
    # python-quickbooks has no InventoryAdjustment class; its generic calls reach the endpoint.
    url = f"{qb.api_url}/company/{qb.company_id}/inventoryadjustment"
    created = qb.post(url, json.dumps(body))["InventoryAdjustment"]
    assert Item.get(item.Id, qb=qb).QtyOnHand == 3
    read = qb.get(f"{url}/{created['Id']}")["InventoryAdjustment"]
    assert read["Line"][0]["ItemAdjustmentLineDetail"]["QtyDiff"] == -2
    deleted = qb.post(
        url,
        json.dumps({"Id": created["Id"], "SyncToken": read["SyncToken"]}),
        params={"operation": "delete"},
    )
    assert deleted["InventoryAdjustment"]["status"] == "Deleted"
    assert Item.get(item.Id, qb=qb).QtyOnHand == 5


def test_stale_sync_token_is_5010(qb: QuickBooks, served: Served) -> None:
    """An edit made in the QBO UI makes the client's copy stale: 5010 Stale Object Error."""
    customer = _customer(qb, "Summit Tooling")
    served.emulator.ui_edit(qb.company_id, "Customer", customer.Id, {"Notes": "edited in QBO"})
    customer.Notes = "edited by the app"
    with pytest.raises(QuickbooksException) as caught:
        customer.save(qb=qb)
    assert caught.value.error_code == 5010
    assert "QuickBooks User" in caught.value.detail


# -- every entity, one table ----------------------------------------------------------------
# (class, builder, full-update field and value, sparse-update field and value, removal)
def _build_account(qb: QuickBooks) -> Account:
    account = Account()
    account.Name = "Shop supplies"
    account.AccountType = "Expense"
    account.AccountSubType = "SuppliesMaterials"
    return account


def _build_named(cls: type, field: str, value: str) -> object:
    def build(qb: QuickBooks) -> object:
        obj = cls()
        setattr(obj, field, value)
        if cls is PaymentMethod:
            obj.Type = "NON_CREDIT_CARD"
        return obj

    return build


def _build_item(qb: QuickBooks) -> Item:
    item = Item()
    item.Name = "Anodizing"
    item.Type = "Service"
    item.IncomeAccountRef = _account(qb, "Services").to_ref()
    return item


def _build_sales(cls: type) -> object:
    def build(qb: QuickBooks) -> object:
        form = cls()
        form.CustomerRef = _customer(qb, f"{cls.__name__} customer").to_ref()
        form.Line.append(_sales_line(Item.filter(Name="Services", qb=qb)[0], 120))
        if cls is RefundReceipt:
            form.DepositToAccountRef = _account(qb, "Checking").to_ref()
        return form

    return build


def _build_purchase(cls: type) -> object:
    def build(qb: QuickBooks) -> object:
        vendor = Vendor()
        vendor.DisplayName = f"{cls.__name__} vendor"
        form = cls()
        form.VendorRef = vendor.save(qb=qb).to_ref()
        line = AccountBasedExpenseLine()
        line.Amount = 64
        line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
        line.AccountBasedExpenseLineDetail.AccountRef = _account(qb, "Utilities").to_ref()
        form.Line = [line]
        return form

    return build


def _build_payment(qb: QuickBooks) -> Payment:
    payment = Payment()
    payment.CustomerRef = _customer(qb, "Payment customer").to_ref()
    payment.TotalAmt = 90
    return payment


ENTITIES = [
    (Account, _build_account, ("Description", "Consumables"), ("AcctNum", "6120"), "deactivate"),
    (
        Customer,
        _build_named(Customer, "DisplayName", "Table Customer"),
        ("Notes", "VIP"),
        ("CompanyName", "Table Co"),
        "deactivate",
    ),
    (
        Vendor,
        _build_named(Vendor, "DisplayName", "Table Vendor"),
        ("AcctNum", "V-7"),
        ("CompanyName", "Table Supply"),
        "deactivate",
    ),
    (
        Employee,
        _build_named(Employee, "GivenName", "Robin"),
        ("FamilyName", "Okafor"),
        ("EmployeeNumber", "E-12"),
        "deactivate",
    ),
    (Item, _build_item, ("Description", "Type II"), ("Sku", "ANO-2"), "deactivate"),
    (
        PaymentMethod,
        _build_named(PaymentMethod, "Name", "Wire"),
        ("Name", "Wire transfer"),
        ("Type", "CREDIT_CARD"),
        "deactivate",
    ),
    (
        Term,
        _build_named(Term, "Name", "Net 10"),
        ("DueDays", 10),
        ("Name", "Net ten"),
        "deactivate",
    ),
    (
        Class,
        _build_named(Class, "Name", "Finishing"),
        ("Name", "Finishing line"),
        ("Name", "Finishing dept"),
        "deactivate",
    ),
    (
        Department,
        _build_named(Department, "Name", "Dock"),
        ("Name", "Dock A"),
        ("Name", "Dock B"),
        "deactivate",
    ),
    (
        Estimate,
        _build_sales(Estimate),
        ("PrivateNote", "quoted"),
        ("TxnStatus", "Accepted"),
        "delete",
    ),
    (Invoice, _build_sales(Invoice), ("PrivateNote", "net 30"), ("TrackingNum", "1Z99"), "void"),
    (
        SalesReceipt,
        _build_sales(SalesReceipt),
        ("PrivateNote", "cash sale"),
        ("PaymentRefNum", "R-1"),
        "void",
    ),
    (
        CreditMemo,
        _build_sales(CreditMemo),
        ("PrivateNote", "return"),
        ("TrackingNum", "RMA-7"),
        "delete",
    ),
    (
        RefundReceipt,
        _build_sales(RefundReceipt),
        ("PrivateNote", "refund"),
        ("PaymentRefNum", "CHK-88"),
        "delete",
    ),
    (
        PurchaseOrder,
        _build_purchase(PurchaseOrder),
        ("Memo", "rush"),
        ("PrivateNote", "po"),
        "delete",
    ),
    (Bill, _build_purchase(Bill), ("PrivateNote", "bill"), ("DueDate", "2027-01-31"), "delete"),
    (Payment, _build_payment, ("PrivateNote", "deposit"), ("PaymentRefNum", "CHK-1"), "void"),
]


@pytest.mark.parametrize(
    ("cls", "build", "full", "sparse", "removal"),
    ENTITIES,
    ids=[entry[0].__name__ for entry in ENTITIES],
)
def test_every_entity_round_trips(
    qb: QuickBooks,
    cls: type,
    build: object,
    full: tuple[str, object],
    sparse: tuple[str, object],
    removal: str,
) -> None:
    """Each entity: create, read, full update, sparse update, query by Id, then remove."""
    name = cls.qbo_object_name  # type: ignore[attr-defined]
    created = build(qb).save(qb=qb)  # type: ignore[operator]
    assert created.SyncToken == "0"

    fetched = cls.get(created.Id, qb=qb)  # type: ignore[attr-defined]
    field, value = full
    setattr(fetched, field, value)
    updated = fetched.save(qb=qb)
    assert updated.SyncToken == "1"
    assert getattr(updated, field) == value

    field, value = sparse
    body = {"Id": updated.Id, "SyncToken": updated.SyncToken, "sparse": True, field: value}
    result = qb.update_object(name, json.dumps(body))[name]
    assert result["SyncToken"] == "2"
    assert result[field] == value
    if full[0] != field:
        assert result[full[0]] == full[1]  # the sparse update kept the full update's change

    found = cls.filter(Id=created.Id, qb=qb)  # type: ignore[attr-defined]
    assert [obj.Id for obj in found] == [created.Id]

    current = cls.get(created.Id, qb=qb)  # type: ignore[attr-defined]
    if removal == "deactivate":
        current.Active = False
        assert current.save(qb=qb).Active is False
        assert cls.filter(Id=created.Id, qb=qb) == []  # type: ignore[attr-defined]
    elif removal == "void":
        current.void(qb=qb)
        assert cls.get(created.Id, qb=qb).TotalAmt == 0  # type: ignore[attr-defined]
    else:
        current.delete(qb=qb)
        assert cls.filter(Id=created.Id, qb=qb) == []  # type: ignore[attr-defined]
