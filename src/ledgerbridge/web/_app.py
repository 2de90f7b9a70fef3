"""The web application: one FastAPI app for everything ledgerbridge serves over HTTP.

:func:`create_app` takes every dependency as an argument (no settings read, no database
opened, no queue made here): the entry point (``ledgerbridge serve``) builds them from
``Settings`` and passes them in, and tests pass their own. So far it serves the QuickBooks
webhook endpoint (``_webhooks.py``); the REST API and the console join it as routers of their
own modules.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from pydantic import SecretStr

from ledgerbridge import __version__
from ledgerbridge.store import InboundStore

from ._webhooks import MAX_WEBHOOK_BODY, NotificationCallback, webhook_router

__all__ = ["create_app"]

_log = logging.getLogger("ledgerbridge.web")


def create_app(
    *,
    notifications: InboundStore,
    on_notification: NotificationCallback,
    webhook_verifier: SecretStr | str | None,
    max_webhook_body: int = MAX_WEBHOOK_BODY,
) -> FastAPI:
    """The ledgerbridge web app.

    :param notifications: where webhook notifications are stored
    :param on_notification: called with each new notification's id (queue its processing)
    :param webhook_verifier: the app's webhook verifier token; ``None`` leaves the webhook
        endpoint out (nothing could verify what arrives there)
    :param max_webhook_body: the largest notification accepted, in bytes
    """
    app = FastAPI(title="ledgerbridge", version=__version__)
    if webhook_verifier is None:
        _log.warning(
            "no webhook verifier token (LEDGERBRIDGE_QBO_WEBHOOK_VERIFIER): QuickBooks webhooks "
            "are not served; the CDC poll still brings changes in"
        )
    else:
        app.include_router(
            webhook_router(
                verifier_token=webhook_verifier,
                notifications=notifications,
                on_notification=on_notification,
                max_body=max_webhook_body,
            )
        )
    return app
