"""Tenant settings: versions, optimistic concurrency, history, isolation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    JSONDocument,
    SettingsConflictError,
    SettingsStore,
    SettingsVersion,
    TenantNotFoundError,
)


@pytest.fixture
def settings(store: ConnectionStore, database: Database, clock: Clock) -> SettingsStore:
    """A settings store over the two tenants of ``store``, on the test's clock."""
    return SettingsStore(database, clock=clock)


def document(**changes: object) -> JSONDocument:
    doc: JSONDocument = {
        "enabled_types": ["Customer", "Item", "Invoice", "Payment"],
        "sync_start_date": "2025-01-01",
        "refund_account": None,
        "payment_methods": {"Visa": {"sync": True, "qbo_name": "Credit Card"}},
        "doc_number_templates": {"PurchaseOrder": "PO-{number}"},
    }
    doc.update(changes)
    return doc


def test_no_settings_before_the_first_save(settings: SettingsStore) -> None:
    """A new tenant has no version and no history."""
    assert settings.current(tenant_id=TENANT) is None
    assert settings.history(tenant_id=TENANT) == []
    assert settings.get(tenant_id=TENANT, version=1) is None


def test_the_first_save_is_version_1(settings: SettingsStore, clock: Clock) -> None:
    """Saved from nothing (``expected_version=None``), read back as the current version."""
    saved = settings.save(
        tenant_id=TENANT, document=document(), expected_version=None, created_by="owner@acme"
    )
    assert saved == SettingsVersion(
        tenant_id=TENANT,
        version=1,
        document=document(),
        created_at=clock.now,
        created_by="owner@acme",
    )
    assert settings.current(tenant_id=TENANT) == saved


def test_each_save_adds_a_version_and_keeps_the_old_ones(
    settings: SettingsStore, clock: Clock
) -> None:
    """Versions count up; history is newest first; an old version stays readable."""
    first = settings.save(tenant_id=TENANT, document=document(), expected_version=None)
    clock.advance(timedelta(days=1))
    second = settings.save(
        tenant_id=TENANT,
        document=document(refund_account="Checking"),
        expected_version=1,
        created_by="bookkeeper@acme",
    )
    clock.advance(timedelta(days=1))
    third = settings.save(
        tenant_id=TENANT, document=document(sync_start_date="2025-06-01"), expected_version=2
    )
    assert (second.version, third.version) == (2, 3)
    assert settings.current(tenant_id=TENANT) == third
    assert settings.history(tenant_id=TENANT) == [third, second, first]
    assert settings.history(tenant_id=TENANT, limit=1) == [third]
    assert settings.get(tenant_id=TENANT, version=1) == first
    assert first.document["refund_account"] is None


def test_saving_an_outdated_version_is_a_conflict(settings: SettingsStore) -> None:
    """Two editors start from version 1; the second save names both versions and changes
    nothing."""
    settings.save(tenant_id=TENANT, document=document(), expected_version=None)
    mine = settings.save(
        tenant_id=TENANT, document=document(refund_account="Checking"), expected_version=1
    )
    with pytest.raises(SettingsConflictError, match=r"version 1.*version 2") as caught:
        settings.save(
            tenant_id=TENANT, document=document(refund_account="Savings"), expected_version=1
        )
    assert (caught.value.expected_version, caught.value.current_version) == (1, 2)
    assert "version 1" in caught.value.user_message and "version 2" in caught.value.user_message
    assert settings.current(tenant_id=TENANT) == mine


def test_a_first_save_over_existing_settings_is_a_conflict(settings: SettingsStore) -> None:
    """Two first saves: the second (expected ``None``) finds version 1."""
    settings.save(tenant_id=TENANT, document=document(), expected_version=None)
    with pytest.raises(SettingsConflictError, match=r"no settings.*version 1") as caught:
        settings.save(tenant_id=TENANT, document=document(), expected_version=None)
    assert (caught.value.expected_version, caught.value.current_version) == (None, 1)


def test_a_version_from_the_future_is_a_conflict(settings: SettingsStore) -> None:
    """Expecting a version that does not exist yet is as wrong as an old one."""
    with pytest.raises(SettingsConflictError, match=r"version 4.*no settings"):
        settings.save(tenant_id=TENANT, document=document(), expected_version=4)
    settings.save(tenant_id=TENANT, document=document(), expected_version=None)
    with pytest.raises(SettingsConflictError):
        settings.save(tenant_id=TENANT, document=document(), expected_version=2)
    assert len(settings.history(tenant_id=TENANT)) == 1


def test_of_concurrent_saves_from_one_version_exactly_one_wins(
    settings: SettingsStore,
) -> None:
    """Eight threads save from version 1 at once: one version 2, seven conflicts."""
    settings.save(tenant_id=TENANT, document=document(), expected_version=None)
    start = threading.Barrier(8)
    outcomes: list[object] = []

    def editor(number: int) -> None:
        start.wait()
        try:
            saved = settings.save(
                tenant_id=TENANT,
                document=document(sync_start_date=f"2025-0{number + 1}-01"),
                expected_version=1,
            )
        except SettingsConflictError as exc:
            outcomes.append(exc.current_version)
        else:
            outcomes.append(saved)

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if isinstance(o, SettingsVersion)]
    assert len(winners) == 1 and winners[0].version == 2
    assert sorted(o for o in outcomes if isinstance(o, int)) == [2] * 7
    assert settings.current(tenant_id=TENANT) == winners[0]


def test_bad_input_is_refused(settings: SettingsStore) -> None:
    """A document is a JSON object; an expected version is 1 or more; the tenant exists."""
    with pytest.raises(TypeError, match="JSON object"):
        settings.save(
            tenant_id=TENANT,
            document=[("refund_account", "Checking")],  # type: ignore[arg-type]
            expected_version=None,
        )
    with pytest.raises(ValueError, match="expected_version"):
        settings.save(tenant_id=TENANT, document=document(), expected_version=0)
    with pytest.raises(TenantNotFoundError):
        settings.save(tenant_id="nobody", document=document(), expected_version=None)


def test_tenants_do_not_see_or_change_each_others_settings(settings: SettingsStore) -> None:
    """Globex's versions are its own: it neither reads Acme's nor collides with them."""
    acme = settings.save(tenant_id=TENANT, document=document(), expected_version=None)
    assert settings.current(tenant_id=OTHER_TENANT) is None
    assert settings.history(tenant_id=OTHER_TENANT) == []
    assert settings.get(tenant_id=OTHER_TENANT, version=1) is None
    with pytest.raises(SettingsConflictError):  # version 1 is Acme's, not Globex's
        settings.save(tenant_id=OTHER_TENANT, document={"theirs": True}, expected_version=1)
    globex = settings.save(tenant_id=OTHER_TENANT, document={"theirs": True}, expected_version=None)
    assert globex.version == 1 and globex.document == {"theirs": True}
    assert settings.current(tenant_id=TENANT) == acme
    assert settings.history(tenant_id=TENANT) == [acme]
