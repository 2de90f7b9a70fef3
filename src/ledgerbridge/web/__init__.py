"""ledgerbridge over HTTP: the FastAPI application (:func:`create_app`).

It serves QuickBooks' webhook notifications (``POST /webhooks/intuit``: verified before
anything parses them, stored, handed to the job queue, answered at once); the REST API for
the host app and the console are added as routers beside it.
"""

from ._app import create_app
from ._webhooks import MAX_WEBHOOK_BODY, WEBHOOK_PATH, NotificationCallback, webhook_router

__all__ = [
    "MAX_WEBHOOK_BODY",
    "WEBHOOK_PATH",
    "NotificationCallback",
    "create_app",
    "webhook_router",
]
