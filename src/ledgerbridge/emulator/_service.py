"""The emulator as one object: companies, the OAuth server, the request log, persistence.

Plain Python with no HTTP in it; :mod:`._http` serves it, and tests may call it directly.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import _faults
from ._catalog import CATALOG, canonical_entity
from ._clock import Clock, format_timestamp
from ._company import Company, Obj, company_info, seed_objects
from ._config import EmulatorConfig, Limits
from ._injection import FaultInjector
from ._ledger import Change, Ledger
from ._limits import Throttle
from ._oauth import OAuthServer
from ._replay import RequestIds
from ._rules import UI_USER
from ._webhooks import WebhookDispatcher

__all__ = ["Emulator", "EmulatorConfig", "Limits", "dumps", "loads"]

_STATE_VERSION = 1


#: Token lifetimes of Intuit's OAuth server (section 10.3), before time scaling.
_ACCESS_TTL, _REFRESH_TTL, _CODE_TTL = 3600.0, 8_726_400.0, 600.0


def _encode(value: object) -> object:
    if isinstance(value, Decimal):
        # Always with a fraction, as QBO writes amounts ("100.00"), so that a client (and
        # load()) parsing decimals as Decimal gets a Decimal back, never an int. QBO keeps at
        # most 15 significant digits, which a double holds exactly.
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(document: object) -> bytes:
    """JSON as QBO writes it (numbers for money)."""
    return json.dumps(document, default=_encode, separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes | str) -> Any:
    """JSON with every decimal number read as a ``Decimal`` (money is never a float here)."""
    return json.loads(raw, parse_float=Decimal)


class Emulator:
    """A QuickBooks Online stand-in: any number of companies and apps."""

    def __init__(self, config: EmulatorConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.auto_approve = self.config.auto_approve
        self.oauth = OAuthServer(self.clock)
        self._scale_lifetimes()
        self._companies: dict[str, Company] = {}
        self._ledgers: dict[str, Ledger] = {}
        self.requests: deque[dict[str, Any]] = deque(maxlen=self.config.request_log_size)
        self.webhooks = WebhookDispatcher(
            subscribers=self.oauth.connected_apps,
            delay=lambda: self.config.scaled(self.config.webhook_delay_seconds),
            time_scale=lambda: self.config.time_scale,
        )
        self.faults = FaultInjector()
        self.throttle = Throttle(lambda: self.config)
        self.request_ids = RequestIds(lambda: self.config.requestid_window_seconds, time.monotonic)

    def configure(self, **changes: Any) -> EmulatorConfig:
        """Replace some knobs (``limits`` may be a dict of the limits to change)."""
        limits = changes.pop("limits", None)
        if isinstance(limits, dict):
            changes["limits"] = replace(self.config.limits, **limits)
        elif limits is not None:
            changes["limits"] = limits
        self.config = replace(self.config, **changes)
        self._scale_lifetimes()
        return self.config

    def _scale_lifetimes(self) -> None:
        scaled = self.config.scaled
        self.oauth.set_lifetimes(
            access_token_ttl=scaled(_ACCESS_TTL),
            refresh_token_ttl=scaled(_REFRESH_TTL),
            rotation_grace=scaled(self.config.refresh_token_grace_seconds),
            code_ttl=scaled(_CODE_TTL),
        )

    # -- companies (the OAuth consent page's CompanyDirectory) -------------------------------
    def companies(self) -> list[tuple[str, str]]:
        return [(realm_id, company.name) for realm_id, company in self._companies.items()]

    def create_company(self, name: str | None = None, *, sample_data: bool = False) -> str:
        """A new US company, seeded as QBO seeds one; returns its realm id.

        With ``sample_data`` it is the sample company of every Intuit developer sandbox
        (Craig's Design and Landscaping Services) instead, with its recorded names and Ids.
        """
        realm_id = self._new_realm_id()
        default = "Craig's Design and Landscaping Services" if sample_data else None
        company = Company(
            realm_id, name or default or f"Sandbox Company US {len(self._companies) + 1}"
        )
        ledger = Ledger(company, self.clock, self._changed)
        self._companies[realm_id] = company
        self._ledgers[realm_id] = ledger
        if sample_data:
            from ._sample import seed_sample_company  # a large table, loaded when asked for

            seed_sample_company(ledger)
            return realm_id
        for entity, body in seed_objects():
            ledger.create(entity, body)
        now = format_timestamp(self.clock.now())
        meta = {"CreateTime": now, "LastUpdatedTime": now}
        for code, taxable in (("TAX", True), ("NON", False)):
            company.objects["TaxCode"][code] = {
                "domain": "QBO",
                "sparse": False,
                "Id": code,
                "SyncToken": "0",
                "MetaData": meta,
                "Name": code,
                "Description": "Taxable" if taxable else "Non-taxable",
                "Active": True,
                "Hidden": False,
                "Taxable": taxable,
                "TaxGroup": False,
            }
        company.objects["CompanyInfo"]["1"] = _company_info(company, self.clock, meta)
        company.objects["Preferences"]["1"] = _preferences(company.name, meta)
        return realm_id

    def _changed(self, change: Change) -> None:
        """Every change any company's ledger makes: what webhooks announce."""
        self.webhooks.record(change)

    def _new_realm_id(self) -> str:
        while True:
            realm_id = "9130" + "".join(secrets.choice("0123456789") for _ in range(12))
            if realm_id not in self._companies:
                return realm_id

    def company(self, realm_id: str) -> Company:
        company = self._companies.get(realm_id)
        if company is None:
            raise _faults.application_authorization_failed(f"Unknown company {realm_id}")
        return company

    def ledger(self, realm_id: str) -> Ledger:
        self.company(realm_id)
        return self._ledgers[realm_id]

    def ui_edit(self, realm_id: str, entity_name: str, object_id: str, changes: Obj) -> Obj:
        """An edit made by a person in the QuickBooks UI: a sparse update, SyncToken +1."""
        entity = canonical_entity(entity_name)
        if entity is None:
            raise _faults.business_validation(f"Unknown entity {entity_name}")
        ledger = self.ledger(realm_id)
        current = ledger.read(entity, object_id)
        body = {**changes, "Id": object_id, "SyncToken": current["SyncToken"], "sparse": True}
        if CATALOG[entity].family == "singleton":
            body.pop("sparse")
            body = {**current, **body}
        return ledger.update(entity, body, editor=UI_USER)

    # -- request log -------------------------------------------------------------------------
    def log_request(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)

    def request_log(self, realm_id: str | None = None) -> Iterable[dict[str, Any]]:
        return [r for r in self.requests if realm_id is None or r.get("realm_id") == realm_id]

    # -- lifecycle ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every company, grant and logged request; registered apps stay."""
        apps = self.oauth.apps()
        # The HTTP routes hold this very server: empty it rather than replace it.
        self.oauth.import_state(OAuthServer(self.clock).export_state())
        self._scale_lifetimes()
        for app in apps:
            self.oauth.register_app(
                app.client_id,
                app.client_secret,
                app.redirect_uris,
                webhook_url=app.webhook_url,
                verifier_token=app.verifier_token,
            )
        self._companies.clear()
        self._ledgers.clear()
        self.requests.clear()
        self.faults.clear()
        self.throttle.reset()
        self.request_ids.reset()

    def export_state(self) -> dict[str, Any]:
        return {
            "version": _STATE_VERSION,
            "companies": [c.export_state() for c in self._companies.values()],
            "oauth": self.oauth.export_state(),
        }

    def import_state(self, state: dict[str, Any]) -> None:
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported emulator state version {state.get('version')!r}")
        self._companies.clear()
        self._ledgers.clear()
        for data in state["companies"]:
            company = Company.from_state(data)
            self._companies[company.realm_id] = company
            self._ledgers[company.realm_id] = Ledger(company, self.clock, self._changed)
        self.oauth.import_state(state["oauth"])

    def save(self, path: Path) -> None:
        """Write the state atomically (a crash mid-write keeps the previous file)."""
        tmp = path.with_name(path.name + ".tmp")
        state = json.dumps(self.export_state(), default=_encode, ensure_ascii=False)
        tmp.write_bytes(state.encode())
        tmp.replace(path)

    def load(self, path: Path) -> None:
        self.import_state(loads(path.read_bytes()))


def _company_info(company: Company, clock: Clock, meta: dict[str, str]) -> Obj:
    server = {"domain": "QBO", "sparse": False, "Id": "1", "SyncToken": "0", "MetaData": meta}
    address = {
        "Line1": "2600 Marine Way",
        "City": "Mountain View",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94043",
        "Country": "USA",
    }
    return {
        **server,
        **company_info(
            company.name,
            address=address,
            industry="Manufacturing",
            start_date=clock.today().isoformat(),
            phone="(650) 944-6000",
        ),
    }


def _preferences(company_name: str, meta: dict[str, str]) -> Obj:
    return {
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
        "MetaData": meta,
        "AccountingInfoPrefs": {
            "TrackDepartments": False,
            "DepartmentTerminology": "Location",
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "CustomerTerminology": "Customers",
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False,
            "AllowDeposit": True,
            "AllowDiscount": True,
            "AllowEstimates": True,
            "AllowShipping": False,
            "AutoApplyCredit": True,
            "AutoApplyPayments": True,
            "DefaultTerms": {"value": "3"},
            "ETransactionEnabledStatus": "NotApplicable",
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": True,
            "BillableExpenseTracking": True,
            "POCustomField": [],
        },
        "TaxPrefs": {"UsingSalesTax": False, "PartnerTaxEnabled": False},
        "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
        "OtherPrefs": {
            "NameValue": [{"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""}]
        },
        "EmailMessagesPrefs": {
            f"{form}Message": {
                "Subject": f"{label} [{label} No.] from {company_name}",
                "Message": f"Please review the {label.lower()} below. Thank you for your business.",
            }
            for form, label in (
                ("Invoice", "Invoice"),
                ("Estimate", "Estimate"),
                ("SalesReceipt", "Sales Receipt"),
                ("Statement", "Statement"),
            )
        },
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": True,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": True,
        },
    }
