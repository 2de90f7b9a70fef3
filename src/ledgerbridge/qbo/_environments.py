"""Where each QBO environment lives: the data API base URL and the OpenID discovery document.

Intuit runs two environments with the same OAuth server but different data hosts
(``shared/QBO-REFERENCE.md`` section 1.1 hosts, section 10.1 endpoints): production and the
developer sandbox. The emulator is the third, served wherever the user runs it. Only the
discovery document is hard-coded per environment; every OAuth endpoint is read from it
(section 10.1: intuit-oauth does the same), so the emulator needs no special case beyond its
base URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from ledgerbridge._errors import LedgerbridgeError

__all__ = [
    "ENVIRONMENT_NAMES",
    "Environment",
    "EnvironmentName",
    "InvalidEnvironmentError",
    "environment",
]

EnvironmentName = Literal["production", "sandbox", "emulator"]

#: The names :func:`environment` accepts, in the order error messages list them.
ENVIRONMENT_NAMES: Final[tuple[EnvironmentName, ...]] = ("production", "sandbox", "emulator")

# Section 1.1 (data hosts) and section 10.1 (discovery documents).
_PRODUCTION_API: Final = "https://quickbooks.api.intuit.com/v3"
_SANDBOX_API: Final = "https://sandbox-quickbooks.api.intuit.com/v3"
_PRODUCTION_DISCOVERY: Final = "https://developer.intuit.com/.well-known/openid_configuration/"
_SANDBOX_DISCOVERY: Final = "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"


class InvalidEnvironmentError(LedgerbridgeError, ValueError):
    """An environment name or emulator URL that cannot be used.

    Also a :class:`ValueError`, because it is one: callers validating configuration may catch
    either.
    """

    user_message = (
        "The QuickBooks environment is misconfigured; set LEDGERBRIDGE_QBO_ENVIRONMENT to "
        "production, sandbox or emulator."
    )


@dataclass(frozen=True)
class Environment:
    """One QBO environment: what the OAuth client and the data client need to reach it."""

    name: EnvironmentName
    #: the ``/v3`` base URL of the Accounting API, without a trailing slash
    api_base: str
    #: the OpenID discovery document the OAuth endpoints are read from
    discovery_url: str


def environment(name: str, *, emulator_url: str | None = None) -> Environment:
    """The environment called ``name``; ``emulator_url`` locates the emulator.

    ``emulator_url`` is ignored for production and sandbox, so that an entry point can pass
    its setting unconditionally. Names are compared without case or surrounding spaces.
    """
    key = name.strip().lower()
    if key == "production":
        return Environment("production", _PRODUCTION_API, _PRODUCTION_DISCOVERY)
    if key == "sandbox":
        return Environment("sandbox", _SANDBOX_API, _SANDBOX_DISCOVERY)
    if key == "emulator":
        base = _emulator_base(emulator_url)
        # The emulator serves the sandbox spelling of the discovery path (and the other one).
        return Environment(
            "emulator", f"{base}/v3", f"{base}/.well-known/openid_sandbox_configuration/"
        )
    raise InvalidEnvironmentError(
        f"Unknown QBO environment {name!r}: use one of {', '.join(ENVIRONMENT_NAMES)}."
    )


def _emulator_base(url: str | None) -> str:
    """``url`` without surrounding spaces or trailing slashes, checked to be http(s)."""
    if url is None or not url.strip():
        raise InvalidEnvironmentError(
            "The emulator environment needs the emulator's URL "
            "(emulator_url, e.g. http://127.0.0.1:8765; LEDGERBRIDGE_EMULATOR_URL in settings)."
        )
    base = url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidEnvironmentError(
            f"The emulator URL {url!r} is not an http(s) base URL such as http://127.0.0.1:8765."
        )
    return base
