"""Tokens at rest: Fernet encryption, key rotation, and no clear token in the database file."""

from __future__ import annotations

from pathlib import Path

import pytest
from storekit import TENANT, Clock, make_grant

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    StoreConfigurationError,
    TokenCipher,
    TokenDecryptError,
)

TOKEN = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..secret-access-token"


def test_round_trip(cipher: TokenCipher) -> None:
    """What is encrypted decrypts to itself, and the ciphertext does not contain it."""
    ciphertext = cipher.encrypt(TOKEN)
    assert TOKEN.encode() not in ciphertext
    assert cipher.decrypt(ciphertext) == TOKEN


def test_each_encryption_differs(cipher: TokenCipher) -> None:
    """Fernet uses a fresh IV: equal tokens do not give equal ciphertexts."""
    assert cipher.encrypt(TOKEN) != cipher.encrypt(TOKEN)


def test_wrong_key_is_a_clear_error_without_the_token(cipher: TokenCipher) -> None:
    """Another key cannot decrypt; the error names the problem and never the token."""
    ciphertext = cipher.encrypt(TOKEN)
    other = TokenCipher(TokenCipher.generate_key())
    with pytest.raises(TokenDecryptError, match="does not decrypt") as caught:
        other.decrypt(ciphertext)
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "encryption key" in caught.value.user_message


def test_corrupt_ciphertext_is_a_decrypt_error(cipher: TokenCipher) -> None:
    """A damaged row reads as a decrypt error, not as garbage."""
    ciphertext = bytearray(cipher.encrypt(TOKEN))
    ciphertext[-5] ^= 0x01
    with pytest.raises(TokenDecryptError):
        cipher.decrypt(bytes(ciphertext))


def test_rotation_new_key_first_old_key_still_decrypts(key: str) -> None:
    """With [new, old], old ciphertexts decrypt, new ones use the new key only."""
    old = TokenCipher(key)
    new_key = TokenCipher.generate_key()
    rotating = TokenCipher([new_key, key])
    from_before = old.encrypt(TOKEN)
    assert rotating.decrypt(from_before) == TOKEN
    written_now = rotating.encrypt(TOKEN)
    assert TokenCipher(new_key).decrypt(written_now) == TOKEN
    with pytest.raises(TokenDecryptError):
        old.decrypt(written_now)
    assert TokenCipher(new_key).decrypt(rotating.rotate(from_before)) == TOKEN


def test_a_bad_key_is_a_configuration_error() -> None:
    """A key that is not a Fernet key is refused up front, without echoing it."""
    with pytest.raises(StoreConfigurationError, match="not a Fernet key") as caught:
        TokenCipher("hunter2")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(StoreConfigurationError):
        TokenCipher([])


def test_repr_hides_the_keys(key: str) -> None:
    """A cipher in a log line or a traceback shows no key."""
    assert key not in repr(TokenCipher(key))


def test_the_database_file_holds_no_clear_token(
    store: ConnectionStore, database: Database, db_path: Path, clock: Clock
) -> None:
    """Byte for byte, neither the database nor its WAL contains a token; they do contain the
    realm id stored next to them, so the scan does read the rows."""
    if database.dialect != "sqlite":
        pytest.skip("SQLite only: a file to read")
    grant = make_grant("at-rest", now=clock.now)
    store.save_connection(
        tenant_id=TENANT,
        environment="sandbox",
        realm_id="9130357766291734",
        company_name="Acme Machine Shop",
        grant=grant,
    )
    database.dispose()
    files = [path for path in db_path.parent.iterdir() if path.name.startswith(db_path.name)]
    raw = b"".join(path.read_bytes() for path in files)
    assert b"9130357766291734" in raw
    for token in (grant.access_token, grant.refresh_token):
        assert token.encode() not in raw
        assert token.encode("utf-16-le") not in raw
