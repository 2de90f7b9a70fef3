"""QBO environments: hosts and discovery documents (QBO-REFERENCE.md sections 1.1 and 10.1)."""

from __future__ import annotations

import pytest

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.qbo._environments import InvalidEnvironmentError, environment


def test_production_urls_are_intuits() -> None:
    """Production points at Intuit's production data host and discovery document."""
    env = environment("production")
    assert env.name == "production"
    assert env.api_base == "https://quickbooks.api.intuit.com/v3"
    assert env.discovery_url == "https://developer.intuit.com/.well-known/openid_configuration/"


def test_sandbox_urls_are_intuits() -> None:
    """The sandbox has its own data host and discovery document."""
    env = environment("sandbox")
    assert env.name == "sandbox"
    assert env.api_base == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert (
        env.discovery_url
        == "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
    )


def test_emulator_urls_follow_its_base_without_trailing_slash() -> None:
    """The emulator's URLs are built on its base URL, trailing slashes removed."""
    env = environment("emulator", emulator_url=" http://127.0.0.1:8765// ")
    assert env.api_base == "http://127.0.0.1:8765/v3"
    assert env.discovery_url == "http://127.0.0.1:8765/.well-known/openid_sandbox_configuration/"


def test_names_ignore_case_and_emulator_url_elsewhere() -> None:
    """Names are case-insensitive; emulator_url is ignored outside the emulator."""
    assert environment(" Sandbox ", emulator_url="http://x.test") == environment("sandbox")


def test_unknown_name_lists_the_allowed_ones() -> None:
    """An unknown name is a ValueError (and a LedgerbridgeError) naming the choices."""
    with pytest.raises(InvalidEnvironmentError, match="production, sandbox, emulator") as info:
        environment("staging")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, LedgerbridgeError)
    assert "'staging'" in str(info.value)


@pytest.mark.parametrize("url", [None, "", "   "])
def test_emulator_without_url_says_what_is_missing(url: str | None) -> None:
    """The emulator needs its URL, and the error says which setting gives it."""
    with pytest.raises(InvalidEnvironmentError, match="LEDGERBRIDGE_EMULATOR_URL"):
        environment("emulator", emulator_url=url)


@pytest.mark.parametrize("url", ["127.0.0.1:8765", "ftp://host", "http://", "http://h/?q=1"])
def test_emulator_url_must_be_an_http_base_url(url: str) -> None:
    """Something that is not an http(s) base URL is refused, quoting it."""
    with pytest.raises(InvalidEnvironmentError, match="not an http"):
        environment("emulator", emulator_url=url)
