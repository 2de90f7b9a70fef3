"""Logging in and out, and finding one's way to a tenant."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ._frame import NotFound, Viewer, base_path, redirect, render, state_of, viewer
from ._session import ConsoleSession

__all__ = ["login_router"]

#: one answer for an unknown user and a wrong password: which one it was is nobody's business
_WRONG: Final = "The user name or the password is not right."


def _safe_next(request: Request, target: str | None) -> str:
    """Where to go after login: a path inside the console, never another site."""
    base = base_path(request)
    if target and target.startswith(f"{base}/") and not target.startswith("//"):
        return target
    return f"{base}/"


def login_router() -> APIRouter:
    router = APIRouter()

    @router.get("/login")
    async def login_page(request: Request, next: str | None = None) -> Response:
        return render(
            request,
            "login.html",
            {"title": "Log in", "error": None, "username": "", "next": next or ""},
        )

    @router.post("/login")
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=100)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        access = state_of(request).access
        user = (
            await run_in_threadpool(access.verify_user, username, password)
            if (username and password)
            else None
        )
        if user is None:
            context = {"title": "Log in", "error": _WRONG, "username": username, "next": next}
            return render(request, "login.html", context, status_code=401)
        ConsoleSession(request).login(user.username)
        return redirect(_safe_next(request, next))

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        ConsoleSession(request).logout()
        return redirect(f"{base_path(request)}/login")

    @router.get("/")
    async def home(who: Annotated[Viewer, Depends(viewer)]) -> Response:
        if not who.tenants:
            raise NotFound(
                "Your user has no shop to manage yet: ask an administrator to grant you one."
            )
        return redirect(f"{who.base}/t/{who.tenants[0].id}/integrations")

    @router.get("/switch")
    async def switch(tenant: str, who: Annotated[Viewer, Depends(viewer)]) -> Response:
        if not any(t.id == tenant for t in who.tenants):
            raise NotFound("There is no such shop, or it is not yours to see.")
        return redirect(f"{who.base}/t/{tenant}/integrations")

    @router.get("/t/{tenant_id}")
    async def tenant_home(tenant_id: str, request: Request) -> Response:
        return redirect(f"{base_path(request)}/t/{tenant_id}/integrations")

    return router
