"""Checking a tenant's settings against its QuickBooks company's own lists.

:class:`~ledgerbridge.model.TenantSettings` hold QBO names (accounts, payment methods, tax
codes, the charge item). Pydantic can check their shape but not that the company has them:
that takes the company's lists, and a wrong one otherwise surfaces only when the first record
that needs it fails to push. :func:`check_settings` reads the lists once (Accounts,
PaymentMethods, Terms, TaxCodes, Items: one paged query each, run together) and reports every
setting QBO lacks or has of the wrong kind, with the closest names that would fit, plus the
lists themselves for the console's drop-downs (issue 5, issue 7: "validate against the
tenant's QBO lists").

Names match as the pusher matches them: after :func:`~ledgerbridge.mapping.normalize_name`
(case and white space ignored); a setting may also give the object's Id. A record that
exists only inactive (QBO renames it "<name> (deleted)", ``QBO-REFERENCE.md`` 4.3) is a
problem: the pusher cannot use it.

Account types follow ``QBO-REFERENCE.md`` 7.4 (item accounts), 7.5 (types and sub-types)
and 8.5 (RefundReceipt, Payment), and what the emulator enforces:

============================  =================================================================
setting                       account type
============================  =================================================================
refund_account                Bank or Other Current Asset (RefundReceipt ``DepositToAccountRef``)
deposit_accounts              Bank or Other Current Asset (Payment ``DepositToAccountRef``)
inventory_income_account      Income or Other Income (Item ``IncomeAccountRef``)
default_income_account        Income or Other Income
inventory_cogs_account        Cost of Goods Sold (inventory Item ``ExpenseAccountRef``)
inventory_asset_account       Other Current Asset of detail type (sub-type) Inventory
inventory_adjustment_account  Cost of Goods Sold, Expense or Other Expense (shrinkage)
default_expense_account       Cost of Goods Sold, Expense or Other Expense
po_cost_account               Cost of Goods Sold, Expense or Other Expense
payables_account              Accounts Payable
============================  =================================================================

The asset and adjustment accounts are checked only when QBO tracks quantities
(``inventory_mode: qbo_tracks``): in ``app_master`` mode nothing uses them, and a company
without inventory has no "Inventory Asset" account. The charge item must be a Service or
NonInventory item (an Inventory item would move stock on every miscellaneous charge). The US
pseudo tax codes ``TAX`` and ``NON`` always exist (7.6).

Two findings are warnings, not errors (:attr:`SettingsCheck.ok` stays true): a payment
method QBO lacks when ``create_missing_payment_methods`` lets the engine create it, and no
refund account while refunds are enabled (refunds then wait, by design).
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol

from ledgerbridge.mapping import normalize_name, strip_deleted_suffix
from ledgerbridge.model import DEFAULT_DEPOSIT_ACCOUNT, TenantSettings
from ledgerbridge.qbo import QBOClient, Query

__all__ = ["ListKind", "SettingProblem", "SettingsCheck", "check_settings"]

#: The QBO lists a check reads, by the name :attr:`SettingsCheck.choices` uses.
ListKind = Literal["account", "payment_method", "term", "tax_code", "item"]
Severity = Literal["error", "warning"]

#: Suggestions a problem offers at most.
_SUGGESTIONS: Final = 5
#: How alike (difflib ratio) a name must be to count as close.
_CUTOFF: Final = 0.6
#: US pseudo tax codes: their own Ids on lines, present in every US company (7.6).
_PSEUDO_TAX_CODES: Final = frozenset({"TAX", "NON"})
#: Item types a charge line may be booked on.
_CHARGE_ITEM_TYPES: Final = frozenset({"Service", "NonInventory"})

_CASH: Final = frozenset({"Bank", "Other Current Asset"})
_INCOME: Final = frozenset({"Income", "Other Income"})
_EXPENSE: Final = frozenset({"Cost of Goods Sold", "Expense", "Other Expense"})


@dataclass(frozen=True)
class _AccountRule:
    """What an account setting must be, and what it is for (said in the problem)."""

    types: frozenset[str]
    purpose: str
    sub_type: str | None = None
    #: offer only cash-based accounts (Bank, Undeposited Funds), though QBO takes any
    #: Other Current Asset (BPro: "The choices are only QB cash-based accounts")
    cash: bool = False
    #: the account type suggested first when no name is close
    preferred: str | None = None

    def fits(self, entry: _Entry) -> bool:
        """Whether QBO and the pusher take this account for the setting."""
        return entry.type in self.types and self.sub_type in (None, entry.sub_type)

    def offered(self, entry: _Entry) -> bool:
        """Whether the console offers it (an inventory asset account fits a refund, say,
        but nobody pays refunds from inventory)."""
        if not self.fits(entry):
            return False
        return not self.cash or entry.type == "Bank" or entry.sub_type == "UndepositedFunds"

    def wanted(self) -> str:
        kinds = " or ".join(sorted(self.types))
        detail = f" of detail type {self.sub_type}" if self.sub_type else ""
        return f"{_article(kinds)} {kinds} account{detail}"


_ACCOUNT_RULES: Final[Mapping[str, _AccountRule]] = MappingProxyType(
    {
        "refund_account": _AccountRule(_CASH, "refunds are paid from it", cash=True),
        "deposit_accounts": _AccountRule(_CASH, "payments are deposited to it", cash=True),
        "inventory_income_account": _AccountRule(_INCOME, "inventory items' sales post to it"),
        "default_income_account": _AccountRule(_INCOME, "other items' sales post to it"),
        "inventory_cogs_account": _AccountRule(
            frozenset({"Cost of Goods Sold"}), "inventory items' cost of sales posts to it"
        ),
        "inventory_asset_account": _AccountRule(
            frozenset({"Other Current Asset"}), "it holds the inventory's value", "Inventory"
        ),
        "inventory_adjustment_account": _AccountRule(
            _EXPENSE, "quantity adjustments post their value to it", preferred="Cost of Goods Sold"
        ),
        "default_expense_account": _AccountRule(_EXPENSE, "buying other items posts to it"),
        "po_cost_account": _AccountRule(_EXPENSE, "purchase-order cost lines post to it"),
        "payables_account": _AccountRule(
            frozenset({"Accounts Payable"}), "purchase orders and bills are owed through it"
        ),
    }
)
#: Account settings with one value, in the order they are reported.
_SINGLE_ACCOUNTS: Final = (
    "refund_account",
    "inventory_income_account",
    "inventory_cogs_account",
    "inventory_asset_account",
    "inventory_adjustment_account",
    "default_income_account",
    "default_expense_account",
    "po_cost_account",
    "payables_account",
)
#: Account settings only QBO-tracked inventory uses.
_TRACKED_ONLY: Final = frozenset({"inventory_asset_account", "inventory_adjustment_account"})


@dataclass(frozen=True)
class SettingProblem:
    """One setting whose value the company lacks or has of the wrong kind."""

    #: the :class:`TenantSettings` field, e.g. ``"refund_account"``
    field: str
    #: the value the setting holds (for a payment method: the QBO name it maps to)
    value: str
    #: what is wrong, one sentence
    problem: str
    #: the mapping key of a mapping setting (the app's payment method or tax code)
    key: str | None = None
    severity: Severity = "error"
    #: names the company has that would fit this setting, the closest first
    suggestions: tuple[str, ...] = ()
    #: whether the suggestions look like the value (difflib), or are just the first choices
    close: bool = False

    @property
    def location(self) -> str:
        """Where the value sits: ``refund_account``, ``payment_methods["Card"].qbo_method``."""
        if self.key is None:
            return self.field
        where = f'{self.field}["{self.key}"]'
        return f"{where}.qbo_method" if self.field == "payment_methods" else where

    @property
    def message(self) -> str:
        """The sentence a shop owner reads: where, what is wrong, what to pick instead."""
        text = f"{self.location}: {self.problem}"
        if self.suggestions:
            label = "Closest choices" if self.close else "Choices include"
            text += f" {label}: " + ", ".join(repr(s) for s in self.suggestions) + "."
        return text


@dataclass(frozen=True)
class SettingsCheck:
    """What :func:`check_settings` found, and the company's lists."""

    problems: tuple[SettingProblem, ...]
    #: list kind -> the names of its active records, sorted (item categories left out)
    choices: Mapping[ListKind, tuple[str, ...]] = field(default_factory=dict)
    #: setting field -> the names that fit it (the right account types, say), sorted
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every setting can be used as it is (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[SettingProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[SettingProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


@dataclass(frozen=True)
class _Entry:
    """One record of a QBO list, as the check needs it."""

    id: str
    name: str
    active: bool
    #: AccountType of an account, Type of an item
    type: str | None = None
    sub_type: str | None = None


_Fits = Callable[[_Entry], bool]


class _List:
    """One QBO list, looked up by normalized name or by Id."""

    def __init__(self, entries: Iterable[_Entry]) -> None:
        self.entries = tuple(entries)
        self._by_id = {e.id: e for e in self.entries}
        # sub-accounts of different parents may share a name ("Depreciation")
        self._by_name: dict[str, list[_Entry]] = {}
        for entry in self.entries:
            self._by_name.setdefault(normalize_name(entry.name), []).append(entry)

    def find(self, value: str, fits: _Fits | None = None) -> _Entry | None:
        """The record ``value`` names, best first: by name an active one that ``fits``,
        an active one; else by Id; else by name an inactive one."""
        named = sorted(
            self._by_name.get(normalize_name(value), ()),
            key=lambda e: (not e.active, fits is not None and not fits(e)),
        )
        if named and named[0].active:
            return named[0]
        return self._by_id.get(value) or (named[0] if named else None)

    def names(self, fits: _Fits | None = None) -> tuple[str, ...]:
        """Active names (of records ``fits`` accepts), sorted ignoring case."""
        found = {e.name for e in self.entries if e.active and (fits is None or fits(e))}
        return tuple(sorted(found, key=normalize_name))


async def check_settings(qbo: QBOClient, settings: TenantSettings) -> SettingsCheck:
    """Check ``settings`` against the lists of the company ``qbo`` is connected to.

    Reads each list once (a handful of requests in all, whatever the number of settings)
    and never writes. QBO errors (a dropped connection, say) propagate.
    """
    lists = await _read_lists(qbo)
    checker = _Checker(settings, lists)
    return SettingsCheck(
        problems=tuple(checker.problems()),
        choices=MappingProxyType(
            {kind: found.names(_not_category) for kind, found in lists.items()}
        ),
        options=MappingProxyType(checker.options()),
    )


# -- reading the lists ------------------------------------------------------------------------
class _Listing(Protocol):
    """What the check uses of a QBO client namespace (``qbo.accounts``...)."""

    def select(self) -> Query: ...
    def iterate(self, query: Query | None = None) -> AsyncIterator[dict[str, Any]]: ...


async def _read_lists(qbo: QBOClient) -> dict[ListKind, _List]:
    sources: dict[ListKind, tuple[_Listing, bool]] = {
        "account": (qbo.accounts, True),
        "payment_method": (qbo.payment_methods, True),
        "term": (qbo.terms, True),
        # TaxCode is read through the tax service's rules; ask for what QBO shows by default
        "tax_code": (qbo.tax_codes, False),
        "item": (qbo.items, True),
    }
    # together, under the client's governor; one failing cancels the others
    async with asyncio.TaskGroup() as group:
        tasks = {
            kind: group.create_task(_read(resource, inactive_too))
            for kind, (resource, inactive_too) in sources.items()
        }
    return {kind: _List(task.result()) for kind, task in tasks.items()}


async def _read(resource: _Listing, inactive_too: bool) -> list[_Entry]:
    """Every record of one list; inactive ones too when asked (3.1: name-list queries
    return only active records unless they filter on ``Active``)."""
    query = resource.select()
    if inactive_too:
        query = query.where("Active", "IN", [True, False])
    entries: list[_Entry] = []
    async for row in resource.iterate(query):
        active = row.get("Active", True) is not False
        name = str(row.get("Name", ""))
        entries.append(
            _Entry(
                id=str(row.get("Id", "")),
                name=name if active else strip_deleted_suffix(name),
                active=active,
                type=_text(row.get("AccountType") or row.get("Type")),
                sub_type=_text(row.get("AccountSubType")),
            )
        )
    return entries


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# -- the rules --------------------------------------------------------------------------------
class _Checker:
    """The rules of the module docstring, over one set of lists."""

    def __init__(self, settings: TenantSettings, lists: Mapping[ListKind, _List]) -> None:
        self.settings = settings
        self.lists = lists

    def problems(self) -> Iterable[SettingProblem]:
        yield from self._accounts()
        yield from self._deposit_accounts()
        yield from self._payment_methods()
        yield from self._charge_item()
        yield from self._tax_codes()

    def options(self) -> dict[str, tuple[str, ...]]:
        """Setting field -> the names that fit it."""
        accounts = self.lists["account"]
        found = {name: accounts.names(rule.offered) for name, rule in _ACCOUNT_RULES.items()}
        found["payment_methods"] = self.lists["payment_method"].names()
        found["charge_item"] = self.lists["item"].names(_chargeable)
        found["tax_codes"] = self._tax_code_names()
        return found

    # -- accounts -----------------------------------------------------------------------------
    def _accounts(self) -> Iterable[SettingProblem]:
        settings = self.settings
        for name in _SINGLE_ACCOUNTS:
            value: str | None = getattr(settings, name)
            if name in _TRACKED_ONLY and settings.inventory_mode != "qbo_tracks":
                continue
            if value is None:
                if name == "refund_account" and "refund" in settings.enabled_types:
                    yield _problem(
                        name,
                        "",
                        "not set: refunds wait until a Bank or Other Current Asset account "
                        "is chosen.",
                        self.lists["account"].names(_ACCOUNT_RULES[name].offered),
                        severity="warning",
                    )
                continue
            problem = self._account(name, value)
            if problem is not None:
                yield problem

    def _deposit_accounts(self) -> Iterable[SettingProblem]:
        for method, value in self.settings.deposit_accounts.items():
            problem = self._account("deposit_accounts", value, key=method)
            if problem is not None:
                yield problem
        if "payment" in self.settings.enabled_types:
            # every method without its own deposit account goes to the default
            problem = self._account("deposit_accounts", DEFAULT_DEPOSIT_ACCOUNT, default=True)
            if problem is not None:
                yield problem

    def _account(
        self, name: str, value: str, *, key: str | None = None, default: bool = False
    ) -> SettingProblem | None:
        """The problem of one account setting's value, or ``None``; ``default``: the value
        is the deposit account of methods that have none (not set by the shop)."""
        rule = _ACCOUNT_RULES[name]
        accounts = self.lists["account"]
        entry = accounts.find(value, rule.fits)
        if entry is not None and entry.active and rule.fits(entry):
            return None
        if entry is None:
            problem = f"QuickBooks has no account named {value!r} ({rule.purpose})"
            if name in _TRACKED_ONLY:
                problem += "; set inventory_mode to app_master if it tracks no inventory"
        elif not entry.active:
            problem = f"the account {entry.name!r} is inactive in QuickBooks; reactivate it"
        else:
            shown = entry.type or "untyped"
            if entry.sub_type and rule.sub_type:
                shown += f" ({entry.sub_type})"
            problem = (
                f"the account {entry.name!r} is {_article(shown)} {shown} account, but this "
                f"setting needs {rule.wanted()} ({rule.purpose})"
            )
        if default:
            problem += (
                ", and it is the default for payment methods without a deposit account: "
                "map each method to an account in deposit_accounts"
            )
        choices = accounts.names(rule.offered)
        if rule.preferred is not None:
            first = accounts.names(lambda e: rule.offered(e) and e.type == rule.preferred)
            choices = first + tuple(c for c in choices if c not in first)
        return _problem(name, value, problem + ".", choices, key=key)

    # -- payment methods, the charge item, tax codes ------------------------------------------
    def _payment_methods(self) -> Iterable[SettingProblem]:
        methods = self.lists["payment_method"]
        creates = self.settings.create_missing_payment_methods
        for app_method, setting in self.settings.payment_methods.items():
            if not setting.sync:
                continue  # never sent to QBO
            wanted = setting.qbo_method or app_method
            entry = methods.find(wanted)
            if entry is not None and entry.active:
                continue
            if entry is not None:
                problem = (
                    f"the payment method {entry.name!r} is inactive in QuickBooks; "
                    "reactivate it or map this method to another."
                )
                severity: Severity = "error"
            elif creates:
                problem = (
                    f"QuickBooks has no payment method named {wanted!r}; it will be created "
                    "with the first payment that uses it (create_missing_payment_methods)."
                )
                severity = "warning"
            else:
                problem = (
                    f"QuickBooks has no payment method named {wanted!r}; create it in "
                    "QuickBooks, map this method to an existing one, or allow "
                    "create_missing_payment_methods."
                )
                severity = "error"
            yield _problem(
                "payment_methods",
                wanted,
                problem,
                methods.names(),
                key=app_method,
                severity=severity,
            )

    def _charge_item(self) -> Iterable[SettingProblem]:
        items = self.lists["item"]
        value = self.settings.charge_item
        entry = items.find(value, _chargeable)
        if entry is not None and entry.active and _chargeable(entry):
            return
        if entry is None:
            problem = f"QuickBooks has no product or service named {value!r}."
        elif not entry.active:
            problem = f"the item {entry.name!r} is inactive in QuickBooks; reactivate it."
        else:
            problem = (
                f"the item {entry.name!r} is of type {entry.type}; miscellaneous charges are "
                "booked on a Service or NonInventory item."
            )
        yield _problem("charge_item", value, problem, items.names(_chargeable))

    def _tax_codes(self) -> Iterable[SettingProblem]:
        codes = self.lists["tax_code"]
        for app_code, value in self.settings.tax_codes.items():
            if value in _PSEUDO_TAX_CODES:
                continue
            entry = codes.find(value)
            if entry is not None and entry.active:
                continue
            state = "is inactive in" if entry is not None else "is not a tax code of"
            problem = f"{value!r} {state} this QuickBooks company."
            yield _problem("tax_codes", value, problem, self._tax_code_names(), key=app_code)

    def _tax_code_names(self) -> tuple[str, ...]:
        names = set(self.lists["tax_code"].names()) | _PSEUDO_TAX_CODES
        return tuple(sorted(names, key=normalize_name))


# -- helpers ----------------------------------------------------------------------------------
def _not_category(entry: _Entry) -> bool:
    return entry.type != "Category"


def _chargeable(entry: _Entry) -> bool:
    return entry.type in _CHARGE_ITEM_TYPES


def _problem(
    field: str,
    value: str,
    problem: str,
    choices: tuple[str, ...],
    *,
    key: str | None = None,
    severity: Severity = "error",
) -> SettingProblem:
    """A problem suggesting the ``choices`` most like ``value`` (difflib), else the first
    few of them."""
    folded = {normalize_name(name): name for name in choices}
    close = difflib.get_close_matches(
        normalize_name(value), list(folded), n=_SUGGESTIONS, cutoff=_CUTOFF
    )
    suggestions = tuple(folded[match] for match in close) or choices[:_SUGGESTIONS]
    return SettingProblem(
        field, value, problem, key, severity, suggestions=suggestions, close=bool(close)
    )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
