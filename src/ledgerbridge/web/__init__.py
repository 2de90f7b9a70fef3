"""ledgerbridge over HTTP: the FastAPI application (:func:`create_app`).

It serves QuickBooks' webhook notifications (``POST /webhooks/intuit``: verified before
anything parses them, stored, handed to the job queue, answered at once); the REST API for
the host app (``/api/v1``, ``web/api``) and the console are routers beside it, over one
:class:`Services` (``Services.build``) whose operations both call (``_service.py``).
"""

from ._app import create_app
from ._service import JobQueue, Services
from ._webhooks import MAX_WEBHOOK_BODY, WEBHOOK_PATH, NotificationCallback, webhook_router

__all__ = [
    "MAX_WEBHOOK_BODY",
    "WEBHOOK_PATH",
    "JobQueue",
    "NotificationCallback",
    "Services",
    "create_app",
    "webhook_router",
]
