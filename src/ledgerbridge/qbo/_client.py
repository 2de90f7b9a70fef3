"""``QBOClient``: every HTTP call ledgerbridge makes to one QuickBooks Online company.

One object per realm, async at its core (httpx)::

    async with QBOClient(realm_id, base_url=..., tokens=tokens, gate=governor) as qbo:
        customer = await qbo.customers.create({"DisplayName": "Acme"})
        async for invoice in qbo.invoices.iterate(qbo.invoices.select().where(...)):
            ...

Every request (``shared/QBO-REFERENCE.md`` section 1 and section 13):

* goes through ``gate.slot(realm_id)`` when a :class:`RequestGate` is given (the rate
  governor, section 13.1);
* carries ``minorversion=75`` (section 1.3), ``Accept: application/json`` and the bearer
  token of the :class:`TokenSource`;
* if it writes, carries a ``requestid`` made once per call (or the caller's own) and reused on
  every retry of that call, so that a retry after a lost answer replays instead of writing
  twice (section 1.4, section 13.3);
* has its answer translated by :func:`error_from_response` (a Fault counts on any status);
* is retried per :class:`RetryPolicy` when the error is a :class:`RetryLaterError`: after a
  429 the realm is paused with ``gate.pause`` for Retry-After (else 60 s); 5xx and transport
  failures back off exponentially; a 401 refreshes the token once and tries again; anything
  else is raised at once, and so is the last error when the budget is spent, with
  ``error.attempts`` set;
* is logged at DEBUG on ``ledgerbridge.qbo``: method, path, status, intuit_tid, elapsed time;
  never a token, a query string or a body.

Bodies and results are ``dict`` with money as ``Decimal`` (parsed with ``parse_float=Decimal``
and written back digit for digit).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote

import anyio
import httpx

from . import _batch
from ._batch import BATCH_MAX_ITEMS, BatchItem, BatchResult
from ._errors import (
    AuthenticationError,
    QBOError,
    ReconnectError,
    RetryLaterError,
    ServerError,
    StopError,
    ThrottledError,
    error_from_transport,
    intuit_tid_of,
    read_response,
)
from ._json import dumps
from ._query import Query
from ._resources import (
    NameListResource,
    Resource,
    TransactionResource,
    VoidableResource,
    WritableResource,
    rows,
)
from ._retry import DEFAULT_RETRY, RetryPolicy
from ._types import RequestGate, SentMark, SlotUnused, TokenSource

__all__ = ["MINOR_VERSION", "QBOClient"]

#: The minor version every request asks for (section 1.3: QBO serves 75 to everyone anyway).
MINOR_VERSION: Final = "75"
#: Longest ``requestid`` QBO accepts: 50 characters, 36 on a batch request (section 1.4).
_MAX_REQUEST_ID: Final = 50
_MAX_BATCH_REQUEST_ID: Final = 36

#: The connections of a client's own pool. QBO takes 10 requests of a company at once
#: (section 5); httpcore checks every pooled connection on each request (a system call or
#: two each), so a pool grown to httpx's default of 100 costs milliseconds per request.
_POOL: Final = httpx.Limits(max_connections=10, max_keepalive_connections=10)

_log = logging.getLogger("ledgerbridge.qbo")


def _tracer(mark: SentMark) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore ``trace`` hook that marks the request sent once its body is written."""

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event == "http11.send_request_body.complete":
            mark.sent()

    return trace


def new_request_id() -> str:
    """A fresh ``requestid``: a UUID4 as 32 hex digits (docs/design/qbo-client.md)."""
    return uuid.uuid4().hex


class QBOClient:
    """The Accounting API of one company (realm), with a namespace per entity."""

    def __init__(
        self,
        realm_id: str,
        *,
        base_url: str,
        tokens: TokenSource,
        gate: RequestGate | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        """``base_url`` ends in ``/v3`` (``https://quickbooks.api.intuit.com/v3``, or the
        emulator's ``http://127.0.0.1:8765/v3``). Give ``http`` to share a connection pool
        (the caller then closes it), or ``transport`` to mount one (the emulator's ASGI app in
        tests); with neither, the client makes and closes its own. ``timeout`` (seconds)
        applies to every request."""
        if not realm_id:
            raise ValueError("realm_id is required")
        if http is not None and transport is not None:
            raise ValueError("give http or transport, not both")
        self.realm_id = realm_id
        self._base = f"{base_url.rstrip('/')}/company/{quote(realm_id, safe='')}"
        self._tokens = tokens
        self._gate = gate
        self._retry = retry
        self._timeout = httpx.Timeout(timeout)
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            transport=transport, timeout=self._timeout, limits=_POOL
        )

        self.accounts = NameListResource(self, "Account")
        self.customers = NameListResource(self, "Customer")
        self.vendors = NameListResource(self, "Vendor")
        self.employees = NameListResource(self, "Employee")
        self.items = NameListResource(self, "Item")
        self.payment_methods = NameListResource(self, "PaymentMethod")
        self.terms = NameListResource(self, "Term")
        #: read and query only: tax codes are managed by QBO's tax service
        self.tax_codes = Resource(self, "TaxCode")
        self.classes = NameListResource(self, "Class")
        self.departments = NameListResource(self, "Department")
        self.estimates = TransactionResource(self, "Estimate")
        self.invoices = VoidableResource(self, "Invoice", void_style="operation")
        self.sales_receipts = VoidableResource(self, "SalesReceipt", void_style="include")
        self.credit_memos = TransactionResource(self, "CreditMemo")
        self.refund_receipts = TransactionResource(self, "RefundReceipt")
        self.payments = VoidableResource(self, "Payment", void_style="include")
        self.purchase_orders = TransactionResource(self, "PurchaseOrder")
        self.bills = TransactionResource(self, "Bill")
        self.inventory_adjustments = TransactionResource(self, "InventoryAdjustment")
        #: entity name -> its namespace, for :meth:`send`
        self._by_entity: dict[str, Resource] = {
            value.entity.lower(): value
            for value in vars(self).values()
            if isinstance(value, Resource)
        }

    def __repr__(self) -> str:
        return f"<QBOClient realm_id={self.realm_id!r}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owns_http:
            await self._http.aclose()

    # -- company-wide calls ----------------------------------------------------------------------

    async def company_info(self) -> dict[str, Any]:
        """``GET /companyinfo/<realmId>``: the company's name, address, country, fiscal year."""
        document = await self._send("GET", f"companyinfo/{quote(self.realm_id, safe='')}")
        return self._unwrap(document, "CompanyInfo")

    async def preferences(self) -> dict[str, Any]:
        """``GET /preferences``: custom numbering, closing date, default terms (section 8.3)."""
        return self._unwrap(await self._send("GET", "preferences"), "Preferences")

    async def query(self, text: str) -> dict[str, Any]:
        """The ``QueryResponse`` of a query written by hand; prefer :func:`select`.

        Sent as ``POST /query`` with ``Content-Type: application/text`` (section 1.2, as the
        Python and .NET SDKs do), so that long ``IN`` lists do not meet URL limits.
        """
        document = await self._send("POST", "query", text=text)
        response = document.get("QueryResponse")
        if not isinstance(response, dict):
            raise ServerError("the answer to a query holds no QueryResponse")
        return response

    async def cdc(
        self, entities: Sequence[str], changed_since: datetime
    ) -> dict[str, list[dict[str, Any]]]:
        """Every object of ``entities`` changed since ``changed_since`` (section 11).

        Entity name -> objects, each entity asked for present (empty when nothing changed);
        deleted transactions come as stubs ``{"status": "Deleted", "Id": ...}``. QBO looks
        back at most 30 days and answers at most 1,000 objects (the oldest changes first in
        the emulator): advance the bookmark to the newest ``LastUpdatedTime`` received and
        ask again.
        """
        if isinstance(entities, str) or not entities:
            raise ValueError("entities is a non-empty list of entity names")
        for entity in entities:
            Query(entity)  # the name check
        if changed_since.tzinfo is None or changed_since.utcoffset() is None:
            raise ValueError("changed_since needs a time zone")
        params = {
            "entities": ",".join(dict.fromkeys(entities)),
            "changedSince": changed_since.isoformat(timespec="seconds"),
        }
        document = await self._send("GET", "cdc", params=params)
        names = list(dict.fromkeys(entities))
        changed: dict[str, list[dict[str, Any]]] = {entity: [] for entity in names}
        # {"CDCResponse": [{"QueryResponse": [{"Customer": [...], ...}, {}, ...]}]}
        blocks = [b for b in document.get("CDCResponse") or [] if isinstance(b, dict)]
        for block in blocks:
            for response in block.get("QueryResponse") or []:
                if isinstance(response, dict):
                    for entity in names:
                        changed[entity].extend(rows(response, entity))
        return changed

    async def send(self, item: BatchItem, *, request_id: str | None = None) -> dict[str, Any]:
        """One batch item sent on its own, as the plain request that does the same thing.

        A dispatcher that mixes batch and plain requests describes every write as a
        :class:`BatchItem`; this sends one through its entity's namespace (create, sparse or
        full update, delete, void) with ``request_id``, or runs a query item. It returns the
        object (a query: its ``QueryResponse``) and raises the request's error.
        """
        if item.operation == "query":
            assert item.query is not None  # checked on creation
            return await self.query(
                item.query if isinstance(item.query, str) else item.query.to_sql()
            )
        assert item.entity is not None
        assert item.body is not None
        resource = self._by_entity.get(item.entity.lower())
        body = item.body
        if item.operation == "create" and isinstance(resource, WritableResource):
            return await resource.create(body, request_id=request_id)
        if item.operation == "update" and isinstance(resource, WritableResource):
            return await resource.update(body, sparse=item.sparse, request_id=request_id)
        object_id, sync_token = str(body["Id"]), str(body["SyncToken"])
        if item.operation == "delete" and isinstance(resource, TransactionResource):
            return await resource.delete(object_id, sync_token, request_id=request_id)
        if item.operation == "void" and isinstance(resource, VoidableResource):
            return await resource.void(object_id, sync_token, request_id=request_id)
        raise ValueError(f"ledgerbridge does not {item.operation} {item.entity} objects")

    async def batch(
        self, items: Sequence[BatchItem], *, chunk_size: int = BATCH_MAX_ITEMS
    ) -> list[BatchResult]:
        """Run ``items`` in batch requests of at most ``chunk_size``; one result per item,
        in the order given.

        An item's failure is its result's ``error``; the call raises only for a bad argument.
        A chunk that fails as a whole (after its retries) gives its error to each of its
        items; after a :class:`ReconnectError` or :class:`StopError` the chunks not yet sent
        get that error too, since the company would refuse them the same way.
        """
        if not 1 <= chunk_size <= BATCH_MAX_ITEMS:
            raise ValueError(f"chunk_size must be between 1 and {BATCH_MAX_ITEMS}")
        pairs = list(zip(_batch.assign_bids(items), items, strict=True))
        results: list[BatchResult] = []
        blocking: QBOError | None = None
        for chunk in _batch.chunks(pairs, chunk_size):
            if blocking is None:
                body = {"BatchItemRequest": [item.request(bid) for bid, item in chunk]}
                try:
                    document, tid = await self._exchange(
                        "POST", "batch", json=body, write=True, request_id=None, batch=True
                    )
                except QBOError as error:
                    if isinstance(error, (ReconnectError, StopError)):
                        blocking = error
                    results.extend(BatchResult(item, bid, error=error) for bid, item in chunk)
                    continue
                results.extend(_batch.results(document, chunk, intuit_tid=tid))
            else:
                results.extend(BatchResult(item, bid, error=blocking) for bid, item in chunk)
        return results

    async def batch_when_admitted(
        self,
        take: Callable[[], Sequence[BatchItem]],
        *,
        request_id: str | None = None,
    ) -> list[BatchResult]:
        """One batch request whose items ``take`` picks the moment the gate admits it.

        For a dispatcher that feeds batch and plain requests from one queue: the items wait
        in the caller's queue, where a plain request may still take them, instead of inside
        a batch that waits for the batch budget. ``take`` is called once, with the slot held;
        it returns at most 30 items, or none, and then nothing is sent, the gate gets its
        place back (:class:`SlotUnused`) and ``[]`` is returned. ``request_id`` (at most 36
        characters) is the batch's ``requestid``, made here when not given; retries resend
        the same items with it. One result per item taken, in the order taken; a request
        that fails as a whole gives its error to each item, as :meth:`batch` does.
        """
        chunk: list[tuple[str, BatchItem]] = []

        def body() -> dict[str, Any] | None:
            items = list(take())
            if not items:
                return None
            if len(items) > BATCH_MAX_ITEMS:
                raise ValueError(f"a batch request holds at most {BATCH_MAX_ITEMS} items")
            chunk.extend(zip(_batch.assign_bids(items), items, strict=True))
            return {"BatchItemRequest": [item.request(bid) for bid, item in chunk]}

        try:
            document, tid = await self._exchange(
                "POST", "batch", late_json=body, write=True, request_id=request_id, batch=True
            )
        except SlotUnused:
            return []
        except QBOError as error:
            return [BatchResult(item, bid, error=error) for bid, item in chunk]
        return _batch.results(document, chunk, intuit_tid=tid)

    # -- the request core --------------------------------------------------------------------

    def _unwrap(self, document: Mapping[str, Any], entity: str) -> dict[str, Any]:
        value = document.get(entity)
        if not isinstance(value, dict):
            raise ServerError(f"the answer holds no {entity}")
        return value

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        text: str | None = None,
        write: bool = False,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        document, _ = await self._exchange(
            method, path, params=params, json=json, text=text, write=write, request_id=request_id
        )
        return document

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        text: str | None = None,
        write: bool = False,
        request_id: str | None = None,
        batch: bool = False,
        late_json: Callable[[], Mapping[str, Any] | None] | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """One logical operation, retried as the policy says: its document and intuit_tid.

        ``late_json`` makes the JSON body once the first attempt holds its slot (``None``:
        nothing to send; :class:`SlotUnused` is raised, and the gate gives the place back).
        """
        query: dict[str, str] = {**(params or {}), "minorversion": MINOR_VERSION}
        if write:
            limit = _MAX_BATCH_REQUEST_ID if batch else _MAX_REQUEST_ID
            request_id = request_id or new_request_id()
            if len(request_id) > limit:
                raise ValueError(f"a requestid has at most {limit} characters here")
            query["requestid"] = request_id  # one id for the call and all its retries
        headers = {"Accept": "application/json"}
        content: bytes | None = None
        if json is not None or late_json is not None:
            headers["Content-Type"] = "application/json"
        if json is not None:
            content = dumps(json)
        elif text is not None:
            content = text.encode()
            headers["Content-Type"] = "application/text"
        url = f"{self._base}/{path}"

        policy = self._retry
        attempts = 0
        failures = 0
        refreshed = False
        token: str | None = None
        while True:
            if token is None:
                token = await self._tokens.access_token()
            attempts += 1
            started = time.monotonic()
            try:
                async with self._slot(batch) as mark:
                    if late_json is not None and content is None:
                        late = late_json()
                        if late is None:
                            raise SlotUnused
                        content = dumps(late)
                    response = await self._http.request(
                        method,
                        url,
                        params=query,
                        content=content,
                        headers={**headers, "Authorization": f"Bearer {token}"},
                        timeout=self._timeout,
                        extensions={} if mark is None else {"trace": _tracer(mark)},
                    )
            except httpx.TransportError as exc:
                error: QBOError = error_from_transport(exc, write=write)
                self._log(method, path, type(exc).__name__, None, started, attempts)
            else:
                tid = intuit_tid_of(response.headers)
                self._log(method, path, str(response.status_code), tid, started, attempts)
                found, document = read_response(response)
                if found is None:
                    return self._document(response, document, tid), tid
                error = found
            error.attempts = attempts

            if isinstance(error, AuthenticationError) and not refreshed:
                # The token expired or was revoked: refresh once (the token source
                # single-flights it) and send again (section 13.5). Outside the retry budget.
                refreshed = True
                try:
                    token = await self._tokens.refreshed(token)
                except QBOError as refresh_error:
                    refresh_error.attempts = attempts
                    if refresh_error.__cause__ is None:
                        refresh_error.__cause__ = error
                    raise
                continue
            token = None  # ask the source again: a long wait may outlive the token
            if not isinstance(error, RetryLaterError):
                raise error
            failures += 1
            wait = policy.delay(error, failures=failures)
            if isinstance(error, ThrottledError) and self._gate is not None:
                self._gate.pause(self.realm_id, wait)  # every request of the realm waits
            if attempts >= policy.max_attempts + refreshed:
                raise error
            _log.debug("retry %s %s in %.2f s: %s", method, path, wait, type(error).__name__)
            await anyio.sleep(wait)

    def _slot(self, batch: bool) -> contextlib.AbstractAsyncContextManager[SentMark | None]:
        if self._gate is None:
            return contextlib.nullcontext()
        return self._gate.slot(self.realm_id, batch=batch)

    @staticmethod
    def _document(response: httpx.Response, document: Any, tid: str | None) -> dict[str, Any]:
        """A success's JSON object, parsed by :func:`read_response` (an empty body: ``{}``)."""
        if not response.content:
            return {}
        if not isinstance(document, dict):
            raise ServerError("the answer is not a JSON object", intuit_tid=tid)
        return document

    def _log(
        self, method: str, path: str, outcome: str, tid: str | None, started: float, attempt: int
    ) -> None:
        _log.debug(
            "%s %s -> %s realm=%s intuit_tid=%s %.0f ms (attempt %d)",
            method,
            path,
            outcome,
            self.realm_id,
            tid,
            (time.monotonic() - started) * 1000,
            attempt,
        )
