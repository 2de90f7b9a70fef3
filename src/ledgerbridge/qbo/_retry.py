"""How long :class:`QBOClient` waits before sending a failed request again.

Section 5 and section 13.1 of ``shared/QBO-REFERENCE.md``: after a 429 wait what
``Retry-After`` says, else the 60 seconds Intuit's docs ask for; after a 5xx, a timeout or a
dropped connection back off exponentially (here with full jitter, so that many workers
hitting the same outage do not come back in step). What is retried at all is decided by the
error's class (:class:`RetryLaterError`), not here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from ._errors import RetryLaterError, ThrottledError

__all__ = ["DEFAULT_RETRY", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is sent again.

    ``max_attempts`` counts every send of one operation, the first included:
    ``RetryPolicy(max_attempts=1)`` turns retrying off (for tests, as stamina's testing mode
    does). The one extra send after a token refresh on a 401 is outside this budget: it is
    part of authenticating, not a retry of a failure.
    """

    max_attempts: int = 6
    #: seconds to wait after a 429 that names no Retry-After (Intuit: "wait 60 seconds")
    throttle_wait: float = 60.0
    #: the first back-off after a 5xx or transport failure; doubles on each further failure
    backoff_base: float = 0.5
    #: the longest back-off
    backoff_cap: float = 30.0
    #: draw each back-off uniformly from [0, computed] ("full jitter")
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.throttle_wait, self.backoff_base, self.backoff_cap) < 0:
            raise ValueError("waits must not be negative")

    def delay(self, error: RetryLaterError, *, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure of an operation (1 for the first)."""
        if isinstance(error, ThrottledError):
            return error.retry_after if error.retry_after is not None else self.throttle_wait
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** min(max(0, failures - 1), 64))
        return random.uniform(0.0, ceiling) if self.jitter else ceiling


#: The policy of a client built without one (a frozen value, safe to share).
DEFAULT_RETRY: Final = RetryPolicy()
