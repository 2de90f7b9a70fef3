"""Tenant settings, versioned: every save adds a version, none is ever overwritten.

Versions serve two purposes. The history shows the shop owner (and whoever supports them) who
changed the sync start date or the refund account, and when. And they make saving safe with
two people, or a person and a script, editing at once: a save names the version it was edited
from (``expected_version``), and if another save came first it is refused with
:class:`SettingsConflictError` instead of silently undoing the other person's change
(optimistic concurrency). The check and the insert are one transaction; on PostgreSQL the
primary key ``(tenant_id, version)`` settles two saves that checked at the same moment.

The store keeps the document as JSON and does not look inside: ``ledgerbridge.model`` defines
and validates ``TenantSettings``, and the engine converts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._database import Database
from ._errors import SettingsConflictError, TenantNotFoundError
from ._records import JSONDocument, SettingsVersion, utcnow
from ._tables import SettingsDocument, Tenant

__all__ = ["SettingsStore"]


class SettingsStore:
    """The repository of tenant settings. Every call takes the tenant and filters on it."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        """
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._clock = clock

    def current(self, *, tenant_id: str) -> SettingsVersion | None:
        """The newest version, or ``None`` before the first save."""
        with self._db.session() as session:
            row = session.scalars(
                select(SettingsDocument)
                .where(SettingsDocument.tenant_id == tenant_id)
                .order_by(SettingsDocument.version.desc())
                .limit(1)
            ).one_or_none()
            return None if row is None else _version(row)

    def get(self, *, tenant_id: str, version: int) -> SettingsVersion | None:
        """One version (to show or restore an old one), or ``None``."""
        with self._db.session() as session:
            row = session.get(SettingsDocument, (tenant_id, version))
            return None if row is None else _version(row)

    def history(self, *, tenant_id: str, limit: int | None = None) -> list[SettingsVersion]:
        """The versions, newest first."""
        query = (
            select(SettingsDocument)
            .where(SettingsDocument.tenant_id == tenant_id)
            .order_by(SettingsDocument.version.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self._db.session() as session:
            return [_version(row) for row in session.scalars(query)]

    def save(
        self,
        *,
        tenant_id: str,
        document: JSONDocument,
        expected_version: int | None,
        created_by: str | None = None,
    ) -> SettingsVersion:
        """Save the document as the next version.

        ``expected_version`` is the version the edit started from (``None``: there were no
        settings yet). If the newest version is another one, :class:`SettingsConflictError`
        names both and nothing is saved: reload, reapply, save again. Restoring an old
        version is saving its document. Raises :class:`TenantNotFoundError` for an unknown
        tenant.
        """
        if not isinstance(document, dict):
            raise TypeError(f"settings are a JSON object (dict), not {type(document).__name__}")
        if expected_version is not None and expected_version < 1:
            raise ValueError("expected_version is a saved version (1 or more) or None")
        try:
            with self._db.transaction() as session:
                if session.get(Tenant, tenant_id) is None:
                    raise TenantNotFoundError(f"no tenant {tenant_id!r}")
                current = _newest(session, tenant_id)
                if current != expected_version:
                    raise SettingsConflictError(
                        tenant_id, expected_version=expected_version, current_version=current
                    )
                row = SettingsDocument(
                    tenant_id=tenant_id,
                    version=(current or 0) + 1,
                    document=document,
                    created_at=self._clock(),
                    created_by=created_by,
                )
                session.add(row)
                session.flush()
                saved = _version(row)
        except IntegrityError:
            # PostgreSQL: another save checked at the same moment and inserted this version
            with self._db.session() as session:
                current = _newest(session, tenant_id)
            raise SettingsConflictError(
                tenant_id, expected_version=expected_version, current_version=current
            ) from None
        return saved


def _newest(session: Session, tenant_id: str) -> int | None:
    return session.scalar(
        select(func.max(SettingsDocument.version)).where(SettingsDocument.tenant_id == tenant_id)
    )


def _version(row: SettingsDocument) -> SettingsVersion:
    return SettingsVersion(
        tenant_id=row.tenant_id,
        version=row.version,
        document=row.document,
        created_at=row.created_at,
        created_by=row.created_by,
    )
