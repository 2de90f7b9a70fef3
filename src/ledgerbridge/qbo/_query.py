"""A builder for QBO's query language, so that no caller pastes values into SQL text.

QBO's language (``shared/QBO-REFERENCE.md`` section 3.1) is one entity per query, conditions
joined by ``AND`` only (no ``OR``, no parentheses), the operators ``=``, ``<``, ``>``, ``<=``,
``>=``, ``IN`` and ``LIKE`` (``%`` wildcard only), ``ORDERBY``, and paging with
``STARTPOSITION`` (1-based) and ``MAXRESULTS`` (at most 1000). Strings are single-quoted with
a backslash before a quote (``'Amy\\'s Bird Sanctuary'``, recorded in section 3.1); a
backslash is doubled so that a name ending in one cannot swallow the closing quote.

Field and entity names are checked against a strict pattern and values are always rendered
by this module: a name such as ``x' OR '1'='1`` stays a string value and cannot become SQL.

>>> select("Customer").where_eq(DisplayName="O'Brien").to_sql()
"SELECT * FROM Customer WHERE DisplayName = 'O\\\\'Brien' STARTPOSITION 1 MAXRESULTS 1000"
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal, TypeAlias

__all__ = ["MAX_RESULTS", "Condition", "Operator", "Query", "QueryValue", "Scalar", "select"]

#: The most rows one query may return (section 3.1).
MAX_RESULTS: Final = 1000

Operator: TypeAlias = Literal["=", "<", ">", "<=", ">=", "IN", "LIKE"]
Scalar: TypeAlias = str | int | Decimal | bool | date | datetime
QueryValue: TypeAlias = Scalar | Collection[Scalar]

_OPERATORS: Final[frozenset[str]] = frozenset({"=", "<", ">", "<=", ">=", "IN", "LIKE"})
_IDENTIFIER: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")


def _identifier(name: str, what: str) -> str:
    if not isinstance(name, str) or _IDENTIFIER.fullmatch(name) is None:
        raise ValueError(f"{what} {name!r} is not a QBO name (letters, digits, '_' and '.')")
    return name


def quote(text: str) -> str:
    """A QBO string literal: ``\\`` becomes ``\\\\`` and ``'`` becomes ``\\'``."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render(value: Scalar) -> str:
    """One value as QBO's query language writes it.

    Numbers and booleans go bare (``TotalAmt > 300.00``, ``Active = false``), strings, dates
    and date-times quoted (``TxnDate >= '2024-01-01'``, section 3.1). Money is ``Decimal``:
    a float is refused rather than rounded. A date-time must carry its offset, because QBO
    would otherwise read it in the company's time zone.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number QBO can compare")
        return format(value, "f")
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value!r} has no time zone; QBO would read it in company time")
        return quote(value.isoformat())
    if isinstance(value, date):
        return quote(value.isoformat())
    raise TypeError(
        f"cannot use a {type(value).__name__} in a QBO query (money is Decimal, never float)"
    )


@dataclass(frozen=True)
class Condition:
    """``field op value``, checked when made: a bad name or value never reaches the text."""

    field: str
    op: Operator
    value: QueryValue
    sql: str = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _identifier(self.field, "field")
        operator = self.op.upper() if isinstance(self.op, str) else self.op
        if operator not in _OPERATORS:
            raise ValueError(f"operator {self.op!r} is not one of QBO's: {sorted(_OPERATORS)}")
        value = self.value
        if operator == "IN":
            if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
                raise TypeError("IN needs a list of values")
            if not value:
                raise ValueError("IN needs at least one value")
            value = tuple(value)
            rendered = "(" + ", ".join(render(item) for item in value) + ")"
        elif operator == "LIKE":
            if not isinstance(value, str):
                raise TypeError("LIKE needs a string pattern ('%' is the only wildcard)")
            rendered = quote(value)
        else:
            if isinstance(value, Collection) and not isinstance(value, str):
                raise TypeError(f"{operator} needs a single value; use IN for a list")
            rendered = render(value)
        object.__setattr__(self, "op", operator)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "sql", f"{self.field} {operator} {rendered}")


@dataclass(frozen=True)
class Query:
    """A ``SELECT`` on one entity; every method returns a new query (the object is frozen)."""

    entity: str
    conditions: tuple[Condition, ...] = ()
    #: (field, descending) pairs, first key first
    ordering: tuple[tuple[str, bool], ...] = ()
    counting: bool = False

    def __post_init__(self) -> None:
        _identifier(self.entity, "entity")
        for condition in self.conditions:
            if not isinstance(condition, Condition):
                raise TypeError("conditions must be Condition objects")
        for name, _ in self.ordering:
            _identifier(name, "field")

    def where(self, field: str, op: Operator, value: QueryValue) -> Query:
        """This query with one more condition, joined with ``AND`` (QBO has no ``OR``)."""
        return replace(self, conditions=(*self.conditions, Condition(field, op, value)))

    def where_eq(self, **fields: Scalar) -> Query:
        """``field = value`` for each keyword (``where_eq(DisplayName="Acme", Active=True)``)."""
        query = self
        for field, value in fields.items():
            query = query.where(field, "=", value)
        return query

    def order_by(self, field: str, *, descending: bool = False) -> Query:
        """This query sorted by one more field (after any given before)."""
        _identifier(field, "field")
        return replace(self, ordering=(*self.ordering, (field, descending)))

    def count(self) -> Query:
        """This query as ``SELECT COUNT(*)``: QBO answers ``totalCount`` (section 1.7)."""
        return replace(self, counting=True)

    def to_sql(self, *, start_position: int = 1, max_results: int = MAX_RESULTS) -> str:
        """The query text for one page (a count has no page and no ordering)."""
        columns = "COUNT(*)" if self.counting else "*"
        parts = [f"SELECT {columns} FROM {self.entity}"]
        if self.conditions:
            parts.append("WHERE " + " AND ".join(c.sql for c in self.conditions))
        if self.counting:
            return " ".join(parts)
        if start_position < 1:
            raise ValueError("start_position is 1-based (QBO refuses 0 with 4001)")
        if not 1 <= max_results <= MAX_RESULTS:
            raise ValueError(f"max_results must be between 1 and {MAX_RESULTS}")
        if self.ordering:
            keys = (f"{name} {'DESC' if desc else 'ASC'}" for name, desc in self.ordering)
            parts.append("ORDERBY " + ", ".join(keys))
        parts.append(f"STARTPOSITION {start_position} MAXRESULTS {max_results}")
        return " ".join(parts)

    def __str__(self) -> str:
        return self.to_sql()


def select(entity: str) -> Query:
    """``SELECT * FROM entity``, to narrow with :meth:`Query.where`."""
    return Query(entity)
