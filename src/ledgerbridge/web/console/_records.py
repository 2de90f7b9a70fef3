"""The Records page: per type, each record's sync status, QuickBooks link, last error and
warning; push, retry, skip and relink one record, or push, retry and skip a selection.

Pushing is asking for a run (the workers send it; the Activity page follows it): one record
is a ``manual`` run, a selection or a whole type a ``bulk`` one. Skipping leaves a record out
of syncing until it changes. Relinking points a record at a QuickBooks object someone made by
hand, checked in QuickBooks first, and pushes it so that the object is updated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.engine import PUSH_ORDER
from ledgerbridge.mapping import QBO_ENTITY
from ledgerbridge.store import Environment
from ledgerbridge.web import _service as service

from ._frame import (
    NotFound,
    TenantPage,
    act,
    flash,
    redirect,
    render,
    run_started,
    services_of,
    tenant_page,
)
from ._settings_form import type_label

__all__ = ["RecordRow", "records_router", "row_of"]

Page = Annotated[TenantPage, Depends(tenant_page)]
#: records a page lists
PAGE_SIZE: Final = 50
#: QuickBooks Online's own pages of an object, by entity (for a sandbox or live company)
_QBO_PAGES: Final = {
    "Customer": "customerdetail?nameId=",
    "Vendor": "vendordetail?nameId=",
    "Estimate": "estimate?txnId=",
    "Invoice": "invoice?txnId=",
    "PurchaseOrder": "purchaseorder?txnId=",
    "Bill": "bill?txnId=",
    "Payment": "recvpayment?txnId=",
    "CreditMemo": "creditmemo?txnId=",
    "RefundReceipt": "refundreceipt?txnId=",
}
_QBO_HOSTS: Final[Mapping[str, str]] = {
    "production": "https://app.qbo.intuit.com/app/",
    "sandbox": "https://app.sandbox.qbo.intuit.com/app/",
}
#: the status a record shows, from the service's sync status: (words, tone of the pill)
_STATUS: Final = {
    "pending": ("waiting to sync", "dirty"),
    "ok": ("synced", "ok"),
    "failed": ("failed", "failed"),
    "skipped": ("skipped", "idle"),
    "waiting": ("waiting for a setting", "waiting"),
    "deleted": ("deleted in QuickBooks", "idle"),
    "voided": ("voided in QuickBooks", "idle"),
}


@dataclass(frozen=True)
class RecordRow:
    """One record as the table shows it."""

    app_id: str
    title: str
    detail: str
    status: str
    tone: str
    qbo_type: str | None
    qbo_id: str | None
    qbo_url: str | None
    message: str | None
    error_code: str | None
    intuit_tid: str | None
    warning: str | None


def _title(record_type: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """A name a person recognises, and a line of detail (who, when, how much)."""
    name = payload.get("name") or payload.get("display_name")
    number = payload.get("number")
    label = type_label(record_type).rstrip("s")
    if name:
        title = str(name)
    elif number:
        title = f"{label} {number}"
    else:
        title = f"{label} {payload.get('id', '')}".strip()
    bits = []
    for key in ("customer_id", "vendor_id", "item_id"):
        if payload.get(key):
            bits.append(f"{key.removesuffix('_id')} {payload[key]}")
    for key in ("date", "invoice_date", "payment_date", "order_date"):
        if payload.get(key):
            bits.append(str(payload[key]))
            break
    if payload.get("amount") is not None:
        bits.append(f"${payload['amount']}")
    if payload.get("quantity_on_hand") is not None and record_type == "inventory_level":
        bits.append(f"{payload['quantity_on_hand']} on hand")
    return title, " · ".join(bits)


def row_of(view: service.RecordView, environment: Environment) -> RecordRow:
    """The table row of a record and its link."""
    record, link = view.record, view.link
    status, tone = _STATUS.get(view.sync_status, (view.sync_status, "idle"))
    if record.deleted and record.dirty:
        status, tone = "deleted in the app: waits to sync", "dirty"
    elif view.sync_status == "pending" and link is not None and link.last_result == "failed":
        status, tone = "failed", "failed"  # failed records stay dirty until they go out
    title, detail = _title(record.record_type, record.payload)
    qbo_url = None
    if link is not None and link.qbo_type and link.qbo_id and environment in _QBO_HOSTS:
        page_path = _QBO_PAGES.get(link.qbo_type)
        if page_path:
            qbo_url = f"{_QBO_HOSTS[environment]}{page_path}{link.qbo_id}"
    return RecordRow(
        app_id=record.app_id,
        title=title,
        detail=detail,
        status=status,
        tone=tone,
        qbo_type=link.qbo_type if link else None,
        qbo_id=link.qbo_id if link else None,
        qbo_url=qbo_url,
        message=link.last_message if link else None,
        error_code=link.last_error_code if link else None,
        intuit_tid=link.last_intuit_tid if link else None,
        warning=link.warning if link else None,
    )


def _known(record_type: str) -> str:
    if record_type not in PUSH_ORDER:
        raise NotFound("There is no such record type.")
    return record_type


def records_router() -> APIRouter:
    router = APIRouter()

    @router.get("/t/{tenant_id}/records")
    async def records_home(request: Request, page: Page) -> Response:
        counts = await run_in_threadpool(service.record_counts, services_of(request), page.id)
        first = next((t for t in PUSH_ORDER if t in counts), PUSH_ORDER[0])
        return redirect(f"{page.base}/records/{first}")

    @router.get("/t/{tenant_id}/records/{record_type}")
    async def records(
        request: Request, page: Page, record_type: str, after: str | None = None
    ) -> Response:
        services = services_of(request)
        _known(record_type)
        counts = await run_in_threadpool(service.record_counts, services, page.id)
        views = await run_in_threadpool(
            lambda: service.records_page(
                services, page.id, record_type, limit=PAGE_SIZE + 1, after=after
            )
        )
        environment = services.runtime.environment
        rows = [row_of(view, environment) for view in views[:PAGE_SIZE]]
        live = bool(await run_in_threadpool(service.open_runs, services, page.id))
        types = [
            {
                "name": t,
                "label": type_label(t),
                "total": counts[t].total if t in counts else 0,
                "dirty": counts[t].dirty if t in counts else 0,
            }
            for t in PUSH_ORDER
            if t in counts or t in ("customer", "item", "invoice")
        ]
        context = {
            "title": f"Records: {type_label(record_type)}",
            "types": types,
            "record_type": record_type,
            "type_label": type_label(record_type).lower(),
            "rows": rows,
            "shown": len(rows),
            "counts": counts.get(record_type),
            "next_after": rows[-1].app_id if len(views) > PAGE_SIZE else None,
            # a run is open: the table refreshes itself until it ends (htmx)
            "live": live,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        }
        return render(request, "records.html", context, page=page, active="records")

    @router.post("/t/{tenant_id}/records/{record_type}/sync")
    async def sync_type(request: Request, page: Page, record_type: str) -> Response:
        _known(record_type)
        return await act(
            request,
            f"{page.base}/records/{record_type}",
            lambda: run_started(
                service.request_sync(services_of(request), page.id, record_types=[record_type])
            ),
        )

    @router.post("/t/{tenant_id}/records/{record_type}/bulk")
    async def bulk(
        request: Request,
        page: Page,
        record_type: str,
        action: Annotated[Literal["push", "retry", "skip"], Form()],
        selected: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        _known(record_type)
        back = f"{page.base}/records/{record_type}"
        chosen = list(dict.fromkeys(selected or []))
        if not chosen:
            flash(request, "Select at least one record first.", "warn")
            return redirect(back)
        return await _apply(request, page, back, action, [(record_type, i) for i in chosen])

    # before ".../{app_id}/{action}": a path matches the first route declared
    @router.get("/t/{tenant_id}/records/{record_type}/{app_id}/relink")
    async def relink_page(request: Request, page: Page, record_type: str, app_id: str) -> Response:
        return await _relink_form(request, page, _known(record_type), app_id)

    @router.post("/t/{tenant_id}/records/{record_type}/{app_id}/relink")
    async def relink(
        request: Request,
        page: Page,
        record_type: str,
        app_id: str,
        qbo_id: Annotated[str, Form(max_length=64)],
    ) -> Response:
        _known(record_type)
        services = services_of(request)
        try:
            await service.relink_record(
                services, page.id, record_type, app_id, qbo_id=qbo_id.strip()
            )
            run = await run_in_threadpool(
                service.retry_records, services, page.id, [(record_type, app_id)]
            )
        except service.InvalidInputError as error:
            message = "; ".join(p.message for p in error.problems)
            return await _relink_form(request, page, record_type, app_id, qbo_id, message)
        except service.NotFoundError as error:
            raise NotFound(error.user_message) from None
        except LedgerbridgeError as error:
            return await _relink_form(
                request, page, record_type, app_id, qbo_id, error.user_message
            )
        flash(request, f"Linked {app_id} to QuickBooks Id {qbo_id}; {run_started(run)}")
        return redirect(f"{page.base}/records/{record_type}#record-{app_id}")

    @router.post("/t/{tenant_id}/records/{record_type}/{app_id}/{action}")
    async def one(
        request: Request,
        page: Page,
        record_type: str,
        app_id: str,
        action: Literal["push", "retry", "skip"],
        next: Annotated[str | None, Form()] = None,
    ) -> Response:
        _known(record_type)
        back = (
            f"{page.base}/errors"
            if next == "errors"
            else f"{page.base}/records/{record_type}#record-{app_id}"
        )
        return await _apply(request, page, back, action, [(record_type, app_id)])

    return router


async def _apply(
    request: Request,
    page: TenantPage,
    back: str,
    action: Literal["push", "retry", "skip"],
    keys: list[tuple[str, str]],
) -> Response:
    """Push (or retry: the same, a run of these records) or skip records, then go back."""
    services = services_of(request)
    if action != "skip":
        return await act(
            request, back, lambda: run_started(service.retry_records(services, page.id, keys))
        )
    by = page.viewer.user.username

    def skip() -> str:
        for record_type, app_id in keys:
            service.skip_record(services, page.id, record_type, app_id, by=by)
        return f"Skipped {len(keys)} record{'s' if len(keys) != 1 else ''}."

    return await act(request, back, skip)


async def _relink_form(
    request: Request,
    page: TenantPage,
    record_type: str,
    app_id: str,
    qbo_id: str | None = None,
    error: str | None = None,
) -> Response:
    services = services_of(request)
    try:
        view = await run_in_threadpool(service.record, services, page.id, record_type, app_id)
    except service.NotFoundError:
        raise NotFound("There is no such record.") from None
    context = {
        "title": "Relink",
        "row": row_of(view, services.runtime.environment),
        "record_type": record_type,
        "type_label_one": type_label(record_type).rstrip("s"),
        "qbo_type": QBO_ENTITY.get(record_type, "object"),
        "qbo_id": qbo_id,
        "error": error,
    }
    status = 422 if error else 200
    return render(request, "relink.html", context, page=page, active="records", status_code=status)
