"""Rendering QBO responses: JSON envelopes and Fault bodies (section 1.7-1.9)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from . import _faults
from ._clock import format_time
from ._service import Emulator, dumps

__all__ = ["JSON", "fault_response", "json_response"]

JSON = "application/json;charset=utf-8"


def json_response(
    document: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dumps(document), status_code=status, media_type=JSON, headers=headers)


def fault_response(emulator: Emulator, fault: _faults.FaultError) -> Response:
    now = emulator.clock.now()
    if fault.status == 401:
        # A 401 comes back with a different, lower-case body (recorded, section 1.8).
        body: dict[str, Any] = {
            "warnings": None,
            "intuitObject": None,
            "fault": {
                "error": [
                    {"message": e.message, "detail": e.detail, "code": e.code, "element": None}
                    for e in fault.errors
                ],
                "type": fault.type,
            },
            "report": None,
            "queryResponse": None,
            "batchItemResponse": [],
            "attachableResponse": [],
            "syncErrorResponse": None,
            "requestId": None,
            "time": int(now.timestamp() * 1000),
            "status": None,
            "cdcresponse": [],
        }
    else:
        body = {"Fault": fault.fault_json(), "time": format_time(now)}
    return json_response(body, fault.status, fault.headers)
