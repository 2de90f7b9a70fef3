"""Time as a QBO company sees it: company-local timestamps with an offset.

QBO writes ``MetaData`` times as ``2020-09-29T05:58:07-07:00`` and the envelope ``time`` with
milliseconds (``2020-09-29T05:58:07.300-07:00``); sandbox companies live in US Pacific time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["Clock", "format_time", "format_timestamp", "parse_timestamp"]

COMPANY_TZ = "America/Los_Angeles"


class Clock:
    """Wall-clock time in the company's zone, optionally shifted (tests) or replaced."""

    def __init__(self, tz: str = COMPANY_TZ, *, source: Callable[[], float] = time.time) -> None:
        self.zone = ZoneInfo(tz)
        self._source = source
        self._offset = 0.0

    def timestamp(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        return self._source() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), self.zone)

    def today(self) -> date:
        return self.now().date()

    def advance(self, seconds: float) -> None:
        """Move the emulator's time forward (token expiry and look-back tests)."""
        self._offset += seconds


def format_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS±HH:MM``, the MetaData format."""
    return moment.isoformat(timespec="seconds")


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmm±HH:MM``, the envelope ``time`` format."""
    return moment.isoformat(timespec="milliseconds")


def parse_timestamp(text: str, zone: ZoneInfo) -> datetime:
    """Parse a date or date-time as QBO accepts them in queries and CDC.

    ``2015-03-01`` (midnight, company time), ``2015-03-01T12:00:00-08:00``,
    ``2015-03-01T12:00:00Z`` and ``2015-03-01T12:00:00`` (company time) are all accepted.
    Raises ``ValueError`` on anything else.
    """
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=zone)
    # Accept an offset without a colon (``-0700``), as webhook payloads write it.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment
