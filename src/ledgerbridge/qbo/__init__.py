"""HTTP to QuickBooks Online: the client, its error taxonomy, the query builder, batch.

Implementation lives in private modules; this package re-exports the public names.
See docs/design/qbo-client.md for the contracts with the store and the engine.
"""

from ._batch import BATCH_MAX_ITEMS, BatchItem, BatchOperation, BatchResult
from ._client import MINOR_VERSION, QBOClient
from ._environments import Environment, InvalidEnvironmentError, environment
from ._errors import (
    Action,
    AuthenticationError,
    AuthorizationError,
    BooksClosedError,
    DataError,
    DuplicateDocNumberError,
    DuplicateNameError,
    FaultEntry,
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
from ._governor import Governor, QBOLimits
from ._oauth import (
    ACCOUNTING_SCOPE,
    InvalidClientError,
    MalformedOAuthResponseError,
    MalformedTokenResponseError,
    OAuthClient,
    OAuthProtocolError,
    ProviderMetadata,
)
from ._query import MAX_RESULTS, Operator, Query, select
from ._resources import Page
from ._retry import RetryPolicy
from ._state import InvalidStateError, issue_state, verify_state
from ._types import RequestGate, SlotUnused, TokenSet, TokenSource
from ._webhooks import (
    SIGNATURE_HEADER,
    EntityChange,
    WebhookPayloadError,
    parse_notification,
    sign_notification,
    verify_signature,
)

__all__ = [
    "ACCOUNTING_SCOPE",
    "BATCH_MAX_ITEMS",
    "MAX_RESULTS",
    "MINOR_VERSION",
    "SIGNATURE_HEADER",
    "Action",
    "AuthenticationError",
    "AuthorizationError",
    "BatchItem",
    "BatchOperation",
    "BatchResult",
    "BooksClosedError",
    "DataError",
    "DuplicateDocNumberError",
    "DuplicateNameError",
    "EntityChange",
    "Environment",
    "FaultEntry",
    "Governor",
    "InvalidClientError",
    "InvalidEnvironmentError",
    "InvalidGrantError",
    "InvalidStateError",
    "MalformedOAuthResponseError",
    "MalformedTokenResponseError",
    "NotFoundError",
    "OAuthClient",
    "OAuthProtocolError",
    "Operator",
    "Page",
    "ProviderMetadata",
    "QBOClient",
    "QBOError",
    "QBOLimits",
    "Query",
    "ReconnectError",
    "RequestGate",
    "ResolveError",
    "RetryLaterError",
    "RetryPolicy",
    "ServerError",
    "SlotUnused",
    "StaleObjectError",
    "StopError",
    "SubscriptionEndedError",
    "ThrottledError",
    "TokenSet",
    "TokenSource",
    "TransportError",
    "UncertainOutcomeError",
    "ValidationError",
    "WebhookPayloadError",
    "environment",
    "error_from_fault",
    "error_from_response",
    "error_from_transport",
    "issue_state",
    "parse_notification",
    "select",
    "sign_notification",
    "verify_signature",
    "verify_state",
]
