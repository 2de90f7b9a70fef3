"""The connection repository: tenants, save/get/upsert, isolation, disconnect, expiring()."""

from __future__ import annotations

from datetime import timedelta

import pytest
from storekit import OTHER_TENANT, TENANT, Clock, make_grant

from ledgerbridge.store import (
    ConnectionNotFoundError,
    ConnectionRecord,
    ConnectionStore,
    Database,
    TenantExistsError,
    TenantNotFoundError,
    TokenCipher,
)

REALM = "9130357766291734"


def connect(
    store: ConnectionStore, clock: Clock, tag: str = "first", *, tenant_id: str = TENANT
) -> ConnectionRecord:
    return store.save_connection(
        tenant_id=tenant_id,
        environment="sandbox",
        realm_id=REALM,
        company_name="Acme Machine Shop",
        grant=make_grant(tag, now=clock.now),
    )


# -- tenants ------------------------------------------------------------------------------------
def test_tenants_are_created_once(store: ConnectionStore) -> None:
    """A tenant id is taken once; the tenant reads back."""
    tenant = store.get_tenant(TENANT)
    assert tenant is not None and tenant.name == "Acme Machine Shop"
    with pytest.raises(TenantExistsError):
        store.create_tenant(tenant_id=TENANT, name="Acme again")
    assert store.get_tenant("nobody") is None


def test_a_connection_needs_a_known_tenant(store: ConnectionStore, clock: Clock) -> None:
    """Saving for an unknown tenant fails clearly (the foreign key would, too)."""
    with pytest.raises(TenantNotFoundError):
        connect(store, clock, tenant_id="nobody")


def test_an_unknown_environment_is_refused(store: ConnectionStore, clock: Clock) -> None:
    """Only production, sandbox and emulator exist."""
    with pytest.raises(ValueError, match="environment"):
        store.save_connection(
            tenant_id=TENANT,
            environment="staging",  # type: ignore[arg-type]
            realm_id=REALM,
            company_name="Acme",
            grant=make_grant("x", now=clock.now),
        )


# -- save / get ---------------------------------------------------------------------------------
def test_save_then_get(store: ConnectionStore, clock: Clock) -> None:
    """What is saved reads back, tokens decrypted, by tenant and environment or by id."""
    saved = connect(store, clock)
    assert saved.status == "connected" and saved.status_reason is None
    assert saved.access_token == "access-first-Zq8vT3"
    assert saved.access_expires_at == clock.now + timedelta(hours=1)
    assert saved.connected_at == clock.now and saved.last_refresh_at is None
    assert store.get(tenant_id=TENANT, environment="sandbox") == saved
    assert store.by_id(saved.id) == saved
    assert store.get(tenant_id=TENANT, environment="production") is None
    assert store.by_id("no-such-id") is None


def test_record_repr_hides_tokens(store: ConnectionStore, clock: Clock) -> None:
    """Records and grants get logged; their tokens must not."""
    saved = connect(store, clock)
    for text in (repr(saved), repr(saved.grant)):
        assert "Zq8vT3" not in text and "Lp4nW7" not in text
    assert REALM in repr(saved)


def test_reconnect_replaces_tokens_and_keeps_the_id(store: ConnectionStore, clock: Clock) -> None:
    """A second save for (tenant, environment) is an update: same id, new tokens, connected."""
    first = connect(store, clock)
    store.disconnect(first.id, reason="The owner disconnected QuickBooks")
    clock.advance(timedelta(days=3))
    second = connect(store, clock, "second")
    assert second.id == first.id
    assert second.access_token == "access-second-Zq8vT3"
    assert second.refresh_token == "refresh-second-Lp4nW7"
    assert second.status == "connected" and second.status_reason is None
    assert second.connected_at == clock.now
    assert store.by_id(first.id) == second


def test_one_connection_per_environment(store: ConnectionStore, clock: Clock) -> None:
    """Sandbox and production are separate connections of one tenant."""
    sandbox = connect(store, clock)
    production = store.save_connection(
        tenant_id=TENANT,
        environment="production",
        realm_id="123146",
        company_name="Acme (live)",
        grant=make_grant("live", now=clock.now),
    )
    assert production.id != sandbox.id
    assert store.get(tenant_id=TENANT, environment="sandbox") == sandbox


def test_tenants_do_not_see_each_other(store: ConnectionStore, clock: Clock) -> None:
    """Acme's connection is invisible through Globex's calls, and saving Globex's leaves
    Acme's alone."""
    acme = connect(store, clock, "acme")
    assert store.get(tenant_id=OTHER_TENANT, environment="sandbox") is None
    globex = connect(store, clock, "globex", tenant_id=OTHER_TENANT)
    assert globex.id != acme.id
    assert store.get(tenant_id=TENANT, environment="sandbox") == acme
    assert store.get(tenant_id=OTHER_TENANT, environment="sandbox") == globex


# -- disconnect ---------------------------------------------------------------------------------
def test_disconnect_keeps_the_row_with_its_reason(store: ConnectionStore, clock: Clock) -> None:
    """Disconnected, with the reason for the console; tokens and identity stay."""
    saved = connect(store, clock)
    gone = store.disconnect(saved.id, reason="Revoked in QuickBooks")
    assert gone.status == "disconnected" and gone.status_reason == "Revoked in QuickBooks"
    assert gone.refresh_token == saved.refresh_token
    assert store.by_id(saved.id) == gone
    with pytest.raises(ConnectionNotFoundError):
        store.disconnect("no-such-id", reason="x")


# -- expiring -----------------------------------------------------------------------------------
def test_expiring_finds_access_and_refresh_tokens_near_their_end(
    store: ConnectionStore, clock: Clock
) -> None:
    """The keep-fresh job's list: live connections with a token ending within the window."""
    fresh = connect(store, clock, "fresh")
    assert store.expiring(within=timedelta(minutes=10)) == []
    assert store.expiring(within=timedelta(hours=2)) == [fresh]
    clock.advance(timedelta(minutes=55))
    assert store.expiring(within=timedelta(minutes=10)) == [fresh]
    # a refresh token near its 100 days, with a new access token
    later = store.save_connection(
        tenant_id=OTHER_TENANT,
        environment="sandbox",
        realm_id="42",
        company_name="Globex",
        grant=make_grant("old", now=clock.now, refresh_ttl=timedelta(days=2)),
    )
    assert store.expiring(within=timedelta(days=3)) == [fresh, later]
    store.disconnect(fresh.id, reason="gone")
    assert [c.id for c in store.expiring(within=timedelta(days=3))] == [later.id]


def test_the_five_year_cap_turns_a_connection_expiring(
    store: ConnectionStore, clock: Clock
) -> None:
    """Near Intuit's hard expiry only a reconnect helps: status expiring, reason with the date."""
    near = store.save_connection(
        tenant_id=TENANT,
        environment="sandbox",
        realm_id=REALM,
        company_name="Acme",
        grant=make_grant("capped", now=clock.now, hard_ttl=timedelta(days=10)),
    )
    assert near.status == "expiring"
    assert near.status_reason is not None and "reconnect" in near.status_reason
    assert store.expiring(within=timedelta(days=11)) == [near]


# -- key rotation -------------------------------------------------------------------------------
def test_reencrypt_moves_every_row_to_the_newest_key(
    store: ConnectionStore, database: Database, key: str, clock: Clock
) -> None:
    """After re-encryption under [new, old], a store with only the new key reads everything."""
    saved = connect(store, clock)
    new_key = TokenCipher.generate_key()
    rotating = ConnectionStore(database, TokenCipher([new_key, key]), clock=clock)
    assert rotating.reencrypt_tokens() == 1
    only_new = ConnectionStore(database, TokenCipher(new_key), clock=clock)
    assert only_new.by_id(saved.id) == saved
