"""Fixtures of the console's server-side tests (consolekit builds them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from consolekit import Console, open_console


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    """The web app on a fresh store, the emulator behind it, a browser on the console."""
    async with open_console(tmp_path) as opened:
        yield opened
