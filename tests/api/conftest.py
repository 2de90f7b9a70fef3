"""Fixtures of the API tests (apikit builds them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from apikit import Api, open_api


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """The web app on a fresh store, the emulator behind it."""
    async with open_api(tmp_path) as opened:
        yield opened
