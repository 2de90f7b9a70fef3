"""The root of every error ledgerbridge raises on purpose.

Each layer derives its own tree from :class:`LedgerbridgeError` (the QBO client's taxonomy in
``ledgerbridge.qbo``, the store's in ``ledgerbridge.store``), so that an entry point can catch
one class and show a person the sentence it carries instead of a stack trace.
"""

from __future__ import annotations

__all__ = ["LedgerbridgeError"]


class LedgerbridgeError(Exception):
    """Something went wrong that ledgerbridge knows how to describe."""

    #: One sentence for a shop owner: what happened and what to do about it.
    user_message: str = "Something went wrong in ledgerbridge; the log has the details."

    def __init__(self, message: str | None = None, *, user_message: str | None = None) -> None:
        super().__init__(message or user_message or self.user_message)
        if user_message is not None:
            self.user_message = user_message
