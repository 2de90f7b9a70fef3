"""QBO's JSON with money kept exact: ``Decimal`` in, ``Decimal`` out.

Reading uses ``parse_float=Decimal`` (docs/design/qbo-client.md: money is never a float).
Writing cannot use :mod:`json`'s encoder, which has no way to emit a number it did not format
itself (its ``default`` hook may only return other JSON values, and a float would round
``0.1 + 0.2``-style amounts); so this module writes the few JSON types QBO bodies hold by
hand, with each ``Decimal`` as its own digits (``Decimal("1861.07")`` -> ``1861.07``).
Strings go through :mod:`json`'s own (C) string encoder, which escapes them as
``json.dumps(..., ensure_ascii=False)`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring  # C-accelerated
from typing import Any

__all__ = ["dumps", "loads"]


def loads(raw: bytes | str) -> Any:
    """JSON with every number that has a fraction or exponent read as a ``Decimal``."""
    return json.loads(raw, parse_float=Decimal)


def dumps(document: object) -> bytes:
    """UTF-8 JSON for a request body; a float is refused (use ``Decimal`` for money)."""
    parts: list[str] = []
    try:
        _write(document, parts.append)
    except (TypeError, ValueError):
        _check(document, "$")  # the same refusal, naming where in the document it is
        raise
    return "".join(parts).encode()


def _write(value: object, out: Callable[[str], None]) -> None:
    """The fast path: no bookkeeping of where it is (a batch body holds thousands of values;
    :func:`_check` finds the place when something is refused)."""
    # exact types first: the common case, and far cheaper than the ABC checks below
    if type(value) is str:
        out(encode_basestring(value))
    elif type(value) is dict:
        _write_object(value, out)
    elif type(value) is Decimal and value.is_finite():
        out(format(value, "f"))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(encode_basestring(value))
    elif isinstance(value, int):
        out(str(int(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        out(format(value, "f"))
    elif isinstance(value, date):  # datetime too: both as ISO text
        out(encode_basestring(value.isoformat()))
    elif isinstance(value, Mapping):
        _write_object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _write(item, out)
        out("]")
    else:
        raise TypeError(f"cannot send a {type(value).__name__} to QBO")


def _write_object(value: Mapping[Any, Any], out: Callable[[str], None]) -> None:
    separator = "{"
    for key, item in value.items():
        if type(key) is not str and not isinstance(key, str):
            raise TypeError("object keys must be strings")
        out(separator + encode_basestring(key) + ":")
        separator = ","
        _write(item, out)
    out("}" if separator == "," else "{}")


def _check(value: object, path: str) -> None:
    """Raise what :func:`_write` refused, with its place (``$.Line[2].Amount``)."""
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{path}: {value} is not a JSON number")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: object keys must be strings, not {type(key).__name__}")
            _check(item, f"{path}.{key}")
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
    elif isinstance(value, float):
        raise TypeError(f"{path}: {value!r} is a float; QBO amounts must be Decimal")
    elif value is not None and not isinstance(value, (str, int, Decimal, date)):
        raise TypeError(f"{path}: cannot send a {type(value).__name__} to QBO")
