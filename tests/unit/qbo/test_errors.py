"""The error taxonomy: every recorded Fault shape and every code lands in the right class."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.qbo import (
    Action,
    AuthenticationError,
    AuthorizationError,
    BooksClosedError,
    DataError,
    DuplicateDocNumberError,
    DuplicateNameError,
    InvalidGrantError,
    NotFoundError,
    QBOError,
    ReconnectError,
    ResolveError,
    RetryLaterError,
    ServerError,
    StaleObjectError,
    StopError,
    SubscriptionEndedError,
    ThrottledError,
    TransportError,
    UncertainOutcomeError,
    ValidationError,
    error_from_fault,
    error_from_response,
    error_from_transport,
)

TID = "1-5f7349e0-0fd2bee86a8a83c67a77fbb2"
JSON = "application/json;charset=utf-8"

# -- bodies recorded from real QBO traffic (shared/QBO-REFERENCE.md sections 1.7, 1.8, 4.1) --

#: qbo_api spec/vcr/error/401.yml, cut where the recording's Content-Length cut it, then closed
RECORDED_401 = (
    b'{"warnings":null,"intuitObject":null,"fault":{"error":[{"message":"message='
    b'AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: '
    b'AB0160139...","code":"3200","element":null}],"type":"AUTHENTICATION"},"report":null,'
    b'"queryResponse":null,"batchItemResponse":[],"attachableResponse":[],'
    b'"syncErrorResponse":null,"requestId":null}'
)

#: ruckus/quickbooks-ruby spec/fixtures/too_many_requests_error.xml
RECORDED_429_XML = b"""<IntuitResponse time="2016-12-07T15:27:09.527-08:00" xmlns="http://schema.intuit.com/finance/v3">
  <Fault type="SERVICE"><Error code="3001">
    <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
    <Detail>The request limit was reached.  Try again later</Detail>
  </Error></Fault></IntuitResponse>"""

#: qbo_api spec/vcr/error/validation.yml
RECORDED_6240 = (
    b'{"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied '
    b'already exists. : null","code":"6240"}],"type":"ValidationFault"},'
    b'"time":"2020-09-29T06:58:50.262-07:00"}'
)

#: qbo_api spec/vcr/batch/basic.yml, the two failed items
RECORDED_BATCH_610 = {
    "Error": [
        {
            "Message": "Object Not Found",
            "Detail": "Object Not Found : Something you're trying to use has been made inactive. "
            "Check the fields with accounts, customers, items, vendors or employees.",
            "code": "610",
            "element": "",
        }
    ],
    "type": "ValidationFault",
}
RECORDED_BATCH_5010 = {
    "Error": [
        {
            "Message": "Stale Object Error",
            "Detail": "Stale Object Error : You and Christian Pelczarski were working on this at "
            "the same time. Christian Pelczarski finished before you did, so your work was not "
            "saved.",
            "code": "5010",
            "element": "",
        }
    ],
    "type": "ValidationFault",
}

#: PHP SDK issue #211: 6190 with HTTP 200
RECORDED_6190 = (
    b'{"Fault":{"Error":[{"Message":"Invalid Company Status","Detail":"Subscription period has '
    b"ended or been canceled, or there was a billing problem : You can't add data to QuickBooks "
    b'Online Plus because your trial or subscription period ended.","code":"6190"}],'
    b'"type":"ValidationFault"},"time":"2017-01-01T00:00:00.000-08:00"}'
)

#: qbo_api spec/vcr/error/500.yml (an unknown path: code 500 with HTTP 400)
RECORDED_UNSUPPORTED = (
    b'{"Fault":{"Error":[{"Message":"Unsupported Operation","Detail":"Operation Could not find '
    b"resource for relative : /v3/company/1/customer/1/5 of full path: https://c50.sandbox.qbo."
    b'intuit.com/qbo50/v3/company/1/customer/1/5 is not supported.","code":"500"}],'
    b'"type":"ValidationFault"},"time":"2020-09-29T06:58:50.262-07:00"}'
)


def response(
    status: int, body: bytes, *, content_type: str = JSON, **headers: str
) -> httpx.Response:
    all_headers = {
        "Content-Type": content_type,
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    return httpx.Response(status, headers=all_headers, content=body)


def fault(code: str, message: str = "Message", detail: str = "Detail") -> bytes:
    return (
        b'{"Fault":{"Error":[{"Message":"%s","Detail":"%s","code":"%s"}],"type":"ValidationFault"}}'
        % (message.encode(), detail.encode(), code.encode())
    )


def test_recorded_401_lower_case_body_is_authentication_error() -> None:
    """The 401's lower-case ``fault`` body is read: code, message and detail come through."""
    error = error_from_response(response(401, RECORDED_401, Intuit_Tid=TID))
    assert isinstance(error, AuthenticationError)
    assert error.action is Action.RECONNECT
    assert (error.status, error.code, error.intuit_tid) == (401, "3200", TID)
    assert error.message == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error.detail == "Token expired: AB0160139..."
    assert error.element is None


def test_recorded_xml_429_is_throttled_with_retry_after() -> None:
    """The XML IntuitResponse Fault is parsed, and Retry-After is read in seconds."""
    error = error_from_response(
        response(429, RECORDED_429_XML, content_type="application/xml", Retry_After="7")
    )
    assert isinstance(error, ThrottledError)
    assert error.retry_after == 7.0
    assert error.code == "3001"
    assert error.detail == "The request limit was reached.  Try again later"
    assert error.action is Action.RETRY


def test_xml_429_without_retry_after_has_none() -> None:
    """No Retry-After (as in every QBO recording) leaves the wait to the policy."""
    error = error_from_response(response(429, RECORDED_429_XML, content_type="text/xml"))
    assert isinstance(error, ThrottledError)
    assert error.retry_after is None


def test_xml_fault_is_read_whatever_the_content_type_says() -> None:
    """The body decides: an XML Fault labelled as JSON is still a Fault."""
    error = error_from_response(response(429, RECORDED_429_XML, content_type=JSON))
    assert isinstance(error, ThrottledError) and error.code == "3001"


def test_retry_after_as_http_date() -> None:
    """Retry-After may be an HTTP date (RFC 9110); it becomes seconds from now."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    error = error_from_response(response(429, fault("3001"), Retry_After=when))
    assert isinstance(error, ThrottledError)
    assert error.retry_after is not None and 25 < error.retry_after <= 30


def test_old_403_throttle_variant_is_still_throttled() -> None:
    """Older QBO sent the 3001 Fault with HTTP 403 (ruby throttle_exceeded_error.xml)."""
    body = RECORDED_429_XML.replace(b"statusCode=429", b"statusCode=403")
    error = error_from_response(response(403, body, content_type="application/xml"))
    assert isinstance(error, ThrottledError)


def test_recorded_6240_is_duplicate_name() -> None:
    error = error_from_response(response(400, RECORDED_6240, intuit_tid=TID))
    assert isinstance(error, DuplicateNameError)
    assert error.action is Action.RESOLVE
    assert (error.status, error.code, error.intuit_tid) == (400, "6240", TID)
    assert error.detail == "The name supplied already exists. : null"
    assert "customers, vendors and employees share one list of names" in error.user_message


def test_recorded_batch_item_faults() -> None:
    """Batch item Faults (HTTP 200 around them) map with the same table."""
    not_found = error_from_fault(RECORDED_BATCH_610, intuit_tid=TID)
    stale = error_from_fault(RECORDED_BATCH_5010)
    assert isinstance(not_found, NotFoundError) and not_found.status == 200
    assert not_found.element is None  # "" means no element
    assert not_found.intuit_tid == TID
    assert isinstance(stale, StaleObjectError)
    assert "Christian Pelczarski" in (stale.detail or "")


def test_6190_with_http_200_is_subscription_ended() -> None:
    """A Fault is an error even when the status says success (section 1.9)."""
    error = error_from_response(response(200, RECORDED_6190))
    assert isinstance(error, SubscriptionEndedError)
    assert error.status == 200
    assert error.action is Action.STOP


def test_recorded_unsupported_operation_is_validation() -> None:
    """Code 500 is Unsupported Operation (our bug), not a server outage."""
    error = error_from_response(response(400, RECORDED_UNSUPPORTED))
    assert isinstance(error, ValidationError)
    assert error.code == "500"


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("120", 403, AuthorizationError),
        ("500", 400, ValidationError),
        ("610", 400, NotFoundError),
        ("1040", 400, ValidationError),
        ("2010", 400, ValidationError),
        ("2020", 400, ValidationError),
        ("2030", 400, ValidationError),
        ("2050", 400, ValidationError),
        ("2170", 400, ValidationError),
        ("2500", 400, NotFoundError),
        ("3001", 429, ThrottledError),
        ("3100", 403, AuthorizationError),
        ("3200", 401, AuthenticationError),
        ("4001", 400, ValidationError),
        ("5010", 400, StaleObjectError),
        ("6000", 400, ValidationError),
        ("6070", 400, ValidationError),
        ("6140", 400, DuplicateDocNumberError),
        ("6190", 400, SubscriptionEndedError),
        ("6210", 400, BooksClosedError),
        ("6240", 400, DuplicateNameError),
        ("10000", 500, ServerError),
        # not in the table: Intuit's ranges (section 6), then the status
        ("6540", 400, ValidationError),
        ("2999", 400, ValidationError),
        ("5020", 400, ValidationError),
        ("15000", 400, ServerError),
        ("42", 400, AuthorizationError),
        ("7777", 503, ServerError),
        ("7777", 403, AuthorizationError),
        ("7777", 429, ThrottledError),
        # a 401 is about the token, whatever the code says
        ("3100", 401, AuthenticationError),
    ],
)
def test_code_table(code: str, status: int, cls: type[QBOError]) -> None:
    """Each QBO code the engine acts on has its class; unknown codes fall back sensibly."""
    error = error_from_response(response(status, fault(code)))
    assert type(error) is cls
    assert error.code == code


def test_several_errors_are_all_kept_and_the_first_decides() -> None:
    """QBO may return several Errors in one Fault (2050 and 2020 together, section 1.8)."""
    body = (
        b'{"Fault":{"Error":[{"Message":"String length","Detail":"Max:21","code":"2050",'
        b'"element":"DocNumber"},{"Message":"Required param missing","Detail":"AccountRef",'
        b'"code":"2020","element":"AccountRef"}],"type":"ValidationFault"}}'
    )
    error = error_from_response(response(400, body))
    assert isinstance(error, ValidationError)
    assert [e.code for e in error.errors] == ["2050", "2020"]
    assert (error.code, error.element) == ("2050", "DocNumber")
    assert error.errors[1].element == "AccountRef"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_html_pages_are_server_errors(status: int) -> None:
    """A gateway's HTML page (no Fault, not JSON) is a server error with its text kept."""
    body = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
    error = error_from_response(response(status, body, content_type="text/html", intuit_tid=TID))
    assert isinstance(error, ServerError)
    assert error.status == status and error.intuit_tid == TID
    assert error.detail == "503 Service Unavailable"
    assert error.code is None


def test_system_fault_10000_is_a_server_error() -> None:
    body = fault("10000", "An application error has occurred while processing your request")
    error = error_from_response(response(500, body))
    assert isinstance(error, ServerError)
    assert error.action is Action.RETRY


def test_malformed_json_on_200_is_a_server_error() -> None:
    """A success status with a body cut short cannot be trusted: retry it (same requestid)."""
    error = error_from_response(response(200, b'{"Customer":{"Id":"1"'))
    assert isinstance(error, ServerError)
    assert error.status == 200


def test_malformed_json_on_400_goes_by_status() -> None:
    error = error_from_response(response(400, b"{not json"))
    assert isinstance(error, ValidationError)
    assert error.detail == "{not json"


def test_plain_text_500_is_a_server_error() -> None:
    error = error_from_response(response(500, b"Internal Server Error", content_type="text/plain"))
    assert isinstance(error, ServerError)


def test_empty_200_is_a_server_error_but_204_is_not() -> None:
    assert isinstance(error_from_response(response(200, b"")), ServerError)
    assert error_from_response(response(204, b"")) is None


def test_success_is_none() -> None:
    body = b'{"Customer":{"Id":"1","Balance":100.00},"time":"2020-09-29T05:58:07.300-07:00"}'
    assert error_from_response(response(200, body)) is None


@pytest.mark.parametrize("header", ["intuit_tid", "Intuit-Tid"])
def test_intuit_tid_from_either_header(header: str) -> None:
    """The SDKs read ``intuit_tid``; QBO's recordings show ``Intuit-Tid``."""
    raw = httpx.Response(400, headers={header: TID, "Content-Type": JSON}, content=RECORDED_6240)
    error = error_from_response(raw)
    assert error is not None and error.intuit_tid == TID


def test_read_timeout_on_a_write_is_an_uncertain_outcome() -> None:
    exc = httpx.ReadTimeout("timed out")
    error = error_from_transport(exc, write=True)
    assert isinstance(error, UncertainOutcomeError)
    assert error.__cause__ is exc
    assert error.status is None
    assert "may have been committed" in str(error)


def test_read_timeout_on_a_read_is_a_plain_transport_error() -> None:
    error = error_from_transport(httpx.ReadTimeout("timed out"), write=False)
    assert type(error) is TransportError


def test_dropped_connection_on_a_write_is_uncertain() -> None:
    error = error_from_transport(httpx.RemoteProtocolError("peer closed"), write=True)
    assert isinstance(error, UncertainOutcomeError)


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
def test_a_write_that_never_connected_is_certain(exc: httpx.TransportError) -> None:
    """A request that never left cannot have been committed."""
    error = error_from_transport(exc, write=True)
    assert type(error) is TransportError


GROUPS: dict[type[QBOError], Action] = {
    RetryLaterError: Action.RETRY,
    ResolveError: Action.RESOLVE,
    DataError: Action.FIX_DATA,
    ReconnectError: Action.RECONNECT,
    StopError: Action.STOP,
}
LEAVES: dict[type[QBOError], type[QBOError]] = {
    ThrottledError: RetryLaterError,
    ServerError: RetryLaterError,
    TransportError: RetryLaterError,
    UncertainOutcomeError: TransportError,
    StaleObjectError: ResolveError,
    DuplicateNameError: ResolveError,
    DuplicateDocNumberError: ResolveError,
    NotFoundError: ResolveError,
    ValidationError: DataError,
    AuthenticationError: ReconnectError,
    AuthorizationError: ReconnectError,
    InvalidGrantError: ReconnectError,
    SubscriptionEndedError: StopError,
    BooksClosedError: StopError,
}


@pytest.mark.parametrize(("leaf", "parent"), LEAVES.items())
def test_the_tree_groups_by_next_action(leaf: type[QBOError], parent: type[QBOError]) -> None:
    """Each class sits under its group, inherits its action, and says its own sentence."""
    assert issubclass(leaf, parent)
    assert issubclass(leaf, QBOError) and issubclass(leaf, LedgerbridgeError)
    group = next(g for g in GROUPS if issubclass(leaf, g))
    assert leaf.action is GROUPS[group]
    assert "user_message" in vars(leaf)
    assert leaf.user_message.endswith(".") and leaf.user_message != parent.user_message


def test_str_names_code_status_and_tid() -> None:
    """Logs get the code, the HTTP status and the intuit_tid in one line."""
    error = error_from_response(response(400, RECORDED_6240, intuit_tid=TID))
    text = str(error)
    assert "6240" in text and "HTTP 400" in text and TID in text


def test_errors_survive_pickling() -> None:
    """A worker process can hand an error back with everything it carries."""
    error = error_from_response(response(429, RECORDED_429_XML, Retry_After="3"))
    assert isinstance(error, ThrottledError)
    error.attempts = 4
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ThrottledError
    assert (copy.code, copy.retry_after, copy.attempts, str(copy)) == ("3001", 3.0, 4, str(error))


def test_user_message_can_be_overridden_per_instance() -> None:
    error = InvalidGrantError("refresh refused", user_message="Reconnect, please.")
    assert error.user_message == "Reconnect, please."
    assert InvalidGrantError.user_message != "Reconnect, please."
