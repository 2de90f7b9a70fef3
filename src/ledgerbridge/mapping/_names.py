"""Names and free text as QBO accepts them (``QBO-REFERENCE.md`` sections 7.1 to 7.5, 13.2).

:func:`qbo_name` turns an app's name into one QBO accepts, by these rules, in this order:

1. Unicode NFC (a composed "é" is one character, as QBO counts it).
2. A colon becomes a hyphen: a bare one ``"-"`` (``"Acme:West"`` -> ``"Acme-West"``,
   ``"10:30"`` -> ``"10-30"``), one with white space around it ``" - "`` (``"Acme: West"``
   -> ``"Acme - West"``). QBO forbids colons in names because it joins sub-records with
   them (``Parent:Child``). Account names also turn a double quote into a single one (7.5).
3. Tabs, newlines and every other control or line-separator character become a space (QBO
   forbids tab and newline; the others would be invisible).
4. Runs of white space collapse to one space; leading and trailing space is dropped (QBO
   trims, and support reports mismatches caused by trailing spaces, 7.1).
5. The result is cut to the limit of its kind, in characters, and trailing space dropped
   again: DisplayName 500, CompanyName, GivenName, FamilyName, Item and Account Name 100,
   PaymentMethod and Term Name 31.

Quotes, apostrophes, backslashes, ampersands and any other Unicode are kept as they are: QBO
accepts them, and the query builder escapes them in look-ups. Two long names that differ only
past the limit become the same QBO name; the engine's duplicate-name rule handles that as any
other collision.

:func:`normalize_name` is for matching only (never sent): case-folded, white space collapsed,
as the emulator compares names (its documented assumption; QBO's own case rule is unverified,
7.1). The engine compares ``normalize_name(qbo_name(app_name, kind=...))`` with
``normalize_name(strip_deleted_suffix(qbo_record_name))`` so that an inactive QBO record
("Acme (deleted)") is found and reactivated instead of duplicated.

Free text (notes, memos, descriptions) keeps its line breaks; :func:`clip` cuts it to QBO's
limit and ends it with an ellipsis so that a reader sees it was shortened.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

__all__ = ["NAME_LIMITS", "NameKind", "clip", "normalize_name", "qbo_name", "strip_deleted_suffix"]

NameKind = Literal[
    "display_name", "company_name", "person", "item", "account", "payment_method", "term"
]

#: Longest name QBO accepts, per kind (7.2, 7.4, 7.5, 7.6).
NAME_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "display_name": 500,
        "company_name": 100,
        "person": 100,
        "item": 100,
        "account": 100,
        "payment_method": 31,
        "term": 31,
    }
)
_ELLIPSIS: Final = "\u2026"
#: " (deleted)", " (deleted-1)"...: what QBO appends to a name it makes inactive (4.3).
_DELETED: Final = re.compile(r"\s*\(deleted(?:-\d+)?\)\s*$")


_COLON: Final = re.compile(r"\s*:\s*")


def _hyphen(match: re.Match[str]) -> str:
    return "-" if match.group() == ":" else " - "


def _blank_out(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cc" or category in ("Zl", "Zp"):
        return " "
    return char


def qbo_name(name: str, *, kind: NameKind) -> str:
    """``name`` cleaned and shortened to what QBO accepts for ``kind`` (module docstring).

    Raises ``ValueError`` when nothing is left (a name of only spaces or control characters).
    """
    text = _COLON.sub(_hyphen, unicodedata.normalize("NFC", name))
    if kind == "account":
        text = text.replace('"', "'")
    text = " ".join("".join(_blank_out(c) for c in text).split())
    text = text[: NAME_LIMITS[kind]].rstrip()
    if not text:
        raise ValueError(f"the name {name!r} is empty once cleaned for QuickBooks")
    return text


def normalize_name(name: str) -> str:
    """``name`` as names are compared: case-folded, white space collapsed and trimmed."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def strip_deleted_suffix(name: str) -> str:
    """A QBO name without the " (deleted)" suffix QBO gives inactive records (4.3)."""
    return _DELETED.sub("", name)


def clip(text: str, *, limit: int) -> str:
    """Free text cut to ``limit`` characters, ending in an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + _ELLIPSIS
