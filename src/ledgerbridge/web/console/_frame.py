"""What every console page shares: templates, the logged-in user, the tenant, flashes, CSRF.

Routes ask for a :class:`Viewer` (``Depends(viewer)``: a logged-in user, else a redirect to the
login page) or a :class:`TenantPage` (``Depends(tenant_page)``: a viewer allowed to see the
tenant in the URL, else 404: a tenant that exists but is not theirs looks exactly like one
that does not). Every unsafe request passes :func:`require_csrf` before its route runs.

After a POST the console redirects (303) to a page and says what happened there: a *flash*
kept in the session for the next page only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.store import AccessStore, ConsoleUserRecord, RunRecord, TenantRecord
from ledgerbridge.web._service import NotFoundError as ServiceNotFoundError
from ledgerbridge.web._service import Services
from ledgerbridge.web._service import error_count as service_error_count

from ._session import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, ConsoleSession, CSRFError

__all__ = [
    "NAV",
    "ConsoleState",
    "LoginRequired",
    "NotFound",
    "TenantPage",
    "Viewer",
    "act",
    "base_path",
    "csrf_refused",
    "flash",
    "make_templates",
    "page_or_login",
    "redirect",
    "render",
    "require_csrf",
    "run_started",
    "services_of",
    "state_of",
    "tenant_page",
    "viewer",
]

_HERE: Final = Path(__file__).parent
Tone = Literal["ok", "warn", "bad", "info"]

#: the side navigation of a tenant: (key, label, path under the tenant)
NAV: Final = (
    ("integrations", "Integrations", "integrations"),
    ("settings", "Settings", "settings"),
    ("records", "Records", "records"),
    ("errors", "Error queue", "errors"),
    ("activity", "Activity", "activity"),
    ("dashboard", "Dashboard", "dashboard"),
)


class LoginRequired(Exception):
    """No one is logged in (or the user was removed): the login page, then back here."""


class NotFound(Exception):
    """A page the viewer may not see or that does not exist (the same answer for both)."""

    def __init__(self, detail: str = "There is no such page, or it is not yours to see.") -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class ConsoleState:
    """What the console's routes use: kept on ``app.state.console``."""

    services: Services
    templates: Jinja2Templates
    #: the console is served over HTTPS: its cookies are ``Secure``
    https_only: bool = False

    @property
    def access(self) -> AccessStore:
        return self.services.access


def _ago(moment: datetime | None) -> str:
    """'3 min ago', '2 h ago', 'in 5 days': a moment as a shop owner reads it."""
    if moment is None:
        return "—"
    seconds = (datetime.now(UTC) - moment).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    for size, unit in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def make_templates() -> Jinja2Templates:
    """The console's Jinja2 templates (autoescaped; ``ago`` filter; ``static()`` helper)."""
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    env = templates.env
    env.filters["ago"] = _ago
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


def state_of(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def services_of(request: Request) -> Services:
    """The operations the console calls (``ledgerbridge.web._service``)."""
    return state_of(request).services


def base_path(request: Request) -> str:
    """Where the console is mounted (``/console``): every link in a page starts with it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


# -- the viewer ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Viewer:
    """A logged-in console user, as this request sees them."""

    request: Request
    session: ConsoleSession
    user: ConsoleUserRecord
    #: the tenants the user may see, by id order
    tenants: tuple[TenantRecord, ...]

    @property
    def base(self) -> str:
        return base_path(self.request)


async def viewer(request: Request) -> Viewer:
    """The logged-in user (re-read on every request: a removed user or a revoked grant takes
    effect at once), else :class:`LoginRequired`."""
    session = ConsoleSession(request)
    name = session.user
    if name is None:
        raise LoginRequired
    access = state_of(request).access
    user = await run_in_threadpool(access.user, name)
    if user is None:
        session.logout()
        raise LoginRequired
    among = None if user.admin else user.tenants
    tenants = await run_in_threadpool(lambda: access.tenants(limit=1000, among=among))
    return Viewer(request, session, user, tuple(tenants))


@dataclass(frozen=True)
class TenantPage:
    """A viewer on a page of one tenant they may see."""

    viewer: Viewer
    tenant: TenantRecord
    #: records in the tenant's error queue (the navigation shows how many)
    errors: int = 0

    @property
    def id(self) -> str:
        return self.tenant.id

    @property
    def base(self) -> str:
        """The tenant's pages: ``/console/t/<tenant>``."""
        return f"{self.viewer.base}/t/{self.tenant.id}"


async def tenant_page(tenant_id: str, who: Annotated[Viewer, Depends(viewer)]) -> TenantPage:
    """The tenant in the URL, if the viewer may see it; else :class:`NotFound`."""
    for tenant in who.tenants:
        if tenant.id == tenant_id:
            services = services_of(who.request)
            errors = await run_in_threadpool(service_error_count, services, tenant_id)
            return TenantPage(who, tenant, errors)
    raise NotFound("There is no such shop, or it is not yours to see.")


# -- CSRF ---------------------------------------------------------------------------------------
async def require_csrf(request: Request) -> None:
    """Refuse an unsafe request without the session's CSRF token (form field or header).

    The form is parsed here once; Starlette keeps it on the request for the route.
    """
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    ConsoleSession(request).check_csrf(sent)


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")


# -- rendering ----------------------------------------------------------------------------------
def flash(request: Request, text: str, tone: Tone = "ok") -> None:
    """Say ``text`` on the next page this session sees."""
    request.session["flash"] = {"text": text, "tone": tone}


def redirect(url: str) -> RedirectResponse:
    """See other: the page to show after a POST."""
    return RedirectResponse(url, status_code=303)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    page: TenantPage | None = None,
    active: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page: ``context`` plus what the frame needs (user, tenants, navigation, flash)."""
    session = ConsoleSession(request)
    base = base_path(request)
    frame: dict[str, Any] = {
        "base": base,
        "csrf_token": session.csrf,
        "static": lambda path: f"{base}/static/{path}",
        "flash": request.session.pop("flash", None),
        "user": session.user,
        "tenants": (),
        "tenant": None,
        "nav": (),
        "active": active,
        "error_count": 0,
    }
    if page is not None:
        frame.update(
            tenants=page.viewer.tenants,
            tenant=page.tenant,
            base_t=page.base,
            nav=tuple((key, label, f"{page.base}/{path}") for key, label, path in NAV),
            error_count=page.errors,
        )
    frame.update(context)
    return state_of(request).templates.TemplateResponse(
        request, template, frame, status_code=status_code
    )


def page_or_login(request: Request) -> Response:
    """The answer to :class:`LoginRequired`: the login page, then back (htmx: a full-page
    redirect, not a login form inside a fragment)."""
    target = f"{base_path(request)}/login"
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += f"?next={_quote(here)}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return redirect(target)


def _quote(path: str) -> str:
    return quote(path, safe="/")


def csrf_refused(request: Request, error: CSRFError) -> HTMLResponse:
    """403 with a page saying what to do (the form was older than the session, usually)."""
    return render(
        request,
        "problem.html",
        {
            "title": "This form has expired",
            "detail": "The page was opened before your session changed (or on another site), "
            "so ledgerbridge did not act on it. Go back, reload the page and try again.",
        },
        status_code=403,
    )


# -- actions ------------------------------------------------------------------------------------
def run_started(run: RunRecord) -> str:
    """What a page says after it asked for a run."""
    return f"Sync requested ({run.trigger} run): follow it on the Activity page."


async def act(request: Request, back: str, work: Callable[[], str]) -> Response:
    """Do a blocking action of the service and go ``back``, saying how it went: its own
    sentence, or the error's (a missing thing is a 404 page)."""
    try:
        text = await run_in_threadpool(work)
    except ServiceNotFoundError as error:
        raise NotFound(error.user_message) from None
    except LedgerbridgeError as error:
        flash(request, error.user_message, "bad")
    else:
        flash(request, text)
    return redirect(back)
