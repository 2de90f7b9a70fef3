"""What a worker remembers of a company between runs: names expire, "held" only grows."""

from __future__ import annotations

import pytest

from ledgerbridge.engine import CompanyMemo
from ledgerbridge.engine._memo import ExpiringMap
from ledgerbridge.mapping import QBORef


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_vanishes_ttl_seconds_after_it_was_set() -> None:
    clock = Clock()
    names: ExpiringMap[str, int] = ExpiringMap(10, clock=clock)
    names["terms"] = 1
    clock.now += 9.9
    assert names["terms"] == 1 and "terms" in names and list(names) == ["terms"]
    names["tax"] = 2  # set later: lives later
    clock.now += 0.2
    assert "terms" not in names and names.get("terms") is None
    assert list(names) == ["tax"] and len(names) == 1
    with pytest.raises(KeyError):
        names["terms"]
    with pytest.raises(ValueError, match="ttl"):
        ExpiringMap(0)


def test_a_memo_keeps_references_by_name_for_its_ttl() -> None:
    clock = Clock()
    memo = CompanyMemo(ttl=600, clock=clock)
    memo.names["Term", "net 30"] = QBORef("3", name="Net 30")
    clock.now += 599
    assert memo.names["Term", "net 30"] == QBORef("3", name="Net 30")
    clock.now += 2
    assert ("Term", "net 30") not in memo.names
    assert memo.held == {}
