"""The QuickBooks Online query language: a lark grammar and an evaluator over QBO JSON rows.

The rules follow Intuit's "Data queries" developer documentation
(https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries)
and the recorded traffic summarised in ``shared/QBO-REFERENCE.md`` section 3::

    SELECT * | COUNT(*) | <field>[, <field>...] FROM <Entity>
      [WHERE <property> <op> <value> [AND <property> <op> <value> ...]]
      [ORDERBY <property> [ASC|DESC] [, <property> [ASC|DESC]]]
      [STARTPOSITION <n>] [MAXRESULTS <n>]

* Keywords are case-insensitive; ``ORDER BY`` is accepted beside ``ORDERBY``; the paging clauses
  come in either order; one trailing ``;`` is tolerated.
* Operators are ``=``, ``<``, ``>``, ``<=``, ``>=``, ``IN (v, ...)`` and ``LIKE`` (``%`` is the
  only wildcard). Conditions are joined by ``AND`` only.
* Values are single- (or double-) quoted strings with backslash escapes, unquoted numbers and
  ``true``/``false``. Quoted numbers and booleans work too: a value is converted to the type of the
  stored field when it is compared, not when it is parsed.

``OR``, ``NOT`` and parenthesised grouping are part of the grammar only so that the refusal can
point at the offending token; every refusal is a 4001 ``QueryValidationError`` Fault.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from ledgerbridge.emulator._clock import parse_timestamp
from ledgerbridge.emulator._faults import FaultError, invalid_query

__all__ = [
    "Condition",
    "OrderKey",
    "Query",
    "Value",
    "count_query",
    "matches",
    "parse_query",
    "run_query",
]

Value = str | Decimal | bool

DEFAULT_START_POSITION: Final = 1
DEFAULT_MAX_RESULTS: Final = 100
MAX_RESULTS_LIMIT: Final = 1000

_OPERATORS: Final = frozenset({"=", "!=", "<", ">", "<=", ">=", "IN", "LIKE"})

# Underscored terminals are dropped from the parse tree; the kept ones carry a value or a position
# an error message needs (OR, NOT and LPAR are only ever reported, never evaluated). Keywords are
# word-bounded and outrank IDENT, so "selectId" is not "select Id" and "Notes" is not "NOT es".
_GRAMMAR: Final = r"""
start: query _SEMICOLON?

query: _SELECT projection _FROM IDENT [where] [order] [paging]

// python-quickbooks asks for Items with "SELECT *, Sku": a star may name extra fields.
projection: STAR ("," IDENT)*            -> select_all
          | _COUNT "(" STAR ")"          -> select_count
          | IDENT ("," IDENT)*           -> select_fields

where: _WHERE disjunction

?disjunction: conjunction
            | disjunction OR conjunction -> either
?conjunction: factor
            | conjunction _AND factor    -> both
?factor: comparison
       | NOT factor                      -> negation
       | LPAR disjunction ")"            -> group

comparison: IDENT COMPARATOR value                  -> compare
          | IDENT _IN "(" value ("," value)* ")"    -> within
          | IDENT _LIKE value                       -> like

?value: STRING | DQSTRING | NUMBER | TRUE | FALSE

order: (_ORDERBY | _ORDER _BY) order_key ("," order_key)*
order_key: IDENT [ASC | DESC]

paging: start_position [max_results]
      | max_results [start_position]
start_position: _STARTPOSITION NUMBER
max_results: _MAXRESULTS NUMBER

_SELECT.2: /\bselect\b/i
_COUNT.2: /\bcount\b/i
_FROM.2: /\bfrom\b/i
_WHERE.2: /\bwhere\b/i
_AND.2: /\band\b/i
OR.2: /\bor\b/i
NOT.2: /\bnot\b/i
_IN.2: /\bin\b/i
_LIKE.2: /\blike\b/i
_ORDERBY.2: /\borderby\b/i
_ORDER.2: /\border\b/i
_BY.2: /\bby\b/i
ASC.2: /\basc\b/i
DESC.2: /\bdesc\b/i
_STARTPOSITION.2: /\bstartposition\b/i
_MAXRESULTS.2: /\bmaxresults\b/i
TRUE.2: /\btrue\b/i
FALSE.2: /\bfalse\b/i

STAR: "*"
LPAR: "("
_SEMICOLON: ";"
// Intuit documents = < > <= >= only, but python-quickbooks' own integration tests have sent
// != to live QBO since 2016 (CreditCardPayment, Transfer): the server accepts it.
COMPARATOR: "<=" | ">=" | "!=" | "=" | "<" | ">"
IDENT: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/
NUMBER: /[+-]?(\d+(\.\d*)?|\.\d+)/
STRING: /'([^'\\]|\\.)*'/s
DQSTRING: /"([^"\\]|\\.)*"/s

%import common.WS
%ignore WS
"""

# How the parser's terminal names read in an error message.
_SHOWN_TERMINALS: Final = {
    "$END": "<EOF>",
    "IDENT": "<name>",
    "NUMBER": "<number>",
    "STRING": "<string>",
    "DQSTRING": "<string>",
    "COMPARATOR": '"=", "!=", "<", ">", "<=", ">="',
    "STAR": '"*"',
    "LPAR": '"("',
    "RPAR": '")"',
    "COMMA": '","',
    "SEMICOLON": '";"',
}


# --------------------------------------------------------------------------------------------
# The query model


@dataclass(frozen=True)
class Condition:
    """One ``<property> <op> <value>`` term of the WHERE clause."""

    field: str
    op: str
    value: Value | tuple[Value, ...]

    @functools.cached_property
    def _test(self) -> _Predicate:
        # Compiled once per condition; parsed queries are cached, so repeated texts reuse it.
        return _compile(self)


@dataclass(frozen=True)
class OrderKey:
    """One ORDERBY key."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed and validated query."""

    entity: str
    count: bool
    fields: tuple[str, ...] | None
    conditions: tuple[Condition, ...]
    order_by: tuple[OrderKey, ...]
    start_position: int
    max_results: int

    def filters_on(self, field: str) -> bool:
        """Whether a WHERE condition names ``field`` (case-insensitively)."""
        wanted = field.casefold()
        return any(condition.field.casefold() == wanted for condition in self.conditions)

    @functools.cached_property
    def _projected(self) -> frozenset[str] | None:
        if self.fields is None:
            return None
        return frozenset(name.split(".", 1)[0].casefold() for name in self.fields)


# --------------------------------------------------------------------------------------------
# Parsing


def _fault_at(token: Token, explanation: str) -> FaultError:
    return invalid_query(
        f'Encountered "{token}" at line {token.line}, column {token.column}. {explanation}'
    )


def _unquote(token: Token) -> str:
    # \' is a quote and \\ a backslash; a backslash before any other character stays as
    # written, because SDKs escape only quotes (python-quickbooks sends 'a \ b' for "a \ b").
    body = str(token)[1:-1]
    if "\\" not in body:
        return body
    chars: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        following = body[index + 1] if index + 1 < len(body) else ""
        if char == "\\" and following in ("'", '"', "\\"):
            chars.append(following)
            index += 2
        else:
            chars.append(char)
            index += 1
    return "".join(chars)


def _value(token: Token) -> Value:
    if token.type in ("STRING", "DQSTRING"):
        return _unquote(token)
    if token.type == "NUMBER":
        return Decimal(str(token))
    return token.type == "TRUE"


def _paging_value(token: Token) -> int:
    try:
        number = Decimal(str(token))
    except InvalidOperation:  # pragma: no cover - the NUMBER terminal only matches numerals
        raise _fault_at(token, "Expected an integer.") from None
    if number != number.to_integral_value():
        raise _fault_at(token, "Expected an integer.")
    return int(number)


@v_args(inline=True)
class _Builder(Transformer[Token, Any]):
    """Turns the LALR reductions straight into the query model (no intermediate tree)."""

    def start(self, query: Query) -> Query:
        return query

    def query(
        self,
        projection: tuple[bool, tuple[str, ...] | None],
        entity: Token,
        where: tuple[Condition, ...] | None,
        order: tuple[OrderKey, ...] | None,
        paging: tuple[int, int] | None,
    ) -> Query:
        count, fields = projection
        start_position, max_results = paging or (DEFAULT_START_POSITION, DEFAULT_MAX_RESULTS)
        return Query(
            entity=str(entity),
            count=count,
            fields=fields,
            conditions=where or (),
            order_by=order or (),
            start_position=start_position,
            max_results=max_results,
        )

    def select_all(self, _star: Token, *_extra: Token) -> tuple[bool, None]:
        return False, None

    def select_count(self, _star: Token) -> tuple[bool, None]:
        return True, None

    def select_fields(self, *names: Token) -> tuple[bool, tuple[str, ...]]:
        return False, tuple(str(name) for name in names)

    def where(self, conditions: Condition | tuple[Condition, ...]) -> tuple[Condition, ...]:
        return conditions if isinstance(conditions, tuple) else (conditions,)

    def both(
        self, left: Condition | tuple[Condition, ...], right: Condition
    ) -> tuple[Condition, ...]:
        return (*(left if isinstance(left, tuple) else (left,)), right)

    def either(self, _left: object, keyword: Token, _right: object) -> None:
        raise _fault_at(keyword, "Only AND may join conditions; OR is not supported.")

    def negation(self, keyword: Token, _operand: object) -> None:
        raise _fault_at(keyword, "NOT is not supported.")

    def group(self, parenthesis: Token, _inner: object) -> None:
        raise _fault_at(parenthesis, "Grouping conditions with parentheses is not supported.")

    def compare(self, name: Token, operator: Token, value: Token) -> Condition:
        return Condition(str(name), str(operator), _value(value))

    def within(self, name: Token, *values: Token) -> Condition:
        return Condition(str(name), "IN", tuple(_value(value) for value in values))

    def like(self, name: Token, value: Token) -> Condition:
        return Condition(str(name), "LIKE", _value(value))

    def order(self, *keys: OrderKey) -> tuple[OrderKey, ...]:
        return keys

    def order_key(self, name: Token, direction: Token | None) -> OrderKey:
        return OrderKey(str(name), direction is not None and direction.type == "DESC")

    def paging(self, first: tuple[str, int], second: tuple[str, int] | None) -> tuple[int, int]:
        given = dict([first] if second is None else [first, second])
        return (
            given.get("start", DEFAULT_START_POSITION),
            given.get("max", DEFAULT_MAX_RESULTS),
        )

    def start_position(self, token: Token) -> tuple[str, int]:
        value = _paging_value(token)
        if value < 1:
            raise invalid_query(f"value {value} is too small. Min allowed value is 1")
        return "start", value

    def max_results(self, token: Token) -> tuple[str, int]:
        value = _paging_value(token)
        if value < 1:
            raise invalid_query(f"value {value} is too small. Min allowed value is 1")
        if value > MAX_RESULTS_LIMIT:
            raise invalid_query(
                f"value {value} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
            )
        return "max", value


@functools.cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", transformer=_Builder(), maybe_placeholders=True)


def _position_of_end(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def _shown(names: Iterable[str]) -> str:
    return ", ".join(
        sorted({_SHOWN_TERMINALS.get(name.lstrip("_"), name.lstrip("_")) for name in names})
    )


def _syntax_fault(text: str, error: UnexpectedInput) -> FaultError:
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            shown = "<EOF>"
            line, column = _position_of_end(text)
        else:
            shown = str(token)
            line, column = token.line or 1, token.column or 1
        expected = error.accepts or error.expected
    elif isinstance(error, UnexpectedCharacters):
        shown = text[error.pos_in_stream or 0 :][:1]
        line, column = error.line, error.column
        expected = error.allowed or set()
    else:  # pragma: no cover - LALR raises only the two kinds above
        return invalid_query("Could not parse the query.")
    if len(shown) > 40:
        shown = shown[:40] + "..."
    detail = f'Encountered "{shown}" at line {line}, column {column}.'
    if shown in ("'", '"'):
        # The STRING terminal failed to match from its opening quote to a closing one.
        detail += " The string is not terminated."
    elif expected:
        detail += f" Was expecting one of: {_shown(expected)}."
    return invalid_query(detail)


@functools.lru_cache(maxsize=4096)
def _parse(text: str, entities: frozenset[str]) -> Query:
    try:
        parsed = cast(Query, _parser().parse(text))
    except VisitError as error:
        # lark passes faults raised by inline callbacks through as they are; this branch only
        # guards against a lark version that wraps them.
        if isinstance(error.orig_exc, FaultError):
            raise error.orig_exc from None
        raise invalid_query("Could not parse the query.") from None
    except UnexpectedInput as error:
        raise _syntax_fault(text, error) from None
    except LarkError:
        raise invalid_query("Could not parse the query.") from None
    canonical = {name.casefold(): name for name in entities}.get(parsed.entity.casefold())
    if canonical is None:
        raise invalid_query(f"invalid context declaration: {parsed.entity}")
    return replace(parsed, entity=canonical)


def parse_query(text: str, entities: Collection[str]) -> Query:
    """Parse ``text``, resolving its entity against ``entities`` (case-insensitively).

    Raises the 4001 ``FaultError`` from :func:`invalid_query` on any syntax error, an unknown
    entity, or a STARTPOSITION / MAXRESULTS outside its range.
    """
    known = entities if isinstance(entities, frozenset) else frozenset(entities)
    return _parse(text, known)


# --------------------------------------------------------------------------------------------
# Evaluation

_Predicate = Callable[[Mapping[str, Any], ZoneInfo], bool]

_MISSING: Final = object()

# Reference-like objects compare by one inner property (CustomerRef.value, PrimaryEmailAddr.Address,
# PrimaryPhone.FreeFormNumber), as QBO filters them.
_WRAPPED_KEYS: Final = ("value", "Address", "FreeFormNumber")

_ACCEPTS: Final[dict[str, Callable[[int], bool]]] = {
    "=": lambda order: order == 0,
    "!=": lambda order: order != 0,
    "<": lambda order: order < 0,
    ">": lambda order: order > 0,
    "<=": lambda order: order <= 0,
    ">=": lambda order: order >= 0,
}


# The stored types a row value can be compared as, without unwrapping.
_PLAIN_TYPES: Final = frozenset({str, bool, int, float, Decimal})


def _find(mapping: Mapping[str, Any], name: str) -> Any:
    """``mapping[name]``, falling back to a case-insensitive key match; None when absent."""
    found = mapping.get(name, _MISSING)
    if found is not _MISSING:
        return found
    folded = name.casefold()
    for key, value in mapping.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return None


def _scalar(value: Any) -> Any:
    """The comparable part of a stored value, or None when there is none."""
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, Mapping):
        for key in _WRAPPED_KEYS:
            if key in value:
                return _scalar(value[key])
        return None
    if isinstance(value, str | bool | int | float | Decimal):
        return value
    return None


def _reader(field: str) -> Callable[[Mapping[str, Any]], Any]:
    """A function reading ``field`` (a dotted path) from a row as a comparable scalar or None."""
    path = tuple(field.split("."))
    if len(path) == 1:
        name = path[0]

        def read_top(row: Mapping[str, Any]) -> Any:
            value = _find(row, name)
            # Most row values are plain already; skip the unwrapping call for them.
            return value if type(value) in _PLAIN_TYPES else _scalar(value)

        return read_top

    def read_path(row: Mapping[str, Any]) -> Any:
        current: Any = row
        for segment in path:
            if not isinstance(current, Mapping):
                return None
            current = _find(current, segment)
        return _scalar(current)

    return read_path


def _canonical_int(text: str) -> int | None:
    # Only canonical integers ("0", "42", "-7"), so DocNumber "007" still compares as text.
    digits = text[1:] if text[:1] == "-" else text
    if digits.isdigit() and digits.isascii() and (digits[0] != "0" or len(digits) == 1):
        return int(text)
    return None


def _looks_temporal(text: str) -> bool:
    return (
        len(text) >= 10
        and text[4] == "-"
        and text[7] == "-"
        and text[:4].isdigit()
        and (len(text) == 10 or text[10] == "T")
    )


def _sign(left: Any, right: Any) -> int:
    return -1 if left < right else (1 if left > right else 0)


def _text_of(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Operand:
    """A query value with every typed reading of it prepared once."""

    def __init__(self, value: Value, field: str) -> None:
        self.field = field
        self.raw = value
        self.text = _text_of(value)
        self.folded = self.text.casefold()
        self.integer = None if isinstance(value, bool) else _canonical_int(self.text)
        self.number: Decimal | None = None
        if not isinstance(value, bool):
            try:
                number = Decimal(self.text.strip())
            except InvalidOperation:
                number = None
            if number is not None and number.is_finite():
                self.number = number
        self.boolean: bool | None = (
            value if isinstance(value, bool) else {"true": True, "false": False}.get(self.folded)
        )
        self.temporal = isinstance(value, str) and _looks_temporal(value.strip())
        self._moments: dict[ZoneInfo, datetime | None] = {}

    def moment(self, zone: ZoneInfo) -> datetime | None:
        if zone not in self._moments:
            try:
                self._moments[zone] = parse_timestamp(self.text, zone)
            except ValueError:
                self._moments[zone] = None
        return self._moments[zone]

    def shown(self) -> str:
        return f"'{self.text}'" if isinstance(self.raw, str) else self.text


def _compare_text(stored: str, operand: _Operand, zone: ZoneInfo) -> int:
    if operand.integer is not None:
        integer = _canonical_int(stored)
        if integer is not None:
            return _sign(integer, operand.integer)
    if operand.temporal and _looks_temporal(stored):
        moment = operand.moment(zone)
        if moment is not None:
            try:
                return _sign(parse_timestamp(stored, zone), moment)
            except ValueError:
                pass
    return _sign(stored.casefold(), operand.folded)


def _compare(stored: Any, operand: _Operand, zone: ZoneInfo) -> int | None:
    """-1, 0 or 1 for stored versus query value, in the stored value's type; None if neither."""
    if type(stored) is str:
        return _compare_text(stored, operand, zone)
    if isinstance(stored, bool):
        if operand.boolean is None:
            raise invalid_query(
                f"{operand.shown()} is not a valid boolean value for {operand.field}"
            )
        return _sign(stored, operand.boolean)
    if isinstance(stored, int | float | Decimal):
        if operand.number is None:
            raise invalid_query(f"{operand.shown()} is not a valid number for {operand.field}")
        return _sign(stored, operand.number)
    if isinstance(stored, str):
        return _compare_text(stored, operand, zone)
    return None


class _LikePattern:
    """A LIKE pattern: ``%`` is any run of characters, everything else (``_`` too) literal."""

    def __init__(self, pattern: str) -> None:
        parts = pattern.casefold().split("%")
        self.exact = parts[0] if len(parts) == 1 else None
        self.head = parts[0]
        self.tail = parts[-1] if len(parts) > 1 else ""
        self.middle = tuple(part for part in parts[1:-1] if part)

    def matches(self, text: str) -> bool:
        text = text.casefold()
        if self.exact is not None:
            return text == self.exact
        if len(text) < len(self.head) + len(self.tail):
            return False
        if not (text.startswith(self.head) and text.endswith(self.tail)):
            return False
        position, end = len(self.head), len(text) - len(self.tail)
        for part in self.middle:
            found = text.find(part, position, end)
            if found < 0:
                return False
            position = found + len(part)
        return True


def _compile(condition: Condition) -> _Predicate:
    if condition.op not in _OPERATORS:
        raise invalid_query(f"unsupported operator {condition.op}")
    read = _reader(condition.field)
    values = condition.value if isinstance(condition.value, tuple) else (condition.value,)

    if condition.op == "IN":
        operands = tuple(_Operand(value, condition.field) for value in values)
        # Id lists are the common case: answer plain strings with set look-ups instead of one
        # comparison per listed value. Temporal values keep the general comparison.
        integers = frozenset(op.integer for op in operands if op.integer is not None)
        texts = frozenset(op.folded for op in operands if op.integer is None and not op.temporal)
        all_texts = frozenset(op.folded for op in operands if not op.temporal)
        temporal = tuple(op for op in operands if op.temporal)

        def within(row: Mapping[str, Any], zone: ZoneInfo) -> bool:
            stored = read(row)
            if stored is None:
                return False
            if type(stored) is not str:
                return any(_compare(stored, operand, zone) == 0 for operand in operands)
            integer = _canonical_int(stored) if integers else None
            if integer is not None:
                # A listed integer is compared numerically and never also as text.
                if integer in integers or stored.casefold() in texts:
                    return True
            elif stored.casefold() in all_texts:
                return True
            return any(_compare_text(stored, operand, zone) == 0 for operand in temporal)

        return within

    if len(values) != 1:
        raise invalid_query(f"{condition.op} takes a single value for {condition.field}")

    if condition.op == "LIKE":
        pattern = _LikePattern(_text_of(values[0]))

        def like(row: Mapping[str, Any], zone: ZoneInfo) -> bool:
            stored = read(row)
            return stored is not None and pattern.matches(_text_of(stored))

        return like

    operand = _Operand(values[0], condition.field)
    accepts = _ACCEPTS[condition.op]

    def compare(row: Mapping[str, Any], zone: ZoneInfo) -> bool:
        stored = read(row)
        if stored is None:
            return False
        order = _compare(stored, operand, zone)
        return order is not None and accepts(order)

    return compare


def _conjunction(query: Query) -> _Predicate | None:
    tests = tuple(condition._test for condition in query.conditions)
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]

    def every(row: Mapping[str, Any], zone: ZoneInfo) -> bool:
        return all(test(row, zone) for test in tests)

    return every


def matches(query: Query, row: Mapping[str, Any], zone: ZoneInfo) -> bool:
    """Whether ``row`` satisfies every WHERE condition of ``query``."""
    test = _conjunction(query)
    return test is None or test(row, zone)


def _filtered(
    query: Query, rows: Iterable[Mapping[str, Any]], zone: ZoneInfo
) -> Iterator[Mapping[str, Any]]:
    test = _conjunction(query)
    if test is None:
        return iter(rows)
    return (row for row in rows if test(row, zone))


def _sort_key(value: Any, zone: ZoneInfo) -> tuple[Any, ...]:
    # The leading rank keeps unlike kinds apart (missing first), so Python never compares,
    # say, a datetime with a string.
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float | Decimal):
        return (2, value)
    text = str(value)
    integer = _canonical_int(text)
    if integer is not None:
        return (2, integer)
    if _looks_temporal(text):
        try:
            return (3, parse_timestamp(text, zone))
        except ValueError:
            pass
    return (4, text.casefold())


def _key_function(key: OrderKey, zone: ZoneInfo) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    read = _reader(key.field)

    def sort_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return _sort_key(read(row), zone)

    return sort_key


def _project(row: Mapping[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key.casefold() in wanted}


def run_query(
    query: Query, rows: Iterable[Mapping[str, Any]], zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Filter, sort and page ``rows`` as QBO would, projecting to ``query.fields`` if given.

    Unprojected rows are returned as they are (not copied); projected rows are new dicts holding
    the selected top-level properties.
    """
    selected = _filtered(query, rows, zone)
    first = query.start_position - 1
    if query.order_by:
        ordered = list(selected)
        # Sorting by the last key first, each pass stable, gives the multi-key order with a
        # direction per key; reverse=True keeps ties in their input order.
        for key in reversed(query.order_by):
            ordered.sort(key=_key_function(key, zone), reverse=key.descending)
        page: Iterable[Mapping[str, Any]] = ordered[first : first + query.max_results]
    else:
        page = itertools.islice(selected, first, first + query.max_results)
    wanted = query._projected
    if wanted is None:
        return [row if isinstance(row, dict) else dict(row) for row in page]
    return [_project(row, wanted) for row in page]


def count_query(query: Query, rows: Iterable[Mapping[str, Any]], zone: ZoneInfo) -> int:
    """How many of ``rows`` match ``query`` (STARTPOSITION and MAXRESULTS do not apply)."""
    return sum(1 for _ in _filtered(query, rows, zone))
