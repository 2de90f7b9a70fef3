"""Encryption of tokens at rest, with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key comes from the environment (``Settings``), never from the database: a copy of the
database file alone reveals no token. Rotation is :class:`cryptography.fernet.MultiFernet`'s:
give the keys newest first; new ciphertexts use the newest, and any listed key decrypts. Once
every row is re-encrypted (``ConnectionStore.reencrypt_tokens``, or simply an hour of
refreshes for live connections), the old key can be dropped from the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ._errors import StoreConfigurationError, TokenDecryptError

__all__ = ["TokenCipher"]


class TokenCipher:
    """Encrypts and decrypts tokens with one Fernet key, or several during a rotation."""

    def __init__(self, key: str | bytes | Sequence[str | bytes]) -> None:
        keys = [key] if isinstance(key, str | bytes) else list(key)
        if not keys:
            raise StoreConfigurationError("no encryption key given")
        try:
            fernets = [Fernet(k) for k in keys]
        except (ValueError, TypeError):
            # ``from None``: the original exception's context could carry the key
            raise StoreConfigurationError(
                "an encryption key is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with TokenCipher.generate_key()"
            ) from None
        self._fernet = MultiFernet(fernets)

    def __repr__(self) -> str:
        return "TokenCipher(<keys hidden>)"

    @staticmethod
    def generate_key() -> str:
        """A new random key, as text for an environment variable."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, token: str) -> bytes:
        """The token encrypted with the newest key."""
        return self._fernet.encrypt(token.encode("utf-8"))

    def decrypt(self, ciphertext: bytes) -> str:
        """The token back; :class:`TokenDecryptError` if no configured key opens it."""
        try:
            return self._fernet.decrypt(ciphertext).decode("utf-8")
        except (InvalidToken, TypeError, UnicodeDecodeError):
            raise TokenDecryptError(
                "a stored token does not decrypt with any configured key "
                "(the key changed, or the row is corrupt)"
            ) from None

    def rotate(self, ciphertext: bytes) -> bytes:
        """The same token re-encrypted with the newest key."""
        try:
            return self._fernet.rotate(ciphertext)
        except (InvalidToken, TypeError):
            raise TokenDecryptError(
                "a stored token does not decrypt with any configured key"
            ) from None
