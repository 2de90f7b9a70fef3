"""AccessStore: API keys stored as digests and shown once, rotation and revocation, console
users with scrypt passwords and per-tenant grants; ActivityStore's grouped questions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    AccessStore,
    ActivityStore,
    ApiKeyNotFoundError,
    ConnectionStore,
    Database,
    LinkStore,
    TenantExistsError,
    TenantNotFoundError,
    UserExistsError,
    hash_password,
    verify_password,
)


@pytest.fixture
def access(database: Database, store: ConnectionStore, clock: Clock) -> AccessStore:
    return AccessStore(database, clock=clock)


def test_a_key_is_stored_as_a_digest_and_authenticates(
    access: AccessStore, database: Database
) -> None:
    """The database never holds the key or its secret; the key finds its tenant."""
    issued = access.issue_key(tenant_id=TENANT, name="ci")
    secret = issued.key.rsplit("_", 1)[1]
    with database.engine.connect() as connection:
        dumped = repr(connection.execute(sa.text("SELECT * FROM api_keys")).all())
    assert secret not in dumped and issued.key not in dumped
    assert issued.key not in repr(issued)
    found = access.authenticate(issued.key)
    assert found is not None and (found.tenant_id, found.name) == (TENANT, "ci")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
        lambda key: key.replace("lbk_", "lbx_"),
        lambda key: key + "A",
        lambda key: "",
    ],
)
def test_an_altered_key_does_not_authenticate(
    access: AccessStore, mangle: Callable[[str], str]
) -> None:
    """One character off, another prefix, longer, empty: no key."""
    issued = access.issue_key(tenant_id=TENANT, name="ci")
    assert access.authenticate(mangle(issued.key)) is None


def test_rotation_and_revocation(access: AccessStore, clock: Clock) -> None:
    """Rotating revokes the old key and issues a working one of the same name; a revoked
    key cannot be rotated or revoked again; another tenant's key id is not found."""
    first = access.issue_key(tenant_id=TENANT, name="app")
    second = access.rotate_key(tenant_id=TENANT, key_id=first.record.id)
    assert access.authenticate(first.key) is None
    assert access.authenticate(second.key) is not None and second.record.name == "app"
    with pytest.raises(ApiKeyNotFoundError):
        access.rotate_key(tenant_id=TENANT, key_id=first.record.id)
    with pytest.raises(ApiKeyNotFoundError):
        access.revoke_key(tenant_id=OTHER_TENANT, key_id=second.record.id)
    access.revoke_key(tenant_id=TENANT, key_id=second.record.id)
    assert access.authenticate(second.key) is None
    assert [k.active for k in access.keys(tenant_id=TENANT)] == [False, False]


def test_create_tenant_with_its_first_key_at_once(access: AccessStore) -> None:
    """The tenant and its key in one transaction; a taken id refuses both."""
    tenant, issued = access.create_tenant(tenant_id="initech", name="Initech")
    assert tenant.id == "initech" and access.authenticate(issued.key) is not None
    with pytest.raises(TenantExistsError):
        access.create_tenant(tenant_id="initech", name="Again")
    assert len(access.keys(tenant_id="initech")) == 1
    assert [t.id for t in access.tenants()] == sorted([TENANT, OTHER_TENANT, "initech"])
    assert [t.id for t in access.tenants(after=TENANT, limit=1)] == [OTHER_TENANT]
    assert [t.id for t in access.tenants(among=[OTHER_TENANT])] == [OTHER_TENANT]


def test_passwords_are_scrypt_hashes(access: AccessStore) -> None:
    """A hash names its scheme and cost, verifies only its password, and differs each time."""
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert hash_password("correct horse battery") != stored
    assert not verify_password("anything", "md5$abc")
    with pytest.raises(ValueError, match="12 to 1024"):
        hash_password("short")


def test_console_users_and_their_tenants(access: AccessStore) -> None:
    """A user sees the tenants granted; an admin every tenant; names are unique; an
    unknown name costs a check too and finds nothing."""
    user = access.add_user(username="owner", password="correct horse battery", tenants=[TENANT])
    assert user.may_see(TENANT) and not user.may_see(OTHER_TENANT)
    granted = access.grant(username="owner", tenants=[OTHER_TENANT])
    assert granted.tenants == {TENANT, OTHER_TENANT}
    assert access.verify_user("owner", "correct horse battery") == access.user("owner")
    assert access.verify_user("owner", "wrong horse battery") is None
    assert access.verify_user("nobody", "correct horse battery") is None
    admin = access.add_user(username="boss", password="correct horse battery", admin=True)
    assert admin.may_see("any-tenant")
    with pytest.raises(UserExistsError):
        access.add_user(username="owner", password="another long password")
    with pytest.raises(TenantNotFoundError):
        access.add_user(username="clerk", password="another long password", tenants=["nope"])
    assert access.user("clerk") is None
    with pytest.raises(ValueError, match="user name"):
        access.add_user(username=" spaced", password="another long password")
    access.set_password(username="owner", password="a brand new password")
    assert access.verify_user("owner", "a brand new password") is not None
    access.remove_user(username="owner")
    assert [u.username for u in access.users()] == ["boss"]


def test_failures_group_by_code_then_by_message(database: Database, store: ConnectionStore) -> None:
    """Failed links group by QBO code; without a code by message; ok links are not there;
    another tenant's failures never join."""
    links = LinkStore(database)
    for app_id in ("c1", "c2"):
        links.record_failure(
            tenant_id=TENANT,
            record_type="customer",
            app_id=app_id,
            message="Closed",
            error_code="6210",
        )
    links.record_failure(
        tenant_id=TENANT, record_type="invoice", app_id="i1", message="No customer"
    )
    links.record_failure(
        tenant_id=OTHER_TENANT,
        record_type="customer",
        app_id="c9",
        message="Closed",
        error_code="6210",
    )
    links.record_failure(
        tenant_id=TENANT, record_type="item", app_id="x", message="Excluded", result="skipped"
    )
    activity = ActivityStore(database)
    groups = activity.failure_groups(tenant_id=TENANT)
    assert [(g.error_code, g.message, g.count) for g in groups] == [
        ("6210", "Closed", 2),
        (None, "No customer", 1),
    ]
    assert {r.app_id for r in groups[0].records} == {"c1", "c2"}
    assert sorted(activity.failed_keys(tenant_id=TENANT, error_code="6210")) == [
        ("customer", "c1"),
        ("customer", "c2"),
    ]
    assert activity.failed_keys(tenant_id=TENANT, message="No customer") == [("invoice", "i1")]
    assert len(activity.failed_keys(tenant_id=TENANT)) == 3


def test_state_owner_names_the_tenant_of_a_recorded_state(
    access: AccessStore, store: ConnectionStore
) -> None:
    """The OAuth callback learns the tenant from the state's nonce; an unknown one is None."""
    store.record_state(nonce="n" * 22, tenant_id=OTHER_TENANT, environment="emulator")
    assert access.state_owner("n" * 22) == OTHER_TENANT
    assert access.state_owner("unknown") is None
