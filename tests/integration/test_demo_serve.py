"""``ledgerbridge demo`` serving (what ``make demo`` runs): it syncs the shop, prints the
console's address and login, serves them until Ctrl-C, then stops cleanly.

Run as a user runs it: a subprocess on a free port, its output read as it comes; the printed
login is used to sign in to the printed console; SIGINT ends it with "Stopped." and exit 0.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

#: a small shop: every type, synced in seconds
RECORDS = 60
_CONSOLE = re.compile(r"Console\s+(http://\S+/console/)\s+user\s+(\S+)\s+password\s+(\S+)")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        into.put(line)


def test_demo_serves_the_console_with_the_printed_login_until_ctrl_c(tmp_path: Path) -> None:
    """The output shows the initial sync and the console's address and login; that login
    opens the console; Ctrl-C prints "Stopped." and exits 0."""
    demo = subprocess.Popen(
        [
            *(sys.executable, "-m", "ledgerbridge", "demo"),
            *("--records", str(RECORDS), "--port", "0", "--data-dir", str(tmp_path / "demo")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert demo.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(demo.stdout, lines), daemon=True).start()
    output = ""
    try:
        deadline = time.monotonic() + 120
        found = None
        while found is None and time.monotonic() < deadline and demo.poll() is None:
            try:
                output += lines.get(timeout=1)
            except queue.Empty:
                continue
            found = _CONSOLE.search(output)
        assert found is not None, output
        url, user, password = found.groups()
        assert re.search(rf"Initial sync .* {RECORDS}/{RECORDS} records", output), output
        assert re.search(rf"\(bulk\) succeeded in [\d.]+ s: {RECORDS} created", output), output

        with httpx.Client(follow_redirects=True, timeout=10) as browser:
            login = browser.get(f"{url}login")
            assert login.status_code == 200
            token = _TOKEN.search(login.text)
            assert token is not None
            signed_in = browser.post(
                f"{url}login",
                data={"username": user, "password": password, "csrf_token": token.group(1)},
            )
            assert signed_in.status_code == 200
            assert "Integrations" in signed_in.text and "Sign in" not in signed_in.text

        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
        time.sleep(0.2)
        while not lines.empty():
            output += lines.get()
        assert output.rstrip().endswith("Stopped."), output
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
