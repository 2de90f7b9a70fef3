"""QBO Fault bodies, codes and messages, as QuickBooks Online returns them.

Every error the emulator produces is a :class:`FaultError` raised somewhere in the core and
rendered in one place (the HTTP layer, or the batch runner as an item Fault). The texts are the
ones recorded from real traffic, cited in ``shared/QBO-REFERENCE.md`` sections 1.8 and 6; where
the reference marks a text UNVERIFIED the most plausible wording is used and listed in
``docs/emulator.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ErrorItem",
    "FaultError",
    "amount_mismatch",
    "application_authorization_failed",
    "auth_failed",
    "batch_too_large",
    "books_closed",
    "business_validation",
    "duplicate_doc_number",
    "duplicate_name",
    "invalid_characters",
    "invalid_enumeration",
    "invalid_id",
    "invalid_query",
    "invalid_reference",
    "object_not_found",
    "required_param",
    "stale_object",
    "string_length",
    "subscription_ended",
    "system_error",
    "throttled",
    "unsupported_operation",
    "unsupported_property",
]


@dataclass(frozen=True)
class ErrorItem:
    """One ``Error`` entry of a Fault."""

    message: str
    detail: str
    code: str
    element: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            body["element"] = self.element
        return body


@dataclass
class FaultError(Exception):
    """A QBO Fault: an HTTP status and one or more errors."""

    status: int
    errors: list[ErrorItem]
    type: str = "ValidationFault"
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        first = self.errors[0]
        return f"{first.code} {first.message}: {first.detail}"

    @property
    def code(self) -> str:
        return self.errors[0].code

    def fault_json(self) -> dict[str, Any]:
        """The ``Fault`` object (without the envelope's ``time``)."""
        return {"Error": [e.to_json() for e in self.errors], "type": self.type}


def _validation(code: str, message: str, detail: str, element: str | None = None) -> FaultError:
    return FaultError(400, [ErrorItem(message, detail, code, element)])


def unsupported_operation(relative: str, full: str) -> FaultError:
    """Code 500: a path the API does not serve (recorded: HTTP 400)."""
    return _validation(
        "500",
        "Unsupported Operation",
        f"Operation Could not find resource for relative : {relative} of full path: {full} "
        "is not supported.",
    )


def object_not_found(detail: str | None = None, element: str = "") -> FaultError:
    """Code 610: the object, or an object it references, is deleted or inactive."""
    return _validation(
        "610",
        "Object Not Found",
        "Object Not Found : "
        + (
            detail
            or "Something you're trying to use has been made inactive. Check the fields with "
            "accounts, customers, items, vendors or employees."
        ),
        element,
    )


def unsupported_property(name: str, entity: str, known: int) -> FaultError:
    """Code 2010: strict JSON; an unknown property is refused (recorded text)."""
    return _validation(
        "2010",
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{name}" (class com.intuit.schema.finance.v3.{entity}), '
        f"not marked as ignorable ({known} known properties: ...) specified is unsupported or "
        "invalid",
    )


def required_param(name: str) -> FaultError:
    """Code 2020: a required field is missing."""
    return _validation(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        name,
    )


def invalid_id(supplied: str) -> FaultError:
    """Code 2030: an Id that is not a number."""
    return _validation(
        "2030", "Invalid ID", f"Id should be a valid number. Supplied value:{supplied}", "Id"
    )


def string_length(element: str, maximum: int, supplied: int, minimum: int = 0) -> FaultError:
    """Code 2050: a string too long (or too short, or with forbidden characters)."""
    return _validation(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:{minimum} "
        f"Max:{maximum} supported. Supplied length:{supplied}",
        element,
    )


def invalid_enumeration(element: str, value: object) -> FaultError:
    """Code 2170: a value outside an enumeration (Detail wording UNVERIFIED)."""
    return _validation(
        "2170",
        "Invalid Enumeration",
        f"Invalid Enumeration : {value}",
        element,
    )


def invalid_reference(element: str, value: object) -> FaultError:
    """Code 2500: a reference to an object that does not exist (Detail wording UNVERIFIED)."""
    return _validation(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {element} assigned is not valid (Id {value} does not exist)",
        element,
    )


def invalid_query(detail: str) -> FaultError:
    """Code 4001: a query the parser or validator refuses."""
    return _validation("4001", "Invalid query", f"QueryValidationError: {detail}")


def stale_object(user: str) -> FaultError:
    """Code 5010: the SyncToken sent is not the current one (recorded text)."""
    return _validation(
        "5010",
        "Stale Object Error",
        f"Stale Object Error : You and {user} were working on this at the same time. {user} "
        "finished before you did, so your work was not saved.",
    )


def business_validation(detail: str, element: str = "") -> FaultError:
    """Code 6000: a business rule refused the request."""
    return _validation(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def amount_mismatch(supplied: str) -> FaultError:
    """Code 6070: line Amount is not Qty x UnitPrice (Message/Detail split UNVERIFIED)."""
    return _validation(
        "6070",
        "Amount calculation incorrect in the request",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
        "Amount",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> FaultError:
    """Code 6140: DocNumber already used by another sales (or purchase) form."""
    return _validation(
        "6140",
        "Duplicate Doc Num",
        "Duplicate Document Number Error : You must specify a different number. This number has "
        f"already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}",
        "DocNumber",
    )


def duplicate_name(kind: str = "customer, vendor or employee") -> FaultError:
    """Code 6240: a DisplayName (or Item / Account Name) already in use."""
    return _validation(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {kind} is already using this name. "
        "Please use a different name.",
    )


def system_error() -> FaultError:
    """Code 10000: an internal error (HTTP 500)."""
    return FaultError(
        500,
        [
            ErrorItem(
                "An application error has occurred while processing your request",
                "System Failure Error: An unexpected error occurred while processing the request",
                "10000",
            )
        ],
        type="SystemFault",
    )


def auth_failed(detail: str) -> FaultError:
    """Code 3200 on HTTP 401; rendered with the lower-case ``fault`` body by the HTTP layer."""
    return FaultError(
        401,
        [
            ErrorItem(
                "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                detail,
                "3200",
            )
        ],
        type="AUTHENTICATION",
        headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
    )


def application_authorization_failed(detail: str) -> FaultError:
    """Code 3100 on HTTP 403: a valid token used for a company it was not issued for."""
    return FaultError(
        403,
        [
            ErrorItem(
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                detail,
                "3100",
            )
        ],
        type="AuthorizationFault",
    )


def invalid_characters(element: str, character: str) -> FaultError:
    """Code 2050 for a name holding a character QBO forbids (colon, tab, newline)."""
    shown = {"\t": "tab", "\n": "newline", "\r": "newline"}.get(character, character)
    return _validation(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String contains a character that is not supported: {shown} is not allowed in {element}",
        element,
    )


def throttled(retry_after: int | None = None) -> FaultError:
    """Code 3001 on HTTP 429: a request over the company's limits (recorded text, two spaces).

    QBO itself sends no Retry-After (UNVERIFIED either way); the emulator adds one, scaled
    with its time, so that clients can wait exactly as long as the window needs.
    """
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return FaultError(
        429,
        [
            ErrorItem(
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "The request limit was reached.  Try again later",
                "3001",
            )
        ],
        type="SERVICE",
        headers=headers,
    )


def subscription_ended() -> FaultError:
    """Code 6190: the company's subscription ended or lapsed (section 6)."""
    return _validation(
        "6190",
        "Invalid Company Status",
        "Subscription period has ended or been canceled, or there was a billing problem : You "
        "can't add data to QuickBooks Online Plus because your trial or subscription period "
        "ended, you canceled your subscription, or there was a billing problem. To resume "
        "adding data, please update your subscription.",
    )


def books_closed(closing_date: str | None = None) -> FaultError:
    """Code 6210: the transaction date falls in a closed accounting period."""
    when = f" on {closing_date}" if closing_date else ""
    return _validation(
        "6210",
        "Account Period Closed",
        f"The account period has closed and the books are locked{when}. You can't add, change "
        "or delete transactions dated on or before the closing date.",
        "TxnDate",
    )


def batch_too_large(maximum: int, supplied: int) -> FaultError:
    """More items than a batch may hold (server text UNVERIFIED; the .NET SDK's wording)."""
    return _validation(
        "1040",
        "Batch size exceeds allowed limit",
        f"Number of Items in Batch Request exceeded the permissible limit of {maximum} items. "
        f"Supplied: {supplied}",
    )
