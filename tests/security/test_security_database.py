"""Tokens are unreadable in the database file without the key, and readable with it.

After a connect and a refresh, the raw bytes of the SQLite file (and its WAL and shared
memory files) hold no run of 16 characters of any access or refresh token Intuit's stand-in
issued, nor the API key's secret part, the console password or the app's client secret; the
store opened with the deployment's key reads back the tokens the emulator holds, and with
another key it refuses with an error that says the key changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from anyio import to_thread
from cryptography.fernet import Fernet
from securitykit import emulator_secrets, push_customers

from api.apikit import Api, open_api
from console.consolekit import PASSWORD
from ledgerbridge.store import ConnectionStore, TokenCipher, TokenDecryptError

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

TENANT = "acme"
#: the shortest run of a secret's characters that must not be found in the file
RUN = 16


def _file_bytes(tmp_path: Path) -> bytes:
    """The database file and its -wal and -shm companions, as bytes on disk."""
    files = sorted(tmp_path.glob("ledgerbridge.db*"))
    assert any(f.name == "ledgerbridge.db" for f in files)
    return b"".join(f.read_bytes() for f in files)


def _found(data: bytes, secret: str) -> str | None:
    """A run of :data:`RUN` characters of ``secret`` that appears in ``data``."""
    encoded = secret.encode()
    runs = (encoded[i : i + RUN] for i in range(max(len(encoded) - RUN, 0) + 1))
    hit = next((run for run in runs if run in data), None)
    return hit.decode() if hit is not None else None


async def _connected(api: Api) -> tuple[str, str]:
    """A tenant with a console user, connected, with customers pushed before and after its
    access token expired (so the tokens were refreshed once); its key and realm id."""
    key = await api.create_tenant(TENANT)
    await to_thread.run_sync(
        lambda: api.services.access.add_user(username="owner", password=PASSWORD, tenants=[TENANT])
    )
    realm_id = await api.connect(TENANT, key, "Acme Co")
    await push_customers(api, TENANT, key, realm_id, "c1")
    api.emulator.oauth.expire_access_tokens(realm_id)
    await push_customers(api, TENANT, key, realm_id, "c2")
    return key, realm_id


async def test_the_database_file_holds_no_token_or_secret_in_the_clear(tmp_path: Path) -> None:
    """No 16-character run of any token, key, password or secret is in the file's bytes."""
    async with open_api(tmp_path) as api:
        key, _realm = await _connected(api)
        secrets = emulator_secrets(api.emulator)
        assert len(secrets["access token"]) >= 2 and len(secrets["refresh token"]) >= 1
        data = _file_bytes(tmp_path)
    # the search reads what was written: the company's name is stored in the clear
    assert b"Acme Co" in data
    checked = {
        **{f"{kind} {i}": value for kind in secrets for i, value in enumerate(secrets[kind])},
        # lbk_<key id>_<secret>: the id is public (it names the key in lists and look-ups)
        "API key secret": key.split("_", 2)[2],
        "console password": PASSWORD,
    }
    assert {what: hit for what, value in checked.items() if (hit := _found(data, value))} == {}


async def test_the_key_reads_the_tokens_back_and_another_key_cannot(tmp_path: Path) -> None:
    """With the deployment's key the store returns the tokens QBO accepts now; with a new
    key it raises TokenDecryptError, whose message holds no token."""
    async with open_api(tmp_path) as api:
        await _connected(api)
        secret_key = api.services.runtime.settings.secret_key
        assert secret_key is not None
        right = ConnectionStore(api.database, TokenCipher(secret_key.get_secret_value()))
        stored = right.get(tenant_id=TENANT, environment="emulator")
        assert stored is not None
        issued = emulator_secrets(api.emulator)
        assert stored.access_token in issued["access token"]
        assert stored.refresh_token in issued["refresh token"]
        # the access token stored is the live one: QBO (the emulator) takes it
        api.emulator.oauth.authenticate(stored.access_token, stored.realm_id)
        wrong = ConnectionStore(api.database, TokenCipher(Fernet.generate_key()))
        with pytest.raises(TokenDecryptError) as refused:
            wrong.get(tenant_id=TENANT, environment="emulator")
    assert stored.access_token not in str(refused.value)
    assert "encryption key" in refused.value.user_message
