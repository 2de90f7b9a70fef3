"""One namespace per QBO entity: ``qbo.customers.create(...)``, ``qbo.invoices.void(...)``.

The operations follow ``shared/QBO-REFERENCE.md`` section 1.2 (URL shapes) and section 4:

* every entity is read by Id and queried; ``query`` returns one page, ``iterate`` pages
  through ``STARTPOSITION``/``MAXRESULTS 1000`` until a short page (section 3.3);
* ``create`` posts a body without ``Id``; ``update`` posts ``Id`` and ``SyncToken``, sparse
  by default so that fields changed in QBO and not sent are kept (section 4.2);
* name lists cannot be deleted, only deactivated with a sparse ``Active: false`` (4.3);
* transactions are deleted with ``?operation=delete`` (4.3); an Invoice is voided with
  ``?operation=void``, a Payment or SalesReceipt with ``?operation=update&include=void`` and
  a sparse body (4.4).

Every write takes an optional ``request_id``: the caller's durable id of the operation
(at most 50 characters, section 1.4); without one the client makes a UUID for the call. It is
reused on every retry of the call, so that QBO replays instead of writing twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from ._errors import ServerError
from ._query import MAX_RESULTS, Query

if TYPE_CHECKING:
    from ._client import QBOClient

__all__ = [
    "NameListResource",
    "Page",
    "Resource",
    "TransactionResource",
    "VoidableResource",
    "WritableResource",
]


@dataclass(frozen=True)
class Page:
    """One page of a query: its rows and where it started.

    ``page_size`` is the ``MAXRESULTS`` asked for; QBO's own ``maxResults`` is the number of
    rows returned (section 1.7), so a page shorter than ``page_size`` is the last one.
    """

    entity: str
    items: list[dict[str, Any]]
    start_position: int
    page_size: int

    @property
    def is_last(self) -> bool:
        return len(self.items) < self.page_size

    @property
    def next_start(self) -> int:
        return self.start_position + len(self.items)


def rows(response: Mapping[str, Any], entity: str) -> list[dict[str, Any]]:
    """The rows of a ``QueryResponse`` (``{}`` when nothing matched)."""
    found = response.get(entity)
    if found is None:  # QBO's spelling of the name, when the query spelled it otherwise
        wanted = entity.lower()
        found = next((v for k, v in response.items() if k.lower() == wanted), [])
    if not isinstance(found, list):
        raise ServerError(f"the QueryResponse holds no list of {entity}")
    return found


def _path_id(object_id: str) -> str:
    if not isinstance(object_id, str) or not object_id:
        raise ValueError("an object Id is a non-empty string")
    return quote(object_id, safe="")


class Resource:
    """Read and query one entity (every namespace can)."""

    def __init__(self, client: QBOClient, entity: str) -> None:
        Query(entity)  # checks the name
        self._client = client
        #: Intuit's name of the entity, e.g. ``SalesReceipt``
        self.entity = entity
        # Every SDK sends the path segment lower-case (section 1.2).
        self._path = entity.lower()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.entity}>"

    def select(self) -> Query:
        """``SELECT * FROM <entity>``, to narrow with ``.where(...)``."""
        return Query(self.entity)

    async def read(self, object_id: str) -> dict[str, Any]:
        """``GET /<entity>/<id>``; a deleted transaction raises :class:`NotFoundError` (610)."""
        document = await self._client._send("GET", f"{self._path}/{_path_id(object_id)}")
        return self._client._unwrap(document, self.entity)

    async def query(
        self,
        query: Query | None = None,
        *,
        start_position: int = 1,
        max_results: int = MAX_RESULTS,
    ) -> Page:
        """One page of ``query`` (default: every row; name lists return active rows only
        unless the query filters on ``Active``, section 3.1)."""
        query = self._own(query)
        text = query.to_sql(start_position=start_position, max_results=max_results)
        response = await self._client.query(text)
        return Page(self.entity, rows(response, self.entity), start_position, max_results)

    async def iterate(
        self, query: Query | None = None, *, page_size: int = MAX_RESULTS
    ) -> AsyncIterator[dict[str, Any]]:
        """Every row of ``query``, a page at a time, until a page comes back short.

        Rows created or deleted while paging may shift the pages; order by a stable key
        (``MetaData.LastUpdatedTime``, section 3.3) when that matters.
        """
        start = 1
        while True:
            page = await self.query(query, start_position=start, max_results=page_size)
            for row in page.items:
                yield row
            if page.is_last:
                return
            start = page.next_start

    async def count(self, query: Query | None = None) -> int:
        """``SELECT COUNT(*)``: how many rows ``query`` matches."""
        response = await self._client.query(self._own(query).count().to_sql())
        total = response.get("totalCount", 0)
        if not isinstance(total, int):
            raise ServerError("the QueryResponse of a COUNT(*) holds no totalCount")
        return total

    def _own(self, query: Query | None) -> Query:
        if query is None:
            return self.select()
        if query.entity.lower() != self.entity.lower():
            raise ValueError(f"a query on {query.entity} given to the {self.entity} namespace")
        return query

    async def _post(
        self,
        body: Mapping[str, Any],
        *,
        params: Mapping[str, str] | None = None,
        request_id: str | None,
    ) -> dict[str, Any]:
        document = await self._client._send(
            "POST", self._path, params=params, json=body, write=True, request_id=request_id
        )
        return self._client._unwrap(document, self.entity)


class WritableResource(Resource):
    """An entity ledgerbridge creates and updates."""

    async def create(
        self, body: Mapping[str, Any], *, request_id: str | None = None
    ) -> dict[str, Any]:
        """``POST /<entity>`` with a body without ``Id``: the created object."""
        if body.get("Id") not in (None, ""):
            raise ValueError("a body with an Id updates; call update() for that")
        return await self._post(body, request_id=request_id)

    async def update(
        self, body: Mapping[str, Any], *, sparse: bool = True, request_id: str | None = None
    ) -> dict[str, Any]:
        """``POST /<entity>`` with ``Id`` and ``SyncToken``; sparse unless ``sparse=False``.

        A full update clears every writable field the body omits (section 4.2). An old
        ``SyncToken`` raises :class:`StaleObjectError` (5010).
        """
        if body.get("Id") in (None, "") or body.get("SyncToken") is None:
            raise ValueError("an update needs the object's Id and SyncToken")
        return await self._post({**body, "sparse": sparse}, request_id=request_id)


class NameListResource(WritableResource):
    """A name list (Customer, Item, Account, ...): never deleted, deactivated instead."""

    async def deactivate(
        self, object_id: str, sync_token: str, *, request_id: str | None = None
    ) -> dict[str, Any]:
        """A sparse ``Active: false``: QBO hides the record and renames it "<name> (deleted)"
        (section 4.3)."""
        body = {"Id": object_id, "SyncToken": sync_token, "sparse": True, "Active": False}
        return await self._post(body, request_id=request_id)


class TransactionResource(WritableResource):
    """A transaction: deleted for good with ``?operation=delete`` (section 4.3)."""

    async def delete(
        self, object_id: str, sync_token: str, *, request_id: str | None = None
    ) -> dict[str, Any]:
        """The deletion stub QBO answers: ``{"status": "Deleted", "Id": ...}``."""
        body = {"Id": object_id, "SyncToken": sync_token}
        return await self._post(body, params={"operation": "delete"}, request_id=request_id)


VoidStyle = Literal["operation", "include"]


class VoidableResource(TransactionResource):
    """A transaction that can also be voided: kept, with its amounts set to zero (4.4)."""

    def __init__(self, client: QBOClient, entity: str, *, void_style: VoidStyle) -> None:
        super().__init__(client, entity)
        self._void_style = void_style

    async def void(
        self, object_id: str, sync_token: str, *, request_id: str | None = None
    ) -> dict[str, Any]:
        """The voided object (``PrivateNote`` "Voided", ``TotalAmt`` 0)."""
        if self._void_style == "operation":  # Invoice: ?operation=void (recorded)
            body: dict[str, Any] = {"Id": object_id, "SyncToken": sync_token}
            params = {"operation": "void"}
        else:  # Payment, SalesReceipt: ?operation=update&include=void, sparse (SDKs)
            body = {"Id": object_id, "SyncToken": sync_token, "sparse": True}
            params = {"operation": "update", "include": "void"}
        return await self._post(body, params=params, request_id=request_id)
