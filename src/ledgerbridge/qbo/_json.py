"""QBO's JSON with money kept exact: ``Decimal`` in, ``Decimal`` out.

Reading uses ``parse_float=Decimal`` (docs/design/qbo-client.md: money is never a float).
Writing cannot use :mod:`json`'s encoder, which has no way to emit a number it did not format
itself (its ``default`` hook may only return other JSON values, and a float would round
``0.1 + 0.2``-style amounts); so this module writes the few JSON types QBO bodies hold by
hand, with each ``Decimal`` as its own digits (``Decimal("1861.07")`` -> ``1861.07``).
Strings go through :func:`json.dumps`, which escapes them correctly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]


def loads(raw: bytes | str) -> Any:
    """JSON with every number that has a fraction or exponent read as a ``Decimal``."""
    return json.loads(raw, parse_float=Decimal)


def dumps(document: object) -> bytes:
    """UTF-8 JSON for a request body; a float is refused (use ``Decimal`` for money)."""
    parts: list[str] = []
    _write(document, parts, "$")
    return "".join(parts).encode()


def _write(value: object, out: list[str], path: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{path}: {value} is not a JSON number")
        out.append(format(value, "f"))
    elif isinstance(value, date):  # datetime too: both as ISO text
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"{path}: object keys must be strings, not {type(key).__name__}")
            if index:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(item, out, f"{path}.{key}")
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, f"{path}[{index}]")
        out.append("]")
    elif isinstance(value, float):
        raise TypeError(f"{path}: {value!r} is a float; QBO amounts must be Decimal")
    else:
        raise TypeError(f"{path}: cannot send a {type(value).__name__} to QBO")
