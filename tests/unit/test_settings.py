"""Settings from LEDGERBRIDGE_* variables, checked once at start-up."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from ledgerbridge.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LEDGERBRIDGE_* variable of the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(name)


def test_defaults_run_in_development_against_the_emulator() -> None:
    """With nothing set, ledgerbridge runs in development mode against a local emulator."""
    settings = load_settings()
    assert settings.mode == "development"
    assert settings.database_url == "sqlite:///ledgerbridge.db"
    assert settings.secret_key is None
    assert settings.qbo_environment == "emulator"
    assert settings.emulator_url == "http://127.0.0.1:8765"
    assert settings.qbo_client_id is None
    assert settings.qbo_client_secret is None
    assert settings.redis_url is None


def test_variables_use_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each field reads LEDGERBRIDGE_<FIELD>; unprefixed names are ignored."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("LEDGERBRIDGE_MODE", "production")
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", key)
    monkeypatch.setenv("LEDGERBRIDGE_QBO_ENVIRONMENT", "Sandbox")
    monkeypatch.setenv("LEDGERBRIDGE_QBO_CLIENT_ID", "AB123")
    monkeypatch.setenv("LEDGERBRIDGE_QBO_CLIENT_SECRET", "s3cret-value")
    monkeypatch.setenv("LEDGERBRIDGE_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    settings = load_settings()
    assert settings.mode == "production"
    assert settings.qbo_environment == "sandbox"
    assert settings.qbo_client_id == "AB123"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.database_url == "sqlite:///ledgerbridge.db"
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == key
    assert settings.qbo_client_secret is not None
    assert "s3cret-value" not in repr(settings)
    assert key not in repr(settings)


def test_production_without_key_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production refuses to start without a key and gives the command that makes one."""
    monkeypatch.setenv("LEDGERBRIDGE_MODE", "production")
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", "")  # empty counts as unset
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("LEDGERBRIDGE_SECRET_KEY is not set: generate one")
    assert "Fernet.generate_key()" in str(info.value)
    assert info.value.user_message == str(info.value)


def test_development_runs_without_key() -> None:
    """A key is optional in development mode."""
    assert Settings(mode="development").secret_key is None


def test_bad_key_names_the_variable_and_hides_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key that is not a Fernet key is an error naming the variable, never echoing it."""
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", "not-a-fernet-key-but-secret")
    with pytest.raises(SettingsError, match="LEDGERBRIDGE_SECRET_KEY is not a valid Fernet key"):
        load_settings()
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "not-a-fernet-key-but-secret" not in str(info.value)


def test_unknown_environment_lists_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown QBO environment names the variable and the allowed values."""
    monkeypatch.setenv("LEDGERBRIDGE_QBO_ENVIRONMENT", "staging")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert info.value.problems == (
        "LEDGERBRIDGE_QBO_ENVIRONMENT must be one of production, sandbox, emulator, not 'staging'.",
    )


def test_every_problem_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several mistakes give one sentence each, in one error."""
    monkeypatch.setenv("LEDGERBRIDGE_MODE", "prod")
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", "bad")
    monkeypatch.setenv("LEDGERBRIDGE_QBO_ENVIRONMENT", "staging")
    with pytest.raises(SettingsError) as info:
        load_settings()
    variables = [problem.split()[0] for problem in info.value.problems]
    assert variables == [
        "LEDGERBRIDGE_MODE",
        "LEDGERBRIDGE_SECRET_KEY",
        "LEDGERBRIDGE_QBO_ENVIRONMENT",
    ]


def test_nothing_is_read_until_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings reflect the environment when loaded, not when the module was imported."""
    monkeypatch.setenv("LEDGERBRIDGE_DATABASE_URL", "postgresql://db/ledgerbridge")
    assert load_settings().database_url == "postgresql://db/ledgerbridge"
