"""Money, quantities and prices as ``Decimal``, and QBO's rounding rule.

Money is never a float (STYLE.md). A host app's JSON numbers arrive as floats when the JSON is
read with plain ``json.loads``; :func:`parse_ndjson` reads them with ``parse_float=Decimal``,
and every numeric field also accepts an ``int``, a ``Decimal``, a numeric string (``"12.50"``)
or a float, which is converted through its shortest text (``Decimal(str(0.1))`` is
``Decimal("0.1")``, not ``0.1000000000000000055511151231257827``). Booleans, ``NaN`` and
infinities are refused.

Amounts of money carry at most two decimal places (cents); a sub-cent amount is refused rather
than rounded, because silent rounding is what makes QBO totals drift. Quantities and unit
prices may carry more places: QBO rounds each line's ``Qty x UnitPrice`` half-up to the cent
(``QBO-REFERENCE.md`` section 8.1 and 8.4, error 6070), and :func:`round_money` is that rule.
Every number is below :data:`LARGEST` (a trillion) either side of zero, so that rounding
never leaves Decimal's precision.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Final

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

__all__ = [
    "CENT",
    "Money",
    "NonNegativeMoney",
    "Percent",
    "PositiveMoney",
    "Quantity",
    "SignedQuantity",
    "UnitPrice",
    "round_money",
    "to_decimal",
]

CENT: Final = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """``value`` rounded half-up to cents: QBO's rule for a line's ``Qty x UnitPrice`` (8.4)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: object) -> Decimal:
    """A number as a ``Decimal``: ints, Decimals, numeric strings, and floats via ``str``.

    Raises ``ValueError`` for anything else (booleans, text, ``NaN``, infinities).
    """
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # str() gives the shortest text that reads back as the same float: 0.1 -> "0.1".
        result = Decimal(str(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"must be a number, such as 12.50 (got {value!r})") from None
    else:
        raise ValueError(f"must be a number, such as 12.50 (got {type(value).__name__})")
    if not result.is_finite():
        raise ValueError("must be a finite number")
    return result


#: every number a record holds is below this: a trillion is no price, quantity or amount
#: of a shop's document, and the bound keeps quantity x price (under 10^24) and its rounding
#: to the cent within Decimal's 28 digits, where ``1e999999`` would make rounding fail
LARGEST: Final = Decimal(10) ** 12


def _number(value: object) -> Decimal:
    try:
        result = to_decimal(value)
    except ValueError as error:
        raise PydanticCustomError("decimal_parsing", str(error)) from None
    if abs(result) >= LARGEST:
        raise PydanticCustomError(
            "decimal_too_large", "must be less than a trillion (10^12), either side of zero"
        )
    return result


def _cents(value: Decimal) -> Decimal:
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise PydanticCustomError(
            "money_cents",
            "must be an amount in cents, with at most two decimal places (got {value})",
            {"value": str(value)},
        )
    return value.quantize(CENT)


_AsDecimal = BeforeValidator(_number)

#: An amount of money, in cents, of either sign (an adjustment line may be negative).
Money = Annotated[Decimal, _AsDecimal, AfterValidator(_cents)]
#: An amount of money, in cents, zero or more.
NonNegativeMoney = Annotated[Decimal, Field(ge=0), _AsDecimal, AfterValidator(_cents)]
#: An amount of money, in cents, more than zero.
PositiveMoney = Annotated[Decimal, Field(gt=0), _AsDecimal, AfterValidator(_cents)]
#: A quantity: decimals allowed (3.5 hours, 0.125 kg), zero or more.
Quantity = Annotated[Decimal, Field(ge=0), _AsDecimal]
#: A quantity on hand: decimals allowed, and negative when stock was oversold.
SignedQuantity = Annotated[Decimal, _AsDecimal]
#: A unit price or cost: decimals beyond the cent allowed, zero or more.
UnitPrice = Annotated[Decimal, Field(ge=0), _AsDecimal]
#: A percentage from 0 to 100.
Percent = Annotated[Decimal, Field(ge=0, le=100), _AsDecimal]
