"""RetryPolicy: how long to wait after each kind of transient failure."""

from __future__ import annotations

import pytest

from ledgerbridge.qbo import RetryPolicy, ServerError, ThrottledError, TransportError


def test_defaults_follow_intuit() -> None:
    """Six attempts, 60 s after a 429 without Retry-After (section 5), 0.5 s to 30 s back-off."""
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.throttle_wait) == (6, 60.0)
    assert (policy.backoff_base, policy.backoff_cap, policy.jitter) == (0.5, 30.0, True)


def test_throttle_waits_retry_after_else_throttle_wait() -> None:
    policy = RetryPolicy(throttle_wait=42.0)
    assert policy.delay(ThrottledError(retry_after=3.0), failures=1) == 3.0
    assert policy.delay(ThrottledError(), failures=5) == 42.0


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=3.0, jitter=False)
    waits = [policy.delay(ServerError(), failures=n) for n in range(1, 6)]
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.delay(TransportError(), failures=10_000) == 3.0  # no overflow


def test_full_jitter_stays_within_the_ceiling() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=8.0)
    waits = [policy.delay(ServerError(), failures=3) for _ in range(200)]
    assert all(0.0 <= w <= 4.0 for w in waits)
    assert len(set(waits)) > 1


@pytest.mark.parametrize(
    "changes", [{"max_attempts": 0}, {"throttle_wait": -1.0}, {"backoff_cap": -0.1}]
)
def test_nonsense_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"max_attempts|negative"):
        RetryPolicy(**changes)  # type: ignore[arg-type]


def test_policy_is_frozen() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 1  # type: ignore[misc]
