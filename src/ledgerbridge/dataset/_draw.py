"""Seeded draws: every choice the data set makes comes from one ``random.Random``.

No global random state is touched, so the same seed gives the same records in any process,
and money is drawn in whole cents (``Decimal``, never float).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")


class Draw:
    """Random choices for a data set ending at ``start`` (the most recent day it may hold)."""

    def __init__(self, seed: int, start: date) -> None:
        self.rng = random.Random(seed)
        self.start = start

    def chance(self, probability: float) -> bool:
        """True with ``probability``."""
        return self.rng.random() < probability

    def pick(self, options: Sequence[T]) -> T:
        """One of ``options``, uniformly."""
        return options[self.rng.randrange(len(options))]

    def weighted(self, options: Sequence[T], weights: Sequence[float]) -> T:
        """One of ``options``, in proportion to ``weights``."""
        return self.rng.choices(options, weights=weights)[0]

    def sample(self, options: Sequence[T], count: int) -> list[T]:
        """``count`` distinct options (fewer when there are fewer)."""
        return self.rng.sample(list(options), min(count, len(options)))

    def between(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high`` inclusive."""
        return self.rng.randint(low, high)

    def money(self, low: str | Decimal, high: str | Decimal) -> Decimal:
        """An amount in cents from ``low`` to ``high``."""
        return self.price(low, high)

    def price(self, low: str | Decimal, high: str | Decimal, places: int = 2) -> Decimal:
        """A unit price or cost with ``places`` decimals (more than 2 for small parts)."""
        unit = Decimal(1).scaleb(-places)
        units = self.rng.randint(int(Decimal(low) / unit), int(Decimal(high) / unit))
        return (units * unit).quantize(unit)

    def quantity(self, low: int | str, high: int | str, *, step: str = "1") -> Decimal:
        """A quantity from ``low`` to ``high`` in multiples of ``step`` ("0.25" hours), at
        least one step."""
        unit = Decimal(step)
        steps = self.rng.randint(max(1, int(Decimal(low) / unit)), int(Decimal(high) / unit))
        return (unit * steps).quantize(unit)

    def day(self, days_back: int, *, earliest: int = 0) -> date:
        """A day from ``days_back`` days before ``start`` to ``earliest`` days before it."""
        return self.start - timedelta(days=self.rng.randint(earliest, days_back))

    def after(self, day: date, low: int, high: int) -> date:
        """A day ``low`` to ``high`` days after ``day``, never after ``start``."""
        return min(day + timedelta(days=self.rng.randint(low, high)), self.start)

    def digits(self, count: int) -> str:
        """``count`` random digits, not starting with 0."""
        return str(self.rng.randint(10 ** (count - 1), 10**count - 1))


def ascii_slug(text: str) -> str:
    """``text`` as lowercase ASCII letters and digits ("Müller & Sons" -> "mullersons")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def name_key(name: str) -> str:
    """A name as QBO tells names apart, but stricter: colons, hyphens and white space count
    alike (QBO turns ``":"`` into ``"-"``), case is ignored."""
    return " ".join(re.sub(r"[\s:\-]+", " ", name).split()).casefold()
