"""Who may use ledgerbridge: the tenants' API keys and the console's users.

API keys
========

A host app calls the REST API with ``Authorization: Bearer lbk_<id>_<secret>``. The ``id``
(16 hex characters) finds the key's row; the ``secret`` (32 random bytes, url-safe base64) is
never stored: the row holds HMAC-SHA256(salt, secret) with a salt of its own, and the check is
a constant-time comparison. A key is shown once, when it is issued (:class:`IssuedKey`); lose
it and rotate. A key of 256 random bits needs no slow hash: nobody can guess it, and a fast
digest keeps every API request cheap (a password is another matter, below).

Rotating a key issues its successor and revokes it in one transaction; revoked keys stay
listed (who had access, until when) but never authenticate again.

Console users
=============

People log in to the console with a user name and a password, stored as
``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (``hashlib.scrypt``, RFC 7914; n = 2^14, r = 8, p = 1,
about 16 MiB and tens of milliseconds per check, so that a stolen table costs its thief that
much per guess). A user sees the tenants granted to them, or all of them as an admin. Logging
in with an unknown name costs as much as with a wrong password, so that timing does not tell
which names exist.

Tenants are created here too (:meth:`AccessStore.create_tenant`): the tenant and its first API
key in one transaction, so that no tenant exists that nobody can reach.
"""

from __future__ import annotations

import base64
import builtins
import functools
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import Boolean, ForeignKey, PrimaryKeyConstraint, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ._database import Database
from ._errors import StoreError, TenantExistsError, TenantNotFoundError
from ._records import TenantRecord, utcnow
from ._tables import Base, OAuthState, Tenant

__all__ = [
    "API_KEY_PREFIX",
    "AccessStore",
    "ApiKeyNotFoundError",
    "ApiKeyRecord",
    "ConsoleUserRecord",
    "IssuedKey",
    "UserExistsError",
    "UserNotFoundError",
    "hash_password",
    "verify_password",
]

#: every API key starts with it, so that a leaked one is recognisable (secret scanners)
API_KEY_PREFIX: Final = "lbk"
_KEY_PATTERN: Final = re.compile(rf"{API_KEY_PREFIX}_([0-9a-f]{{16}})_([A-Za-z0-9_-]{{43}})")
#: scrypt's cost: RFC 7914's interactive-login parameters (16 MiB of memory per check)
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_SCRYPT_MAXMEM: Final = 64 * 1024 * 1024
_PASSWORD_MIN: Final = 12
_PASSWORD_MAX: Final = 1024
_USERNAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


class ApiKeyNotFoundError(StoreError):
    """The tenant has no API key with this id."""

    user_message = "This API key does not exist."


class UserNotFoundError(StoreError):
    """No console user has this name."""

    user_message = "There is no console user with this name."


class UserExistsError(StoreError):
    """A console user with this name exists already."""

    user_message = "A console user with this name exists already."


# -- tables -------------------------------------------------------------------------------------
class ApiKey(Base):
    """One API key of a tenant: its digest, never the key itself."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    salt: Mapped[str] = mapped_column(String(32))
    #: HMAC-SHA256(salt, secret), hex
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ConsoleUser(Base):
    """A person who logs in to the console."""

    __tablename__ = "console_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: sees and manages every tenant
    admin: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConsoleGrant(Base):
    """A tenant a console user may see and manage."""

    __tablename__ = "console_grants"
    __table_args__ = (PrimaryKeyConstraint("user_id", "tenant_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("console_users.id"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))


# -- values -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as listed: no secret, only what identifies it."""

    id: str
    tenant_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def prefix(self) -> str:
        """The start of the key (``lbk_<id>``): enough to tell keys apart, useless alone."""
        return f"{API_KEY_PREFIX}_{self.id}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedKey:
    """A key just issued: the only moment its secret is known (kept out of ``repr``)."""

    record: ApiKeyRecord
    key: str = field(repr=False)


@dataclass(frozen=True)
class ConsoleUserRecord:
    """A console user, without the password hash."""

    id: str
    username: str
    admin: bool
    #: the tenants granted (an admin sees every tenant whatever this says)
    tenants: frozenset[str]
    created_at: datetime

    def may_see(self, tenant_id: str) -> bool:
        """Whether the user may see and manage this tenant."""
        return self.admin or tenant_id in self.tenants


# -- passwords ----------------------------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32
    )


def hash_password(password: str) -> str:
    """The stored form of a password: ``scrypt$n$r$p$salt$hash`` (module docstring)."""
    _check_password(password)
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password[:_PASSWORD_MAX], _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(computed, _unb64(digest))
    except ValueError:
        return False


def _check_password(password: str) -> None:
    if not _PASSWORD_MIN <= len(password) <= _PASSWORD_MAX:
        raise ValueError(
            f"a password has {_PASSWORD_MIN} to {_PASSWORD_MAX} characters, not {len(password)}"
        )


@functools.cache
def _decoy() -> str:
    """What an unknown user's password is checked against, so that it takes as long as a
    real one (made on first use: scrypt is slow on purpose, imports must not be)."""
    return hash_password(secrets.token_urlsafe(16))


# -- API keys -------------------------------------------------------------------------------------
def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def _new_key(session: Session, tenant_id: str, name: str, now: datetime) -> IssuedKey:
    if not name.strip() or len(name) > 100:
        raise ValueError("an API key's name has 1 to 100 characters")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    row = ApiKey(
        id=key_id,
        tenant_id=tenant_id,
        name=name.strip(),
        salt=salt,
        digest=_digest(salt, secret),
        created_at=now,
        revoked_at=None,
    )
    session.add(row)
    return IssuedKey(_key_record(row), f"{API_KEY_PREFIX}_{key_id}_{secret}")


def _key_record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class AccessStore:
    """The repository of tenants (creation and listing), API keys and console users."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        """
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._clock = clock

    # -- tenants ------------------------------------------------------------------------------
    def create_tenant(
        self, *, tenant_id: str, name: str, key_name: str = "default"
    ) -> tuple[TenantRecord, IssuedKey]:
        """Add a shop and its first API key, in one transaction.

        Raises :class:`TenantExistsError` if the id is taken.
        """
        now = self._clock()
        try:
            with self._db.transaction() as session:
                if session.get(Tenant, tenant_id) is not None:
                    raise TenantExistsError(f"tenant {tenant_id!r} already exists")
                session.add(Tenant(id=tenant_id, name=name, created_at=now))
                session.flush()
                issued = _new_key(session, tenant_id, key_name, now)
        except IntegrityError:  # a concurrent create won (PostgreSQL)
            raise TenantExistsError(f"tenant {tenant_id!r} already exists") from None
        return TenantRecord(id=tenant_id, name=name, created_at=now), issued

    def tenants(
        self,
        *,
        limit: int = 100,
        after: str | None = None,
        among: Collection[str] | None = None,
    ) -> builtins.list[TenantRecord]:
        """Tenants in id order; ``after``: the last id of the previous page; ``among``: only
        these ids (a console user's grants)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(Tenant).order_by(Tenant.id).limit(limit)
        if after is not None:
            query = query.where(Tenant.id > after)
        if among is not None:
            query = query.where(Tenant.id.in_(sorted(among)))
        with self._db.session() as session:
            return [
                TenantRecord(id=row.id, name=row.name, created_at=row.created_at)
                for row in session.scalars(query)
            ]

    # -- API keys -----------------------------------------------------------------------------
    def issue_key(self, *, tenant_id: str, name: str) -> IssuedKey:
        """A new key for the tenant (its others keep working)."""
        with self._db.transaction() as session:
            if session.get(Tenant, tenant_id) is None:
                raise TenantNotFoundError(f"no tenant {tenant_id!r}")
            return _new_key(session, tenant_id, name, self._clock())

    def rotate_key(self, *, tenant_id: str, key_id: str) -> IssuedKey:
        """Revoke the key and issue its successor (same name), in one transaction.

        Raises :class:`ApiKeyNotFoundError` for an unknown or already revoked key.
        """
        now = self._clock()
        with self._db.transaction() as session:
            row = self._live(session, tenant_id, key_id)
            row.revoked_at = now
            return _new_key(session, tenant_id, row.name, now)

    def revoke_key(self, *, tenant_id: str, key_id: str) -> ApiKeyRecord:
        """Revoke the key: it never authenticates again. Raises :class:`ApiKeyNotFoundError`
        for an unknown or already revoked key."""
        with self._db.transaction() as session:
            row = self._live(session, tenant_id, key_id)
            row.revoked_at = self._clock()
            return _key_record(row)

    def keys(self, *, tenant_id: str) -> builtins.list[ApiKeyRecord]:
        """The tenant's keys, revoked ones too, oldest first."""
        query = (
            select(ApiKey)
            .where(ApiKey.tenant_id == tenant_id)
            .order_by(ApiKey.created_at, ApiKey.id)
        )
        with self._db.session() as session:
            return [_key_record(row) for row in session.scalars(query)]

    def authenticate(self, key: str) -> ApiKeyRecord | None:
        """The live key ``key`` is, or ``None`` (malformed, unknown, wrong secret, revoked)."""
        match = _KEY_PATTERN.fullmatch(key)
        if match is None:
            return None
        key_id, secret = match.groups()
        with self._db.session() as session:
            row = session.get(ApiKey, key_id)
            if row is None:
                # as long as a real check, so that timing does not tell which ids exist
                hmac.compare_digest(_digest("00" * 16, secret), "0" * 64)
                return None
            if not hmac.compare_digest(_digest(row.salt, secret), row.digest):
                return None
            return None if row.revoked_at is not None else _key_record(row)

    # -- OAuth callbacks ----------------------------------------------------------------------
    def state_owner(self, nonce: str) -> str | None:
        """The tenant an OAuth state's nonce was issued for, or ``None``.

        Intuit redirects every tenant's consent to one registered URL, so the callback learns
        the tenant from the state; it then verifies the state's signature against that
        tenant's binding and uses the nonce up (``ConnectFlow.complete``).
        """
        with self._db.session() as session:
            row = session.get(OAuthState, nonce)
            return None if row is None else row.tenant_id

    @staticmethod
    def _live(session: Session, tenant_id: str, key_id: str) -> ApiKey:
        row = session.scalars(
            select(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id)
            .with_for_update()
        ).one_or_none()
        if row is None or row.revoked_at is not None:
            raise ApiKeyNotFoundError(f"tenant {tenant_id!r} has no live API key {key_id!r}")
        return row

    # -- console users ------------------------------------------------------------------------
    def add_user(
        self,
        *,
        username: str,
        password: str,
        tenants: Collection[str] = (),
        admin: bool = False,
    ) -> ConsoleUserRecord:
        """Add a console user with access to ``tenants`` (every tenant if ``admin``).

        Raises ``ValueError`` for a malformed name or a password of the wrong length,
        :class:`UserExistsError` and :class:`TenantNotFoundError`.
        """
        if not _USERNAME.fullmatch(username):
            raise ValueError(
                "a user name has 1 to 100 letters, digits or . _ @ + -, starting with a letter "
                "or digit"
            )
        stored = hash_password(password)  # before the transaction: it is slow on purpose
        now = self._clock()
        try:
            with self._db.transaction() as session:
                if session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == username)):
                    raise UserExistsError(f"console user {username!r} exists already")
                row = ConsoleUser(
                    id=uuid.uuid4().hex,
                    username=username,
                    password_hash=stored,
                    admin=admin,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                self._grant(session, row.id, tenants)
                return _user_record(row, frozenset(tenants))
        except IntegrityError:  # a concurrent add of the same name won (PostgreSQL)
            raise UserExistsError(f"console user {username!r} exists already") from None

    def grant(self, *, username: str, tenants: Collection[str]) -> ConsoleUserRecord:
        """Give the user access to more tenants."""
        with self._db.transaction() as session:
            row = self._user_row(session, username)
            have = self._granted(session, row.id)
            self._grant(session, row.id, [t for t in tenants if t not in have])
            return _user_record(row, have | frozenset(tenants))

    def set_password(self, *, username: str, password: str) -> None:
        """Replace the user's password."""
        stored = hash_password(password)
        with self._db.transaction() as session:
            row = self._user_row(session, username)
            row.password_hash = stored
            row.updated_at = self._clock()

    def remove_user(self, *, username: str) -> None:
        """Delete the user and their grants. Raises :class:`UserNotFoundError`."""
        with self._db.transaction() as session:
            row = self._user_row(session, username)
            session.execute(delete(ConsoleGrant).where(ConsoleGrant.user_id == row.id))
            session.delete(row)

    def user(self, username: str) -> ConsoleUserRecord | None:
        """The user, or ``None``."""
        with self._db.session() as session:
            row = session.scalars(
                select(ConsoleUser).where(ConsoleUser.username == username)
            ).one_or_none()
            return None if row is None else _user_record(row, self._granted(session, row.id))

    def users(self) -> builtins.list[ConsoleUserRecord]:
        """Every console user, by name."""
        with self._db.session() as session:
            rows = session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)).all()
            return [_user_record(row, self._granted(session, row.id)) for row in rows]

    def verify_user(self, username: str, password: str) -> ConsoleUserRecord | None:
        """The user if the password is theirs, else ``None`` (the same time either way)."""
        with self._db.session() as session:
            row = session.scalars(
                select(ConsoleUser).where(ConsoleUser.username == username)
            ).one_or_none()
            if row is None:
                verify_password(password, _decoy())
                return None
            if not verify_password(password, row.password_hash):
                return None
            return _user_record(row, self._granted(session, row.id))

    @staticmethod
    def _user_row(session: Session, username: str) -> ConsoleUser:
        row = session.scalars(
            select(ConsoleUser).where(ConsoleUser.username == username).with_for_update()
        ).one_or_none()
        if row is None:
            raise UserNotFoundError(f"no console user {username!r}")
        return row

    @staticmethod
    def _granted(session: Session, user_id: str) -> frozenset[str]:
        return frozenset(
            session.scalars(select(ConsoleGrant.tenant_id).where(ConsoleGrant.user_id == user_id))
        )

    @staticmethod
    def _grant(session: Session, user_id: str, tenants: Collection[str]) -> None:
        for tenant_id in sorted(set(tenants)):
            if session.get(Tenant, tenant_id) is None:
                raise TenantNotFoundError(f"no tenant {tenant_id!r}")
            session.add(ConsoleGrant(user_id=user_id, tenant_id=tenant_id))


def _user_record(row: ConsoleUser, tenants: frozenset[str]) -> ConsoleUserRecord:
    return ConsoleUserRecord(
        id=row.id,
        username=row.username,
        admin=row.admin,
        tenants=tenants,
        created_at=row.created_at,
    )
