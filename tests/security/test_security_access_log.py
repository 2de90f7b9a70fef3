"""RedactedQueryFilter: uvicorn's access lines lose the OAuth code and state, nothing else."""

from __future__ import annotations

import logging

import pytest

from ledgerbridge.cli._access_log import REDACTED, RedactedQueryFilter


def _access(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it."""
    return logging.makeLogRecord(
        {
            "name": "uvicorn.access",
            "msg": '%s - "%s %s HTTP/%s" %d',
            "args": ("127.0.0.1:5000", "GET", path, "1.1", 200),
        }
    )


def test_the_callbacks_code_and_state_are_redacted_and_the_rest_kept() -> None:
    """The values of code and state go; the path, realmId, status and client stay."""
    record = _access("/oauth/callback?code=AB-secret_1&state=n.1.sig&realmId=9130")
    assert RedactedQueryFilter().filter(record) is True
    assert record.getMessage() == (
        f'127.0.0.1:5000 - "GET /oauth/callback?code={REDACTED}&state={REDACTED}'
        '&realmId=9130 HTTP/1.1" 200'
    )


@pytest.mark.parametrize(
    "path",
    ["/api/v1/tenants/acme/records?type=invoice&cursor=abc", "/healthz", "/console/login?next=/"],
)
def test_other_requests_are_logged_as_they_were(path: str) -> None:
    """Requests without a code or a state are not touched."""
    record = _access(path)
    RedactedQueryFilter().filter(record)
    assert record.args is not None and record.args[2] == path


def test_records_of_another_shape_pass_untouched() -> None:
    """uvicorn's other lines (and anyone else's) go through as they are."""
    record = logging.makeLogRecord({"msg": "Started server process [%d]", "args": (42,)})
    assert RedactedQueryFilter().filter(record) is True
    assert record.getMessage() == "Started server process [42]"
