"""Reading a request body the way QBO's strict JSON binding does.

Unknown top-level properties are refused (2010), values are coerced to the property's kind or
refused (2010, as Jackson reports a value it cannot construct), strings are checked against
their maximum length (2050) and enumerations against their values (2170). Empty strings and
nulls count as absent: SDKs such as python-quickbooks send ``""`` for every unset string.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import _faults
from ._catalog import EntitySpec
from ._company import Obj

__all__ = ["CENT", "money", "read_body", "to_decimal"]

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round to cents half-up, as QBO rounds amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _cannot_construct(entity: str, name: str, java_type: str, value: object) -> _faults.FaultError:
    return _faults.FaultError(
        400,
        [
            _faults.ErrorItem(
                "Request has invalid or unsupported property",
                f"Property Name:Can not construct instance of {java_type} from String value "
                f"'{value}': not a valid representation (field {entity}.{name}) specified is "
                "unsupported or invalid",
                "2010",
                name,
            )
        ],
    )


def to_decimal(value: object, *, entity: str, name: str) -> Decimal:
    """A JSON number (or numeric string) as a Decimal, or a 2010 Fault naming the field."""
    if isinstance(value, bool):
        raise _cannot_construct(entity, name, "java.math.BigDecimal", value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise _cannot_construct(entity, name, "java.math.BigDecimal", value) from None
        if result.is_finite():
            return result
    raise _cannot_construct(entity, name, "java.math.BigDecimal", value)


def _coerce(spec: EntitySpec, name: str, kind: str, value: Any) -> Any:
    entity = spec.name
    if kind == "s":
        if isinstance(value, (dict, list)):
            raise _cannot_construct(entity, name, "java.lang.String", value)
        text = value if isinstance(value, str) else str(value)
        limit = spec.max_length.get(name)
        if limit is not None and len(text) > limit:
            raise _faults.string_length(name, limit, len(text))
        allowed = spec.enums.get(name)
        if allowed is not None and text not in allowed:
            raise _faults.invalid_enumeration(name, text)
        return text
    if kind == "b":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _cannot_construct(entity, name, "boolean", value)
    if kind == "n":
        return to_decimal(value, entity=entity, name=name)
    if kind == "i":
        number = to_decimal(value, entity=entity, name=name)
        if number != number.to_integral_value():
            raise _cannot_construct(entity, name, "java.lang.Integer", value)
        return int(number)
    if kind == "d":
        text = str(value)
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            raise _cannot_construct(entity, name, "java.util.Date", value) from None
    if kind == "r":
        if isinstance(value, (str, int)):
            return {"value": str(value)}
        if not isinstance(value, dict) or "value" not in value:
            raise _cannot_construct(
                entity, name, "com.intuit.schema.finance.v3.ReferenceType", value
            )
        ref = {"value": str(value["value"])}
        if value.get("name"):
            ref["name"] = str(value["name"])
        return ref
    if kind == "o":
        if not isinstance(value, dict):
            raise _cannot_construct(entity, name, "java.lang.Object", value)
        return value
    if kind == "l":
        if not isinstance(value, list):
            raise _cannot_construct(entity, name, "java.util.List", value)
        return value
    return value


def read_body(spec: EntitySpec, body: object) -> Obj:
    """Validate and coerce a request body; read-only properties are dropped, as QBO ignores them."""
    if not isinstance(body, dict):
        raise _faults.FaultError(
            400,
            [
                _faults.ErrorItem(
                    "Request has invalid or unsupported property",
                    f"Property Name:Expected a {spec.name} object specified is unsupported or "
                    "invalid",
                    "2010",
                )
            ],
        )
    out: Obj = {}
    for name, value in body.items():
        kind = spec.fields.get(name)
        if kind is None:
            raise _faults.unsupported_property(name, spec.name, len(spec.fields))
        if value is None or value == "" or name in spec.read_only:
            continue
        out[name] = _coerce(spec, name, kind, value)
    return out
