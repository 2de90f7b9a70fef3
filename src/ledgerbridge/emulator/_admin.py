"""The admin API (``/_emulator/...``): set up apps, companies and tokens, act as a person.

JSON in and out. It is what tests and demos use instead of a browser and the QBO UI; it has
no authentication, so serve the emulator on loopback only.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import _faults
from ._oauth import OAuthError
from ._service import Emulator, loads
from ._wire import fault_response, json_response

__all__ = ["admin_routes"]


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _require(payload: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not payload.get(name)]
    if missing:
        raise AdminError(f"missing field(s): {', '.join(missing)}")


def admin_routes(emulator: Emulator) -> list[BaseRoute]:
    async def payload_of(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            payload = loads(raw)
        except ValueError as exc:
            raise AdminError(f"the body is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise AdminError("the body must be a JSON object")
        return payload

    def endpoint(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            try:
                return json_response(await handler(request))
            except AdminError as exc:
                return json_response({"error": str(exc)}, exc.status)
            except OAuthError as exc:
                return json_response(exc.to_json(), exc.status)
            except _faults.FaultError as fault:
                return fault_response(emulator, fault)

        return wrapped

    async def register_app(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        _require(payload, "client_id", "client_secret")
        uris = payload.get("redirect_uris") or []
        if isinstance(uris, str) or not all(isinstance(u, str) for u in uris):
            raise AdminError("redirect_uris must be a list of URLs")
        app = emulator.oauth.register_app(
            str(payload["client_id"]),
            str(payload["client_secret"]),
            uris,
            webhook_url=payload.get("webhook_url"),
            verifier_token=payload.get("verifier_token"),
        )
        return {"client_id": app.client_id, "redirect_uris": list(app.redirect_uris)}

    async def list_apps(request: Request) -> dict[str, Any]:
        return {
            "apps": [
                {
                    "client_id": a.client_id,
                    "redirect_uris": list(a.redirect_uris),
                    "webhook_url": a.webhook_url,
                }
                for a in emulator.oauth.apps()
            ]
        }

    async def create_company(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        name = payload.get("name")
        realm_id = emulator.create_company(str(name) if name else None)
        return {"realm_id": realm_id, "name": emulator.company(realm_id).name}

    async def list_companies(request: Request) -> dict[str, Any]:
        return {"companies": [{"realm_id": r, "name": n} for r, n in emulator.companies()]}

    async def tokens(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        _require(payload, "client_id", "realm_id")
        emulator.company(str(payload["realm_id"]))
        scope = str(payload.get("scope") or "com.intuit.quickbooks.accounting")
        response = emulator.oauth.issue_tokens(
            str(payload["client_id"]), str(payload["realm_id"]), scope
        )
        return response.to_json(include_hard_expiry=True)

    async def ui_edit(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        _require(payload, "realm_id", "entity", "id")
        changes = payload.get("changes") or {}
        if not isinstance(changes, dict):
            raise AdminError("changes must be a JSON object")
        obj = emulator.ui_edit(
            str(payload["realm_id"]), str(payload["entity"]), str(payload["id"]), changes
        )
        return {str(payload["entity"]): obj}

    async def requests_log(request: Request) -> dict[str, Any]:
        realm_id = request.query_params.get("realm_id")
        return {"requests": list(emulator.request_log(realm_id))}

    async def reset(request: Request) -> dict[str, Any]:
        emulator.reset()
        return {"status": "reset"}

    async def clock(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        advance = payload.get("advance_seconds", 0)
        if not isinstance(advance, (int, float)) or isinstance(advance, bool) or advance < 0:
            raise AdminError("advance_seconds must be a non-negative number")
        emulator.clock.advance(float(advance))
        return {"now": emulator.clock.now().isoformat()}

    async def settings(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        if "auto_approve" in payload:
            emulator.auto_approve = bool(payload["auto_approve"])
        return {"auto_approve": emulator.auto_approve}

    return [
        Route("/apps", endpoint(register_app), methods=["POST"]),
        Route("/apps", endpoint(list_apps), methods=["GET"]),
        Route("/companies", endpoint(create_company), methods=["POST"]),
        Route("/companies", endpoint(list_companies), methods=["GET"]),
        Route("/tokens", endpoint(tokens), methods=["POST"]),
        Route("/ui-edit", endpoint(ui_edit), methods=["POST"]),
        Route("/requests", endpoint(requests_log), methods=["GET"]),
        Route("/reset", endpoint(reset), methods=["POST"]),
        Route("/clock", endpoint(clock), methods=["POST"]),
        Route("/settings", endpoint(settings), methods=["POST"]),
    ]
