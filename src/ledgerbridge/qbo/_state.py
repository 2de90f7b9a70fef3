"""OAuth ``state`` values bound to the caller, so that a callback cannot be forged (CSRF).

``shared/QBO-REFERENCE.md`` section 10.2: Intuit echoes ``state`` unchanged on the redirect to
``redirect_uri``; RFC 6749 section 10.12 asks the client to bind it to the user agent, and
ARCHITECTURE.md binds it to the console session. A state is self-contained and needs no storage
to check::

    nonce.expires.signature

* ``nonce``: 128 random bits, url-safe base64 (no padding);
* ``expires``: Unix seconds, decimal, after which the state is refused;
* ``signature``: HMAC-SHA256 with the server's secret over the binding (for example the
  console session id), the nonce and ``expires``, url-safe base64 (no padding).

A state issued for another binding, altered, or signed with another secret fails the signature
check, which is a constant-time comparison.

**Replay is the caller's job.** A valid state stays valid until it expires; the callback handler
must record the nonce :func:`verify_state` returns in its store (keeping used nonces at least
until their expiry) and refuse a nonce it has seen, so that each state is used once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from typing import Final, Literal

from ledgerbridge._errors import LedgerbridgeError

__all__ = ["InvalidStateError", "issue_state", "verify_state"]

#: Shorter HMAC keys are weak (RFC 2104 section 3 recommends at least the output length; we
#: require half of it so that a Fernet key's raw 32 bytes or its 44-character text both pass).
_MIN_SECRET_BYTES: Final = 16
_NONCE_BYTES: Final = 16
# Room for a nonce, a timestamp and a signature, with margin; longer input is not ours.
_MAX_STATE_CHARS: Final = 256
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]+")
_DIGITS: Final = re.compile(r"[0-9]{1,12}")
_SIGNATURE_BYTES: Final = hashlib.sha256().digest_size
_DOMAIN: Final = b"ledgerbridge.oauth-state.v1"

StateProblem = Literal["malformed", "forged", "expired"]


class InvalidStateError(LedgerbridgeError):
    """The ``state`` on an OAuth callback cannot be trusted; ``reason`` says why."""

    user_message = (
        "The QuickBooks connection could not be verified (the link was altered, belongs to "
        "another session or is too old); start Connect to QuickBooks again."
    )

    def __init__(self, message: str, *, reason: StateProblem) -> None:
        super().__init__(message)
        #: "malformed", "forged" (bad signature or another binding) or "expired"
        self.reason: StateProblem = reason


def issue_state(binding: str, *, secret: bytes, ttl: float = 600, now: float | None = None) -> str:
    """A new ``state`` for ``binding`` (e.g. the console session id), valid ``ttl`` seconds.

    The default lifetime matches the life of Intuit's authorization codes in the emulator (10
    minutes, docs/emulator.md): a user who takes longer starts again.
    """
    _check_secret(secret)
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    issued = time.time() if now is None else now
    nonce = _b64(secrets.token_bytes(_NONCE_BYTES))
    expires = str(int(issued + ttl))
    return f"{nonce}.{expires}.{_b64(_sign(secret, binding, nonce, expires))}"


def verify_state(state: str, binding: str, *, secret: bytes, now: float | None = None) -> str:
    """The nonce of ``state`` if it was issued for ``binding`` and has not expired.

    Raises :class:`InvalidStateError` with ``reason`` "malformed", "forged" or "expired".
    The caller must then refuse a nonce it has already seen (see the module docstring).
    """
    _check_secret(secret)
    nonce, expires, signature = _parse(state)
    expected = _sign(secret, binding, nonce, expires)
    if not hmac.compare_digest(expected, signature):
        raise InvalidStateError(
            "The OAuth state was not issued for this session or was altered "
            "(its signature does not match).",
            reason="forged",
        )
    checked = time.time() if now is None else now
    if checked >= int(expires):
        raise InvalidStateError(
            f"The OAuth state expired {int(checked) - int(expires)} seconds ago.",
            reason="expired",
        )
    return nonce


def _parse(state: str) -> tuple[str, str, bytes]:
    """``(nonce, expires, signature bytes)``, or a "malformed" :class:`InvalidStateError`."""

    def malformed(why: str) -> InvalidStateError:
        return InvalidStateError(
            f"The OAuth state is malformed ({why}); expected nonce.expires.signature.",
            reason="malformed",
        )

    if not state:
        raise malformed("it is empty")
    if len(state) > _MAX_STATE_CHARS:
        raise malformed(f"it is longer than {_MAX_STATE_CHARS} characters")
    parts = state.split(".")
    if len(parts) != 3:
        raise malformed(f"it has {len(parts)} dot-separated parts, not 3")
    nonce, expires, signature_text = parts
    if not _B64URL.fullmatch(nonce):
        raise malformed("the nonce is not url-safe base64")
    if not _DIGITS.fullmatch(expires):
        raise malformed("the expiry is not a Unix timestamp")
    if not _B64URL.fullmatch(signature_text):
        raise malformed("the signature is not url-safe base64")
    try:
        signature = base64.urlsafe_b64decode(signature_text + "=" * (-len(signature_text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise malformed("the signature is not url-safe base64") from exc
    if len(signature) != _SIGNATURE_BYTES:
        raise malformed("the signature has the wrong length")
    return nonce, expires, signature


def _sign(secret: bytes, binding: str, nonce: str, expires: str) -> bytes:
    # The binding is length-prefixed so that no (binding, nonce) pair can be re-split into
    # another; the domain label keeps these MACs apart from any other use of the same secret.
    bound = binding.encode("utf-8")
    message = b"\n".join(
        [_DOMAIN, str(len(bound)).encode(), bound, nonce.encode(), expires.encode()]
    )
    return hmac.new(secret, message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _check_secret(secret: bytes) -> None:
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"the state secret must be at least {_MIN_SECRET_BYTES} bytes")
