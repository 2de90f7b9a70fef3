"""Reading records: one at a time, from NDJSON, their JSON Schema and their content hash.

:func:`parse_ndjson` reads a file of one JSON object per line (``ledgerbridge records
import``). A bad line never stops the others: malformed JSON, an unknown ``type`` and every
validation failure become :class:`RecordError` entries of that line, each naming the field in
a sentence, and every good line is kept ("nothing else in the file is lost", issue 5). JSON
numbers are read as ``Decimal`` (``parse_float=Decimal``), never as floats.

:func:`content_hash` is the SHA-256 of a record's canonical JSON: keys sorted, numbers as
their shortest decimal text (``1.5`` and ``1.50`` are the same amount, so the same hash),
fields left at their defaults omitted (so that adding an optional field to a model later does
not make every stored record look changed). The store compares it with the last hash to mark
a record dirty.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Final

from pydantic import BaseModel, TypeAdapter, ValidationError

from ._records import RECORD_TYPES, AnyRecord, FieldValueError, Record

__all__ = [
    "ImportResult",
    "RecordError",
    "RecordValidationError",
    "content_hash",
    "parse_ndjson",
    "parse_record",
    "record_schema",
]

#: The tags of the line unions, which pydantic puts in an error's location after the index.
_LINE_TAGS: Final = frozenset({"item", "charge", "cost"})
_TYPES_TEXT: Final = ", ".join(RECORD_TYPES)


@dataclass(frozen=True)
class RecordError:
    """Why one record was refused.

    ``line`` is the 1-based line of the NDJSON file (0 when the record did not come from a
    file); ``field`` is the path of the field to fix (``"lines[2].quantity"``), or ``None``
    when the whole line is wrong (not JSON, not an object).
    """

    line: int
    record_type: str | None
    record_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "record"
        if self.record_type or self.record_id:
            where += f" ({self.record_type or '?'} {self.record_id or '?'})"
        return f"{where}: {self.message}"


class RecordValidationError(ValueError):
    """A record was refused; ``errors`` says why, one entry per field."""

    def __init__(self, errors: Sequence[RecordError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(error.message for error in self.errors))


@dataclass(frozen=True)
class ImportResult:
    """What an NDJSON import accepted, in file order, and what it refused."""

    records: tuple[AnyRecord, ...]
    errors: tuple[RecordError, ...]

    @property
    def ok(self) -> bool:
        """True when every line was accepted."""
        return not self.errors

    @property
    def refused_lines(self) -> tuple[int, ...]:
        """The numbers of the lines that were refused, in order."""
        return tuple(sorted({error.line for error in self.errors}))


def parse_record(obj: Mapping[str, Any]) -> AnyRecord:
    """Validate one record (a JSON object already read) and return its model.

    Raises :class:`RecordValidationError` naming every field to fix.
    """
    record_type = obj.get("type") if isinstance(obj, Mapping) else None
    record_id = _id_of(obj)
    label = record_type if isinstance(record_type, str) else None

    def refuse(field: str | None, message: str) -> RecordValidationError:
        return RecordValidationError([RecordError(0, label, record_id, field, message)])

    if not isinstance(obj, Mapping):
        raise refuse(None, "A record must be a JSON object.")
    if record_type is None:
        raise refuse("type", f"type is required: one of {_TYPES_TEXT}.")
    model = RECORD_TYPES.get(record_type) if isinstance(record_type, str) else None
    if model is None:
        raise refuse("type", f"type {record_type!r} is not a record type: one of {_TYPES_TEXT}.")
    try:
        return model.model_validate(dict(obj))
    except ValidationError as error:
        raise RecordValidationError(
            [
                RecordError(0, label, record_id, field, message)
                for field, message in _describe_errors(error, record_type=record_type)
            ]
        ) from None


def parse_ndjson(lines: Iterable[str]) -> ImportResult:
    """Read NDJSON: every good line becomes a record; every bad one, errors of its line.

    Blank lines are skipped. Numbers are read as ``Decimal``; ``NaN`` and ``Infinity`` are
    refused as malformed JSON.
    """
    records: list[AnyRecord] = []
    errors: list[RecordError] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.lstrip("\ufeff") if number == 1 else raw
        if not text.strip():
            continue
        try:
            obj = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
        except ValueError as error:
            errors.append(RecordError(number, None, None, None, _json_problem(number, error)))
            continue
        except RecursionError:
            # json recurses once per level: "[[[[...]]]]" thousands deep would escape as a
            # crash and lose the other lines; no record nests more than a few levels
            message = f"Line {number} nests arrays or objects too deeply to be a record."
            errors.append(RecordError(number, None, None, None, message))
            continue
        if not isinstance(obj, dict):
            errors.append(
                RecordError(
                    number, None, None, None, f"Line {number} must hold a JSON object {{...}}."
                )
            )
            continue
        try:
            records.append(parse_record(obj))
        except RecordValidationError as refused:
            errors.extend(replace(error, line=number) for error in refused.errors)
    return ImportResult(tuple(records), tuple(errors))


def record_schema() -> dict[str, Any]:
    """The JSON Schema of every record type: a union told apart by ``type``."""
    schema = TypeAdapter(Record).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ledgerbridge record",
        "description": "One record a host app hands to ledgerbridge; NDJSON files hold one "
        "per line. Money is in cents; numbers may be given as JSON numbers or numeric strings.",
        **schema,
    }


def content_hash(record: BaseModel) -> str:
    """A stable SHA-256 (hex) of the record's canonical JSON, to tell when it changed."""
    data = record.model_dump(mode="python", exclude_defaults=True)
    data["type"] = getattr(record, "type", type(record).__name__)
    text = json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# -- helpers ----------------------------------------------------------------------------------


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        if value == 0:
            return "0"
        return format(value.normalize(), "f")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def _json_problem(number: int, error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"Line {number} is not valid JSON: {error.msg} at column {error.colno}."
    return f"Line {number} is not valid JSON: {error}."


def _id_of(obj: object) -> str | None:
    if not isinstance(obj, Mapping):
        return None
    value = obj.get("id")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _describe_errors(error: ValidationError, *, record_type: str) -> list[tuple[str | None, str]]:
    """Each pydantic error as ``(field path, sentence)``; the sentence names the field."""
    details = error.errors()
    out: list[tuple[str | None, str]] = []
    for detail in details:
        loc = detail["loc"]
        # A list that is too short only because its entries failed says nothing new.
        if detail["type"] == "too_short" and any(
            other["loc"][: len(loc)] == loc and len(other["loc"]) > len(loc) for other in details
        ):
            continue
        field = _field_path(loc)
        context = detail.get("ctx") or {}
        cause = context.get("error")
        if isinstance(cause, FieldValueError):
            field = f"{field}.{cause.field}" if field else cause.field
            out.append((field, f"{field}: {cause.message}."))
            continue
        if detail["type"] == "union_tag_invalid":
            field = f"{field}.kind" if field else "kind"
        text = _predicate(detail, record_type=record_type)
        if field is None:
            out.append((None, text[0].upper() + text[1:] + "."))
        elif text.startswith(("is ", "must ", "needs ")):
            out.append((field, f"{field} {text}."))
        else:
            out.append((field, f"{field}: {text}."))
    return out


def _field_path(loc: tuple[int | str, ...]) -> str | None:
    parts: list[str] = []
    after_index = False
    for segment in loc:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
            after_index = True
            continue
        if after_index and segment in _LINE_TAGS:
            after_index = False
            continue
        parts.append(f".{segment}" if parts else segment)
        after_index = False
    return "".join(parts) or None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _predicate(detail: Any, *, record_type: str) -> str:
    kind: str = detail["type"]
    context: dict[str, Any] = detail.get("ctx") or {}
    value = detail.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"is not a known field of {record_type} records"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "more"
        return f"must be at most {context['max_length']} characters (got {length})"
    if kind == "greater_than_equal":
        bound = context["ge"]
        if bound == 0:
            return f"must not be negative (got {value})"
        return f"must be at least {bound} (got {value})"
    if kind == "greater_than":
        bound = context["gt"]
        if bound == 0:
            return f"must be more than zero (got {value})"
        return f"must be more than {bound} (got {value})"
    if kind == "less_than_equal":
        return f"must be at most {context['le']} (got {value})"
    if kind == "too_short":
        count = context.get("min_length", 1)
        return f"needs at least {count} {'entry' if count == 1 else 'entries'}"
    if kind == "union_tag_invalid":
        return f"must be one of {context.get('expected_tags')} (got {context.get('tag')!r})"
    if kind == "literal_error":
        return f"must be one of {context.get('expected')} (got {_shown(value)})"
    if kind in ("value_error", "assertion_error"):
        cause = context.get("error")
        return str(cause) if cause is not None else str(detail["msg"])
    if kind.startswith("date") and not kind.startswith("datetime"):
        return f"must be a date such as 2026-03-31 (got {_shown(value)})"
    if kind.startswith("datetime"):
        return f"must be a date and time such as 2026-03-31T09:30:00Z (got {_shown(value)})"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false (got {_shown(value)})"
    if kind == "string_type":
        return f"must be text (got {_shown(value)})"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be an object {{...}} (got {_shown(value)})"
    if kind in ("tuple_type", "list_type", "iterable_type"):
        return f"must be a list [...] (got {_shown(value)})"
    if kind in ("decimal_parsing", "money_cents"):
        return str(detail["msg"])
    message = str(detail["msg"])
    return message[0].lower() + message[1:] + f" (got {_shown(value)})"
