"""Batch requests: many operations in one HTTP request, answered item by item.

``shared/QBO-REFERENCE.md`` section 1.7 (shapes, recorded) and section 5 (limits): at most
30 items a request; every item carries a ``bId`` (at most 10 characters when the request
carries a ``requestid``, section 1.4) and its answer carries it back. Answers are matched
by ``bId``, not by position (the recordings keep the order, but clients should not rely on
it). A failed item is a ``Fault`` inside an HTTP 200 answer: here it becomes that item's
:class:`QBOError`, translated by the same function as any other Fault, and the batch as a
whole does not raise. Items cannot use objects created by earlier items of the same batch
(B-batch2017): the caller puts dependent operations in separate batches.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from ._errors import QBOError, ServerError, UncertainOutcomeError, error_from_fault
from ._query import Query

__all__ = ["BATCH_MAX_ITEMS", "BatchItem", "BatchOperation", "BatchResult"]

#: Intuit's limit of operations in one batch request (section 5).
BATCH_MAX_ITEMS: Final = 30
#: The longest ``bId`` QBO accepts next to a ``requestid`` (section 1.4).
MAX_BID_CHARS: Final = 10

BatchOperation: TypeAlias = Literal["create", "update", "delete", "void", "query"]
_OPERATIONS: Final = frozenset({"create", "update", "delete", "void", "query"})
_WRITES_NEEDING_VERSION: Final = frozenset({"update", "delete", "void"})


@dataclass(frozen=True)
class BatchItem:
    """One operation of a batch: an entity write, or a query.

    ``body`` is the entity for ``create`` and ``update`` (an update is sparse unless
    ``sparse=False``); ``delete`` and ``void`` need only ``Id`` and ``SyncToken`` in it.
    ``query`` is the text or :class:`Query` of a ``query`` item. ``bid`` is assigned when
    omitted.
    """

    operation: BatchOperation
    entity: str | None = None
    body: Mapping[str, Any] | None = None
    query: Query | str | None = None
    bid: str | None = None
    sparse: bool = True

    def __post_init__(self) -> None:
        if self.operation not in _OPERATIONS:
            raise ValueError(f"operation must be one of {sorted(_OPERATIONS)}")
        if self.bid is not None and not 1 <= len(self.bid) <= MAX_BID_CHARS:
            raise ValueError(f"bid must have 1 to {MAX_BID_CHARS} characters")
        if self.operation == "query":
            if self.query is None or self.body is not None:
                raise ValueError("a query item takes a query and no body")
            return
        if self.entity is None or self.body is None or self.query is not None:
            raise ValueError(f"a {self.operation} item takes an entity and a body, no query")
        Query(self.entity)  # the same name check as a query's entity
        if self.operation in _WRITES_NEEDING_VERSION and not (
            self.body.get("Id") and self.body.get("SyncToken") is not None
        ):
            raise ValueError(f"a {self.operation} item needs the body's Id and SyncToken")

    def request(self, bid: str) -> dict[str, Any]:
        """The item's ``BatchItemRequest`` entry."""
        if self.operation == "query":
            text = self.query.to_sql() if isinstance(self.query, Query) else self.query
            return {"bId": bid, "Query": text}
        assert self.entity is not None  # checked on creation
        assert self.body is not None
        body = dict(self.body)
        if self.operation == "update":
            body["sparse"] = self.sparse
        elif self.operation in ("delete", "void"):
            body = {"Id": body["Id"], "SyncToken": body["SyncToken"]}
        # ``void`` is an operation of its own in a batch (XSD OperationEnum, section 4.4).
        return {"bId": bid, "operation": self.operation, self.entity: body}


@dataclass(frozen=True)
class BatchResult:
    """What became of one item: ``value`` (the entity, or a query's ``QueryResponse``), or
    ``error``."""

    item: BatchItem
    bid: str
    value: dict[str, Any] | None = None
    error: QBOError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> dict[str, Any]:
        """The value, or the item's error raised."""
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


def assign_bids(items: Sequence[BatchItem]) -> list[str]:
    """Each item's ``bId``: its own, else the next free ``b<n>``; all unique."""
    given = [item.bid for item in items if item.bid is not None]
    if len(set(given)) != len(given):
        raise ValueError("bids must be unique within a batch")
    taken = set(given)
    fresh = (bid for n in itertools.count(1) if (bid := f"b{n}") not in taken)
    return [item.bid if item.bid is not None else next(fresh) for item in items]


def chunks(
    pairs: Sequence[tuple[str, BatchItem]], size: int
) -> Iterator[Sequence[tuple[str, BatchItem]]]:
    for start in range(0, len(pairs), size):
        yield pairs[start : start + size]


def results(
    document: Mapping[str, Any],
    chunk: Sequence[tuple[str, BatchItem]],
    *,
    intuit_tid: str | None,
) -> list[BatchResult]:
    """The results of one answered chunk, in the chunk's order, matched by ``bId``."""
    answers: dict[str, Mapping[str, Any]] = {}
    listed = document.get("BatchItemResponse")
    for answer in listed if isinstance(listed, list) else []:
        if isinstance(answer, Mapping) and "bId" in answer:
            answers[str(answer["bId"])] = answer
    return [_result(bid, item, answers.get(bid), intuit_tid) for bid, item in chunk]


def _result(
    bid: str, item: BatchItem, answer: Mapping[str, Any] | None, intuit_tid: str | None
) -> BatchResult:
    if answer is None:
        cls = ServerError if item.operation == "query" else UncertainOutcomeError
        error = cls(f"the batch answer has no item with bId {bid!r}", intuit_tid=intuit_tid)
        return BatchResult(item, bid, error=error)
    if "Fault" in answer:
        return BatchResult(
            item, bid, error=error_from_fault(answer["Fault"], status=200, intuit_tid=intuit_tid)
        )
    key = "QueryResponse" if item.operation == "query" else item.entity
    value = answer.get(key) if key is not None else None
    if value is None:  # the entity under QBO's own spelling of its name
        value = next((v for k, v in answer.items() if k != "bId" and isinstance(v, dict)), None)
    if not isinstance(value, dict):
        what = f"the batch answer for bId {bid!r} holds no result"
        error = ServerError(what, intuit_tid=intuit_tid)
        return BatchResult(item, bid, error=error)
    return BatchResult(item, bid, value=value)
