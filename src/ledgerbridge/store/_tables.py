"""The store's tables, as SQLAlchemy 2 typed declarative models.

Rows never leave the ``store`` package: repositories turn them into frozen dataclasses
(``_records.py``), decrypting tokens on the way out.

Every row carries its tenant, and every repository query that a tenant can reach filters on
it. Datetimes are timezone-aware UTC everywhere: :class:`UTCDateTime` stores them as UTC and
hands them back aware, also on SQLite, whose ``DATETIME`` has no time zone.

The Alembic migrations in ``migrations/versions`` create exactly these tables; a test compares
the two so that they cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ENVIRONMENTS",
    "STATUSES",
    "Base",
    "Connection",
    "OAuthState",
    "Tenant",
    "UTCDateTime",
]

#: the QBO environments a tenant may connect, at most one connection each
ENVIRONMENTS: Final = ("production", "sandbox", "emulator")
#: connected: tokens work; expiring: they work, but Intuit's 5-year cap is near (reconnect
#: soon); disconnected: QuickBooks refused the refresh token or the owner disconnected
STATUSES: Final = ("connected", "disconnected", "expiring")

#: Constraint names are fixed by convention so that the migrations and the models name them
#: the same way on every database (Alembic needs names to alter or drop them later).
NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL keeps the zone (``timestamptz``); SQLite does not, so the value is stored as
    naive UTC and made aware again when read. Naive datetimes are refused on the way in:
    guessing their zone is how token expiries end up an hour off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the store only takes timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every ledgerbridge table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Tenant(Base):
    """One shop of the host app."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Connection(Base):
    """A tenant's QBO connection (a realm) in one environment, with its encrypted tokens."""

    __tablename__ = "connections"
    __table_args__ = (
        UniqueConstraint("tenant_id", "environment"),
        CheckConstraint(_one_of("environment", ENVIRONMENTS), name="environment"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        # webhooks and CDC arrive by realm id
        Index(None, "realm_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    environment: Mapped[str] = mapped_column(String(16))
    realm_id: Mapped[str] = mapped_column(String(32))
    company_name: Mapped[str] = mapped_column(String(255))
    #: Fernet tokens (``_crypto.TokenCipher``), never the clear token
    access_token: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_token: Mapped[bytes] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime]
    hard_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime]
    last_refresh_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OAuthState(Base):
    """An OAuth ``state`` handed to Intuit's consent page, usable once by its tenant."""

    __tablename__ = "oauth_states"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    environment: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
