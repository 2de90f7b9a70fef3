"""One-time OAuth states: recorded at Connect, consumed once by the callback."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    ConnectionStore,
    InvalidStateError,
    StateReplayError,
    TenantNotFoundError,
)


@pytest.fixture
def nonce(store: ConnectionStore) -> str:
    value = secrets.token_urlsafe(32)
    store.record_state(nonce=value, tenant_id=TENANT, environment="sandbox")
    return value


def test_a_state_is_consumed_once(store: ConnectionStore, nonce: str) -> None:
    """The callback uses the state; the same state again is a replay."""
    store.consume_state(nonce=nonce, tenant_id=TENANT, environment="sandbox")
    with pytest.raises(StateReplayError):
        store.consume_state(nonce=nonce, tenant_id=TENANT, environment="sandbox")


def test_a_state_is_bound_to_its_tenant_and_environment(store: ConnectionStore, nonce: str) -> None:
    """Another tenant (or environment) cannot use it, and doing so does not burn it."""
    with pytest.raises(InvalidStateError) as caught:
        store.consume_state(nonce=nonce, tenant_id=OTHER_TENANT, environment="sandbox")
    assert not isinstance(caught.value, StateReplayError)
    with pytest.raises(InvalidStateError):
        store.consume_state(nonce=nonce, tenant_id=TENANT, environment="production")
    store.consume_state(nonce=nonce, tenant_id=TENANT, environment="sandbox")


def test_an_unknown_state_is_invalid(store: ConnectionStore) -> None:
    """A state nobody recorded (forged, or from another installation) is refused."""
    with pytest.raises(InvalidStateError, match="unknown"):
        store.consume_state(nonce="made-up", tenant_id=TENANT, environment="sandbox")


def test_a_state_expires(store: ConnectionStore, nonce: str, clock: Clock) -> None:
    """A callback after the state lifetime (15 minutes) is refused."""
    clock.advance(timedelta(minutes=16))
    with pytest.raises(InvalidStateError, match="expired"):
        store.consume_state(nonce=nonce, tenant_id=TENANT, environment="sandbox")


def test_a_nonce_is_recorded_once(store: ConnectionStore, nonce: str) -> None:
    """Recording the same nonce twice is refused; so is recording for an unknown tenant."""
    with pytest.raises(StateReplayError):
        store.record_state(nonce=nonce, tenant_id=TENANT, environment="sandbox")
    with pytest.raises(TenantNotFoundError):
        store.record_state(nonce="fresh", tenant_id="nobody", environment="sandbox")


def test_old_states_are_pruned(store: ConnectionStore, nonce: str, clock: Clock) -> None:
    """Pruning deletes states older than asked, and only those."""
    clock.advance(timedelta(hours=2))
    store.record_state(nonce="recent", tenant_id=TENANT, environment="sandbox")
    assert store.prune_states(older_than=timedelta(hours=1)) == 1
    with pytest.raises(InvalidStateError, match="unknown"):
        store.consume_state(nonce=nonce, tenant_id=TENANT, environment="sandbox")
    store.consume_state(nonce="recent", tenant_id=TENANT, environment="sandbox")
