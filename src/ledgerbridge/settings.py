"""ledgerbridge's configuration: ``LEDGERBRIDGE_*`` environment variables, read once.

Entry points (``ledgerbridge serve``, ``worker``, ``demo``...) call :func:`load_settings` at start
and pass the result down; nothing reads the environment at import time or from deep inside the
code (STYLE.md, "Configuration"). Problems are reported all at once, one sentence each, naming
the variable to fix, so that a misconfigured deployment fails at start-up rather than at the
first token refresh.

Secrets are :class:`~pydantic.SecretStr`: they do not appear in ``repr``, logs or validation
errors.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerbridge._errors import LedgerbridgeError

__all__ = ["Settings", "SettingsError", "load_settings"]

ENV_PREFIX: Final = "LEDGERBRIDGE_"
_MODES: Final = ("development", "production")
# The names of ledgerbridge.qbo.environment(); repeated rather than imported because settings
# sits below every layer (docs/design/qbo-client.md) and the list is Intuit's, not ours.
_QBO_ENVIRONMENTS: Final = ("production", "sandbox", "emulator")
_GENERATE_KEY: Final = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
#: an admin key guessable in fewer tries than a 192-bit random one is refused
_ADMIN_KEY_MIN: Final = 32
_GENERATE_ADMIN_KEY: Final = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SettingsError(LedgerbridgeError):
    """The configuration cannot be used; ``problems`` holds one sentence per problem."""

    user_message = "ledgerbridge is misconfigured; fix the LEDGERBRIDGE_* variables named above."

    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        text = "\n".join(problems)
        super().__init__(text, user_message=text)


class Settings(BaseSettings):
    """Every setting an entry point needs, from ``LEDGERBRIDGE_<FIELD>`` variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # An empty variable (``LEDGERBRIDGE_SECRET_KEY=``) counts as not set.
        env_ignore_empty=True,
        # Never echo a value (it may be a secret) in a validation error.
        hide_input_in_errors=True,
        frozen=True,
        extra="forbid",
    )

    #: "production" refuses to start without what it needs to keep data safe
    mode: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///ledgerbridge.db"
    #: Fernet key encrypting tokens at rest; optional in development only (validated even
    #: when absent, so that production without it is reported with every other problem)
    secret_key: SecretStr | None = Field(default=None, validate_default=True)
    qbo_environment: Literal["production", "sandbox", "emulator"] = "emulator"
    qbo_client_id: str | None = None
    qbo_client_secret: SecretStr | None = None
    qbo_redirect_uri: str | None = None
    emulator_url: str = "http://127.0.0.1:8765"
    #: the app's webhook verifier token (Intuit's developer portal): the key of the
    #: ``intuit-signature`` HMAC; without it the webhook endpoint is not served
    qbo_webhook_verifier: SecretStr | None = None
    #: the REST API's admin key (``Authorization: Bearer``): it creates tenants and manages
    #: their API keys; without it the admin routes answer 401
    admin_key: SecretStr | None = None
    #: jobs and the rate governor share Redis when set; in-process storage otherwise
    redis_url: str | None = None
    #: the emulator's ``--time-scale``: the rate governor shrinks Intuit's windows to match
    qbo_time_scale: float = Field(default=1.0, gt=0)
    #: how long a worker holds a realm lane without renewing it; a killed worker's lane is
    #: taken over this long after it died
    lane_lease_seconds: float = Field(default=30.0, ge=1)
    #: saves within this window collapse into one auto-sync run
    auto_sync_debounce_seconds: float = Field(default=0.3, ge=0, le=60)

    @field_validator("mode", mode="before")
    @classmethod
    def _known_mode(cls, value: Any) -> Any:
        return _one_of(value, _MODES, "LEDGERBRIDGE_MODE")

    @field_validator("qbo_environment", mode="before")
    @classmethod
    def _known_environment(cls, value: Any) -> Any:
        return _one_of(value, _QBO_ENVIRONMENTS, "LEDGERBRIDGE_QBO_ENVIRONMENT")

    @field_validator("admin_key")
    @classmethod
    def _long_admin_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < _ADMIN_KEY_MIN:
            raise ValueError(
                f"LEDGERBRIDGE_ADMIN_KEY is too short: use at least {_ADMIN_KEY_MIN} random "
                f"characters, e.g. from `{_GENERATE_ADMIN_KEY}`."
            )
        return value

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            # ``mode`` is declared first, so it is validated (and present) by now.
            if info.data.get("mode") == "production":
                raise ValueError(
                    f"LEDGERBRIDGE_SECRET_KEY is not set: generate one with `{_GENERATE_KEY}` "
                    "and set it in the environment; production mode needs it to encrypt "
                    "QuickBooks tokens at rest."
                )
            return None
        try:
            Fernet(value.get_secret_value())
        except (ValueError, TypeError):
            raise ValueError(
                "LEDGERBRIDGE_SECRET_KEY is not a valid Fernet key (32 url-safe base64-encoded "
                f"bytes): generate one with `{_GENERATE_KEY}`."
            ) from None
        return value


def load_settings() -> Settings:
    """The settings from the environment, or :class:`SettingsError` listing every problem."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(tuple(_sentence(error) for error in exc.errors())) from None


def _one_of(value: Any, allowed: tuple[str, ...], variable: str) -> Any:
    """``value`` trimmed and lower-cased if it is one of ``allowed``; else a clear error."""
    if not isinstance(value, str):
        return value
    normalized = value.strip().lower()
    if normalized not in allowed:
        raise ValueError(f"{variable} must be one of {', '.join(allowed)}, not {value!r}.")
    return normalized


def _sentence(error: Any) -> str:
    """One sentence for one pydantic error, naming the variable."""
    # Our validators already wrote the sentence; pydantic keeps the exception in ``ctx``.
    cause = error.get("ctx", {}).get("error")
    if error.get("type") == "value_error" and cause is not None:
        return str(cause)
    loc = error.get("loc", ())
    variable = f"{ENV_PREFIX}{str(loc[0]).upper()}" if loc else "The settings"
    message = str(error.get("msg", "is invalid"))
    return f"{variable}: {message[:1].lower()}{message[1:]}."
