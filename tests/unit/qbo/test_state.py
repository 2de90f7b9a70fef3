"""OAuth state bound to the console session (QBO-REFERENCE.md section 10.2, CSRF)."""

from __future__ import annotations

import base64

import pytest

from ledgerbridge.qbo._state import InvalidStateError, issue_state, verify_state

SECRET = b"0123456789abcdef0123456789abcdef"
SESSION = "session-4f2a"
NOW = 1_700_000_000.0


def test_round_trip_returns_the_nonce() -> None:
    """A fresh state verifies for its binding and yields its nonce."""
    state = issue_state(SESSION, secret=SECRET, now=NOW)
    nonce = verify_state(state, SESSION, secret=SECRET, now=NOW + 599)
    assert state.startswith(f"{nonce}.")
    assert nonce


def test_states_are_url_safe_and_unique() -> None:
    """Each state has its own nonce and needs no escaping in a URL."""
    states = {issue_state(SESSION, secret=SECRET, now=NOW) for _ in range(20)}
    assert len(states) == 20
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert all(set(state) <= allowed for state in states)


def test_tampered_state_is_forged() -> None:
    """Changing the expiry (to extend it) breaks the signature."""
    nonce, expires, signature = issue_state(SESSION, secret=SECRET, now=NOW).split(".")
    tampered = f"{nonce}.{int(expires) + 3600}.{signature}"
    with pytest.raises(InvalidStateError, match="signature") as info:
        verify_state(tampered, SESSION, secret=SECRET, now=NOW)
    assert info.value.reason == "forged"


def test_state_of_another_session_is_forged() -> None:
    """A state issued to one session is refused for another."""
    state = issue_state("attacker-session", secret=SECRET, now=NOW)
    with pytest.raises(InvalidStateError, match="not issued for this session") as info:
        verify_state(state, SESSION, secret=SECRET, now=NOW)
    assert info.value.reason == "forged"


def test_state_signed_with_another_secret_is_forged() -> None:
    """Only the server's secret makes valid states."""
    state = issue_state(SESSION, secret=b"another secret of 32 bytes......", now=NOW)
    with pytest.raises(InvalidStateError) as info:
        verify_state(state, SESSION, secret=SECRET, now=NOW)
    assert info.value.reason == "forged"


def test_expired_state_is_refused() -> None:
    """Past its ttl a genuine state is refused as expired, not as forged."""
    state = issue_state(SESSION, secret=SECRET, ttl=60, now=NOW)
    with pytest.raises(InvalidStateError, match="expired 5 seconds ago") as info:
        verify_state(state, SESSION, secret=SECRET, now=NOW + 65)
    assert info.value.reason == "expired"


def test_default_clock_is_wall_time() -> None:
    """Without ``now`` both sides use the current time."""
    assert verify_state(issue_state(SESSION, secret=SECRET), SESSION, secret=SECRET)


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ("", "empty"),
        ("abc", "1 dot-separated parts"),
        ("a.b.c.d", "4 dot-separated parts"),
        ("n!nce.1700000600.c2ln", "nonce"),
        ("nonce.soon.c2ln", "expiry"),
        ("nonce.1700000600.s+g", "signature is not url-safe"),
        ("nonce.1700000600.c2ln", "wrong length"),
        ("x" * 300, "longer than"),
    ],
)
def test_malformed_states_say_what_is_wrong(state: str, why: str) -> None:
    """Garbage is refused as malformed, with the part that is wrong."""
    with pytest.raises(InvalidStateError, match=why) as info:
        verify_state(state, SESSION, secret=SECRET, now=NOW)
    assert info.value.reason == "malformed"


def test_signature_of_the_right_length_but_other_bytes_is_forged() -> None:
    """A well-formed state with a made-up signature is forged, not malformed."""
    nonce, expires, _ = issue_state(SESSION, secret=SECRET, now=NOW).split(".")
    fake = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    with pytest.raises(InvalidStateError) as info:
        verify_state(f"{nonce}.{expires}.{fake}", SESSION, secret=SECRET, now=NOW)
    assert info.value.reason == "forged"


def test_short_secret_and_bad_ttl_are_programming_errors() -> None:
    """A weak secret or a non-positive ttl is refused outright."""
    with pytest.raises(ValueError, match="at least 16 bytes"):
        issue_state(SESSION, secret=b"short")
    with pytest.raises(ValueError, match="ttl"):
        issue_state(SESSION, secret=SECRET, ttl=0)
