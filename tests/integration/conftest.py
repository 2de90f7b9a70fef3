"""Fixtures of the integration suite: a migrated store and a pushing world on it (pushkit)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pushkit import World, open_database, open_world

from ledgerbridge.store import Database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite store in ``tmp_path`` with the tenant created."""
    with open_database(tmp_path) as opened:
        yield opened


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    """A fresh emulator company, a client on it and a pusher with the default settings."""
    async with open_world(database) as opened:
        yield opened
