"""The admin API (``/_emulator/...``): set up apps, companies and tokens, act as a person.

JSON in and out. It is what tests and demos use instead of a browser and the QBO UI; it has
no authentication, so serve the emulator on loopback only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, fields, is_dataclass
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import _faults
from ._catalog import canonical_entity
from ._config import EmulatorConfig, Limits
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


#: Settings ``PUT /_emulator/config`` may change.
_CONFIG_FIELDS = (
    "latency_ms",
    "batch_item_latency_ms",
    "time_scale",
    "limits",
    "webhook_delay_seconds",
    "refresh_token_grace_seconds",
    "requestid_window_seconds",
)


#: The settings that are numbers (every one but ``limits``).
_NUMBER_FIELDS = tuple(name for name in _CONFIG_FIELDS if name != "limits")


def _number(name: str, value: object) -> int | float:
    """A setting's number as the timers can use it.

    ``loads`` reads every JSON decimal as a ``Decimal`` (money must not be a float), but the
    windows, sleeps and token lifetimes compute with floats, and a float and a Decimal do not
    mix: left a Decimal, ``time_scale: 2.5`` would make every data-API request fail.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise AdminError(f"{name} must be a number")
    number = float(value) if isinstance(value, Decimal) else value
    if not math.isfinite(number):
        raise AdminError(f"{name} must be a finite number")
    return number


def _whole(name: str, value: object) -> int:
    """A limit: a whole number of requests or items."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminError(f"limits.{name} must be a whole number")
    return value


def _config_json(config: EmulatorConfig) -> dict[str, Any]:
    return {name: _plain(getattr(config, name)) for name in _CONFIG_FIELDS}


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


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
        try:
            app = emulator.oauth.register_app(
                str(payload["client_id"]),
                str(payload["client_secret"]),
                uris,
                webhook_url=payload.get("webhook_url"),
                verifier_token=payload.get("verifier_token"),
                webhook_format=str(payload.get("webhook_format") or "classic"),
            )
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        return {
            "client_id": app.client_id,
            "redirect_uris": list(app.redirect_uris),
            "webhook_url": app.webhook_url,
            "webhook_format": app.webhook_format,
        }

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
        realm_id = emulator.create_company(
            str(name) if name else None, sample_data=bool(payload.get("sample_data"))
        )
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

    async def ui_merge(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        _require(payload, "realm_id", "entity", "from_id", "to_id")
        entity = canonical_entity(str(payload["entity"]))
        if entity is None:
            raise AdminError(f"unknown entity {payload['entity']}")
        ledger = emulator.ledger(str(payload["realm_id"]))
        merged = ledger.merge(entity, str(payload["from_id"]), str(payload["to_id"]))
        return {entity: merged}

    async def webhook_log(request: Request) -> dict[str, Any]:
        return {
            "pending": emulator.webhooks.pending(),
            "deliveries": emulator.webhooks.deliveries(),
        }

    async def webhook_flush(request: Request) -> dict[str, Any]:
        await emulator.webhooks.flush()
        return await webhook_log(request)

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

    async def get_config(request: Request) -> dict[str, Any]:
        return _config_json(emulator.config)

    async def put_config(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        unknown = set(payload) - set(_CONFIG_FIELDS)
        if unknown:
            raise AdminError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        changes: dict[str, Any] = {
            name: _number(name, payload[name]) for name in _NUMBER_FIELDS if name in payload
        }
        limits = payload.get("limits")
        if limits is not None:
            if not isinstance(limits, dict):
                raise AdminError("limits must be a JSON object")
            unknown = set(limits) - {f.name for f in fields(Limits)}
            if unknown:
                raise AdminError(f"unknown limit(s): {', '.join(sorted(unknown))}")
            changes["limits"] = {name: _whole(name, value) for name, value in limits.items()}
        try:
            config = emulator.configure(**changes)
        except (TypeError, ValueError) as exc:
            raise AdminError(str(exc)) from None
        return _config_json(config)

    async def arm_fault(request: Request) -> dict[str, Any]:
        payload = await payload_of(request)
        _require(payload, "kind")
        try:
            rule = emulator.faults.arm(
                str(payload["kind"]),
                count=int(payload.get("count", 1)),
                realm_id=str(payload["realm_id"]) if payload.get("realm_id") else None,
                path=str(payload["path"]) if payload.get("path") else None,
                method=str(payload["method"]) if payload.get("method") else None,
                seconds=float(payload["seconds"]) if payload.get("seconds") is not None else None,
                respond=str(payload.get("respond") or "drop"),
            )
        except (TypeError, ValueError) as exc:
            raise AdminError(str(exc)) from None
        return rule.to_json()

    async def list_faults(request: Request) -> dict[str, Any]:
        return {"faults": [rule.to_json() for rule in emulator.faults.rules()]}

    async def clear_faults(request: Request) -> dict[str, Any]:
        emulator.faults.clear()
        return {"faults": []}

    return [
        Route("/config", endpoint(get_config), methods=["GET"]),
        Route("/config", endpoint(put_config), methods=["PUT"]),
        Route("/faults", endpoint(arm_fault), methods=["POST"]),
        Route("/faults", endpoint(list_faults), methods=["GET"]),
        Route("/faults", endpoint(clear_faults), methods=["DELETE"]),
        Route("/apps", endpoint(register_app), methods=["POST"]),
        Route("/apps", endpoint(list_apps), methods=["GET"]),
        Route("/companies", endpoint(create_company), methods=["POST"]),
        Route("/companies", endpoint(list_companies), methods=["GET"]),
        Route("/tokens", endpoint(tokens), methods=["POST"]),
        Route("/ui-edit", endpoint(ui_edit), methods=["POST"]),
        Route("/ui-merge", endpoint(ui_merge), methods=["POST"]),
        Route("/webhooks", endpoint(webhook_log), methods=["GET"]),
        Route("/webhooks/flush", endpoint(webhook_flush), methods=["POST"]),
        Route("/requests", endpoint(requests_log), methods=["GET"]),
        Route("/reset", endpoint(reset), methods=["POST"]),
        Route("/clock", endpoint(clock), methods=["POST"]),
        Route("/settings", endpoint(settings), methods=["POST"]),
    ]
