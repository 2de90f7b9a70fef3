"""Every way a QuickBooks Online call can fail, translated in one place.

Whatever QBO or the network answers (a ``Fault`` in JSON or XML, the lower-case ``fault`` of a
401, a gateway's HTML page, a body that is not JSON at all, a timeout, a dropped connection)
becomes one of the classes below, grouped by what the caller does next (:class:`Action`)::

    LedgerbridgeError
    └── QBOError                      any failure of a QBO call; intuit_tid, status, code, ...
        ├── RetryLaterError           RETRY: wait, then send the same request again
        │   ├── ThrottledError        429 / 3001; retry_after from the Retry-After header
        │   ├── ServerError           5xx, 10000, gateway pages, unreadable bodies
        │   └── TransportError        timeout, refused or dropped connection
        │       └── UncertainOutcomeError   ... on a write: it may have been committed
        ├── ResolveError              RESOLVE: reconcile with what QBO holds, then retry
        │   ├── StaleObjectError      5010: someone saved first (old SyncToken)
        │   ├── DuplicateNameError    6240: the name is taken (customers, vendors, employees)
        │   ├── DuplicateDocNumberError   6140: the document number is taken
        │   └── NotFoundError         610, 2500: a referenced record is gone or inactive
        ├── DataError                 FIX_DATA: the payload is wrong; retrying it cannot help
        │   └── ValidationError       2010, 2020, 2030, 2050, 2170, 4001, 6000, 6070, 500, ...
        ├── ReconnectError            RECONNECT: the connection needs the user
        │   ├── AuthenticationError   401 / 3200 (after the one refresh the client tries)
        │   ├── AuthorizationError    403 / 3100 / 120
        │   └── InvalidGrantError     OAuth ``invalid_grant`` on refresh (raised by the OAuth
        │                             client; defined here so that everyone shares it)
        └── StopError                 STOP: the company refuses writes until its owner acts
            ├── SubscriptionEndedError   6190 (may arrive with HTTP 200)
            └── BooksClosedError      6210: the date falls in a closed period

Codes and shapes follow ``shared/QBO-REFERENCE.md`` section 1.8 (Fault envelopes, the 401
body, the XML 429), section 1.9 (HTTP status usage: "check for Fault even on 200") and
section 6 (the code catalogue and the action an engine takes for each); the grouping is
section 13.5's error-handling matrix. The code-to-class table is :data:`_BY_CODE`; codes it
does not name fall back on Intuit's code ranges, then on the HTTP status.

Every error carries Intuit's ``intuit_tid`` (section 2.2): it is what Intuit support asks for.
"""

from __future__ import annotations

import contextlib
import email.utils
import enum
import json
import re
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Final

import httpx

from ledgerbridge._errors import LedgerbridgeError

__all__ = [
    "Action",
    "AuthenticationError",
    "AuthorizationError",
    "BooksClosedError",
    "DataError",
    "DuplicateDocNumberError",
    "DuplicateNameError",
    "FaultEntry",
    "InvalidGrantError",
    "NotFoundError",
    "QBOError",
    "ReconnectError",
    "ResolveError",
    "RetryLaterError",
    "ServerError",
    "StaleObjectError",
    "StopError",
    "SubscriptionEndedError",
    "ThrottledError",
    "TransportError",
    "UncertainOutcomeError",
    "ValidationError",
    "error_from_fault",
    "error_from_response",
    "error_from_transport",
    "read_response",
]

#: The namespace of QBO's XML bodies (section 1.8: the recorded XML 429).
_XML_NAMESPACE: Final = "http://schema.intuit.com/finance/v3"
#: How much of a non-JSON body (a gateway page) an error keeps as its detail.
_SNIPPET_CHARS: Final = 200


class Action(enum.StrEnum):
    """What the caller does next with a failed operation (section 13.5)."""

    #: wait (Retry-After, or back off), then send the same request with the same requestid
    RETRY = "retry"
    #: look at what QBO holds (re-read, find the existing record), reconcile, then retry
    RESOLVE = "resolve"
    #: the payload is wrong: park the record until its data is fixed
    FIX_DATA = "fix_data"
    #: the connection needs the user: stop the realm until they reconnect
    RECONNECT = "reconnect"
    #: the company refuses writes until its owner acts in QuickBooks: pause the realm
    STOP = "stop"


@dataclass(frozen=True)
class FaultEntry:
    """One ``Error`` of a QBO Fault (``code`` is a string in every recorded body)."""

    code: str | None
    message: str | None = None
    detail: str | None = None
    element: str | None = None


class QBOError(LedgerbridgeError):
    """A QuickBooks Online call failed; the subclass says what to do next.

    ``message``, ``detail``, ``code`` and ``element`` are those of the first ``Error`` of the
    Fault (``errors`` holds all of them: QBO may return several in one Fault, section 1.8);
    ``status`` is the HTTP status (``None`` when no answer came); ``attempts`` how many times
    the client sent the request before giving up.
    """

    action: ClassVar[Action] = Action.FIX_DATA
    user_message = (
        "QuickBooks Online refused the request; the log has the details and the intuit_tid "
        "that Intuit support asks for."
    )

    def __init__(
        self,
        description: str | None = None,
        *,
        status: int | None = None,
        errors: Sequence[FaultEntry] = (),
        intuit_tid: str | None = None,
        user_message: str | None = None,
    ) -> None:
        self.status = status
        self.errors: tuple[FaultEntry, ...] = tuple(errors)
        first = self.errors[0] if self.errors else FaultEntry(None)
        self.code = first.code
        self.message = first.message
        self.detail = first.detail
        self.element = first.element or None
        self.intuit_tid = intuit_tid
        self.attempts = 1
        super().__init__(description or self._describe(), user_message=user_message)

    def _describe(self) -> str:
        parts = []
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.message:
            parts.append(self.message)
        if self.detail and self.detail != self.message:
            parts.append(f"({self.detail})")
        if self.element:
            parts.append(f"[element {self.element}]")
        return " ".join(parts) or "QuickBooks Online call failed"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles only ``args``; the keyword-only state would be lost on the way to
        # another process (a worker handing an error back).
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    def __str__(self) -> str:
        text = super().__str__()
        context = []
        if self.status is not None:
            context.append(f"HTTP {self.status}")
        if self.intuit_tid is not None:
            context.append(f"intuit_tid {self.intuit_tid}")
        return f"{text} [{', '.join(context)}]" if context else text


# -- retry later ---------------------------------------------------------------------------------


class RetryLaterError(QBOError):
    """Transient: the same request, sent again later, may succeed."""

    action = Action.RETRY
    user_message = (
        "QuickBooks Online is not answering right now; ledgerbridge will try again shortly."
    )


class ThrottledError(RetryLaterError):
    """429 with Fault 3001 (older QBO: 403): over Intuit's per-realm limits (section 5).

    ``retry_after`` is the Retry-After header in seconds when the answer had one (Intuit's
    recordings have none; the docs say wait 60 seconds).
    """

    user_message = (
        "QuickBooks is limiting how fast ledgerbridge may send; syncing pauses for a minute and "
        "resumes by itself."
    )

    def __init__(
        self,
        description: str | None = None,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        errors: Sequence[FaultEntry] = (),
        intuit_tid: str | None = None,
        user_message: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            description,
            status=status,
            errors=errors,
            intuit_tid=intuit_tid,
            user_message=user_message,
        )


class ServerError(RetryLaterError):
    """QBO or a gateway in front of it failed: 5xx, code 10000, an HTML page, unreadable JSON."""

    user_message = (
        "QuickBooks Online had a temporary problem on its side; ledgerbridge will try again "
        "shortly."
    )


class TransportError(RetryLaterError):
    """No usable answer came back: a timeout, a refused or a dropped connection."""

    user_message = (
        "ledgerbridge could not reach QuickBooks Online (a network problem or a timeout); it "
        "will try again shortly."
    )


class UncertainOutcomeError(TransportError):
    """A write whose answer was lost: QBO may have committed it.

    Retry it only with the same ``requestid`` (QBO then replays the first answer instead of
    writing twice, section 1.4), or look in QBO first (section 13.3).
    """

    user_message = (
        "The connection to QuickBooks dropped before it confirmed the save; ledgerbridge will "
        "check and retry without creating a duplicate."
    )


# -- resolve -------------------------------------------------------------------------------------


class ResolveError(QBOError):
    """The request conflicts with what QBO holds: reconcile, then try again."""

    action = Action.RESOLVE
    user_message = (
        "This record conflicts with one already in QuickBooks; ledgerbridge has to reconcile "
        "them before it can continue."
    )


class StaleObjectError(ResolveError):
    """5010: the SyncToken sent is old; someone saved the object first (section 4.1)."""

    user_message = (
        "Someone changed this record in QuickBooks while ledgerbridge was updating it; it will "
        "be re-read and the change applied again."
    )


class DuplicateNameError(ResolveError):
    """6240: the name is already used (customers, vendors and employees share one namespace)."""

    user_message = (
        "QuickBooks refused the name because another record already uses it (customers, vendors "
        "and employees share one list of names): rename one of them, or link this record to the "
        "existing one."
    )


class DuplicateDocNumberError(ResolveError):
    """6140: another transaction already has this DocNumber (section 8.3)."""

    user_message = (
        "QuickBooks refused the document number because another transaction already uses it: "
        "change the number, or allow duplicate numbers in the sync settings."
    )


class NotFoundError(ResolveError):
    """610 (deleted or inactive) or 2500 (invalid reference): an object QBO cannot use."""

    user_message = (
        "A record this one refers to (a customer, item, account...) was deleted or made "
        "inactive in QuickBooks: reactivate it there, or link this record to another one."
    )


# -- fix the data --------------------------------------------------------------------------------


class DataError(QBOError):
    """The payload is wrong: sending it again unchanged fails again."""

    action = Action.FIX_DATA
    user_message = (
        "QuickBooks refused this record's data: correct the field named in the details and "
        "sync it again."
    )


class ValidationError(DataError):
    """2xxx, 4001, 6xxx validation and business-rule Faults, and 500 Unsupported Operation."""

    user_message = (
        "QuickBooks refused this record because a field is missing or invalid: correct the "
        "field named in the details and sync it again."
    )


# -- reconnect -----------------------------------------------------------------------------------


class ReconnectError(QBOError):
    """The connection to the company no longer works until the user reconnects."""

    action = Action.RECONNECT
    user_message = (
        "The connection to QuickBooks is no longer valid: click Reconnect in ledgerbridge's "
        "settings; nothing is lost meanwhile."
    )


class AuthenticationError(ReconnectError):
    """401 / 3200: the access token was refused (the client refreshes once before raising)."""

    user_message = (
        "QuickBooks no longer accepts ledgerbridge's sign-in: click Reconnect in the settings; "
        "nothing is lost meanwhile."
    )


class AuthorizationError(ReconnectError):
    """403 / 3100 / 120: the app may not use this company, or the plan lacks the feature."""

    user_message = (
        "QuickBooks denied access to this company (the app was disconnected, or the plan lacks "
        "the feature): reconnect, or check the QuickBooks subscription."
    )


class InvalidGrantError(ReconnectError):
    """The OAuth server answered ``invalid_grant``: the refresh token is revoked or expired."""

    user_message = (
        "The QuickBooks connection expired or was revoked: click Reconnect in the settings; "
        "nothing is lost meanwhile."
    )


# -- stop ----------------------------------------------------------------------------------------


class StopError(QBOError):
    """The company refuses writes until its owner acts in QuickBooks itself."""

    action = Action.STOP
    user_message = (
        "QuickBooks will not accept changes to this company until its owner acts; syncing is "
        "paused."
    )


class SubscriptionEndedError(StopError):
    """6190: the trial or subscription ended, or billing failed (seen with HTTP 200 too)."""

    user_message = (
        "The QuickBooks Online subscription has ended or has a billing problem: update it in "
        "QuickBooks, and syncing resumes."
    )


class BooksClosedError(StopError):
    """6210: the transaction is dated in a closed accounting period."""

    user_message = (
        "The books are closed in QuickBooks for this transaction's date: move the closing date "
        "in QuickBooks, or date the transaction after it."
    )


# -- translation ---------------------------------------------------------------------------------

#: Each QBO code the engine acts on, and its class (section 6, section 13.5).
_BY_CODE: Final[Mapping[str, type[QBOError]]] = {
    "120": AuthorizationError,
    "500": ValidationError,  # Unsupported Operation: our bug, not QBO's outage
    "610": NotFoundError,
    "1040": ValidationError,  # batch larger than allowed
    "2010": ValidationError,
    "2020": ValidationError,
    "2030": ValidationError,
    "2050": ValidationError,
    "2170": ValidationError,
    "2500": NotFoundError,
    "3001": ThrottledError,
    "3100": AuthorizationError,
    "3200": AuthenticationError,
    "4001": ValidationError,
    "5010": StaleObjectError,
    "6000": ValidationError,
    "6070": ValidationError,
    "6140": DuplicateDocNumberError,
    "6190": SubscriptionEndedError,
    "6210": BooksClosedError,
    "6240": DuplicateNameError,
    "10000": ServerError,
}


def _restore(cls: type[QBOError], args: tuple[Any, ...], state: dict[str, Any]) -> QBOError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


def _by_range(code: int) -> type[QBOError]:
    """Intuit's code ranges (section 6) for a code the table does not name."""
    if code < 500:
        return AuthorizationError
    if code >= 10000:
        return ServerError
    return ValidationError


def _by_status(status: int) -> type[QBOError]:
    if status == 401:
        return AuthenticationError
    if status == 403:
        return AuthorizationError
    if status == 429:
        return ThrottledError
    if status == 404:
        return NotFoundError
    if status == 408 or status >= 500:
        return ServerError
    return ValidationError


def _error_class(status: int, code: str | None) -> type[QBOError]:
    # A 401 is about the token whatever its body says: clients key on the status (section 1.8).
    if status == 401:
        return AuthenticationError
    if code is not None:
        known = _BY_CODE.get(code)
        if known is not None:
            return known
    if status in (403, 429) or status >= 500:
        return _by_status(status)
    if code is not None and code.isdigit():
        return _by_range(int(code))
    return _by_status(status)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value)


def _entries(errors: object, *, lower: bool) -> list[FaultEntry]:
    """The ``Error`` list of a JSON Fault (``error`` with lower-case keys in a 401's body)."""
    if isinstance(errors, Mapping):
        errors = [errors]
    if not isinstance(errors, list):
        return []
    names = ("code", "message", "detail", "element") if lower else ("code", "Message", "Detail")
    entries = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        code, message, detail = (_text(error.get(name)) for name in names[:3])
        entries.append(FaultEntry(code, message, detail, _text(error.get("element"))))
    return entries


def _json_fault(document: object) -> list[FaultEntry] | None:
    """The entries of a JSON document's Fault, or ``None`` when it has none."""
    if not isinstance(document, Mapping):
        return None
    fault = document.get("Fault")
    if isinstance(fault, Mapping):
        return _entries(fault.get("Error"), lower=False) or [FaultEntry(None)]
    fault = document.get("fault")  # the 401 body (section 1.8)
    if isinstance(fault, Mapping):
        return _entries(fault.get("error"), lower=True) or [FaultEntry(None)]
    return None


def _xml_fault(body: bytes) -> list[FaultEntry] | None:
    """The entries of an XML ``IntuitResponse`` Fault (the recorded 429, section 1.8)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    fault = root if _local(root.tag) == "Fault" else _child(root, "Fault")
    if fault is None:
        return None
    entries = []
    for error in fault:
        if _local(error.tag) != "Error":
            continue
        message, detail = _child(error, "Message"), _child(error, "Detail")
        entries.append(
            FaultEntry(
                error.get("code"),
                message.text if message is not None else None,
                detail.text if detail is not None else None,
                error.get("element"),
            )
        )
    return entries or [FaultEntry(None)]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(parent: ElementTree.Element, name: str) -> ElementTree.Element | None:
    found = parent.find(f"{{{_XML_NAMESPACE}}}{name}")
    return found if found is not None else parent.find(name)


def _snippet(body: bytes) -> str:
    """The readable start of a non-JSON body (tags and extra spaces removed)."""
    text = body[: _SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", text)).strip()
    return text[:_SNIPPET_CHARS]


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def intuit_tid_of(headers: httpx.Headers) -> str | None:
    """Intuit's transaction id: the official SDKs read ``intuit_tid``; QBO also sends
    ``Intuit-Tid`` (section 2.2)."""
    value: str | None = headers.get("intuit_tid") or headers.get("intuit-tid")
    return value


def error_from_fault(
    fault: object,
    *,
    status: int = 200,
    intuit_tid: str | None = None,
    retry_after: float | None = None,
) -> QBOError:
    """The error for one ``Fault`` object, as a batch item carries it (section 1.7)."""
    entries = _json_fault({"Fault": fault}) or [FaultEntry(None)]
    return _build(status, entries, intuit_tid=intuit_tid, retry_after=retry_after)


def _build(
    status: int,
    entries: Sequence[FaultEntry],
    *,
    intuit_tid: str | None,
    retry_after: float | None,
    description: str | None = None,
) -> QBOError:
    cls = _error_class(status, entries[0].code if entries else None)
    if issubclass(cls, ThrottledError):
        return cls(
            description,
            retry_after=retry_after,
            status=status,
            errors=entries,
            intuit_tid=intuit_tid,
        )
    return cls(description, status=status, errors=entries, intuit_tid=intuit_tid)


def _parse_json(body: bytes) -> Any:
    return json.loads(body, parse_float=Decimal)


def error_from_response(response: httpx.Response) -> QBOError | None:
    """The error a QBO answer stands for, or ``None`` when it is a success.

    A Fault is recognised on any status, 200 included (section 1.9: 6190 has come back with a
    200): the capital ``Fault`` of QBO's JSON, the lower-case ``fault`` of a 401, and the
    ``IntuitResponse`` Fault of an XML body. Without a Fault, a success status is a success
    unless its body is not JSON (a gateway page or a cut-off body: :class:`ServerError`),
    and an error status is classified by the status alone. The response must have been read.
    """
    return read_response(response)[0]


def read_response(response: httpx.Response) -> tuple[QBOError | None, Any]:
    """:func:`error_from_response`, and the JSON document the body held (``None`` when it
    held none), parsed once: a success's caller reads its answer from it."""
    status = response.status_code
    headers = response.headers
    tid = intuit_tid_of(headers)
    retry_after = _retry_after(headers.get("retry-after"))
    body = response.content
    content_type = headers.get("content-type", "").lower()
    stripped = body.lstrip()
    document: Any = None
    readable = False
    entries: list[FaultEntry] | None = None
    looks_xml = stripped.startswith((b"<?xml", b"<IntuitResponse"))
    if stripped[:1] in (b"{", b"[") or ("json" in content_type and not looks_xml):
        try:
            document = _parse_json(body)
        except (ValueError, UnicodeDecodeError):
            pass
        else:
            readable = True
            entries = _json_fault(document)
    elif looks_xml or "xml" in content_type:
        entries = _xml_fault(body)
        readable = entries is not None
    if entries is not None:
        return _build(status, entries, intuit_tid=tid, retry_after=retry_after), document
    if 200 <= status < 300:
        if readable or (not body and status == 204):
            return None, document
        what = "an empty body" if not body else f"a body that is not JSON: {_snippet(body)!r}"
        error = ServerError(
            f"QBO answered HTTP {status} with {what}", status=status, intuit_tid=tid
        )
        return error, document
    detail = _snippet(body) if body else None
    reason = response.reason_phrase or "error"
    entry = FaultEntry(None, f"HTTP {status} {reason}", detail)
    return _build(status, [entry], intuit_tid=tid, retry_after=retry_after), document


#: Failures that happen before a request leaves: a write that met one was not committed.
_NOT_SENT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


def error_from_transport(exc: httpx.TransportError, *, write: bool) -> TransportError:
    """The error for a request that got no answer.

    A write whose request may have reached QBO (a read timeout, a connection dropped
    mid-answer) is an :class:`UncertainOutcomeError`: QBO may have committed it (section 13.3).
    A failure to connect means the request never left, so the outcome is certain.
    """
    cls = UncertainOutcomeError if write and not isinstance(exc, _NOT_SENT) else TransportError
    what = type(exc).__name__
    text = str(exc)
    description = what + (f": {text}" if text else "")
    if cls is UncertainOutcomeError:
        description += " (the write may have been committed)"
    error = cls(description, errors=[FaultEntry(None, what, text or None)])
    error.__cause__ = exc
    return error
