"""The web application: one FastAPI app for everything ledgerbridge serves over HTTP.

:func:`create_app` takes every dependency as an argument (no settings read, no database
opened, no queue made here): the entry point (``ledgerbridge serve``) builds them from
``Settings`` and passes them in, and tests pass their own. So far it serves the QuickBooks
webhook endpoint (``_webhooks.py``); the REST API and the console join it as routers of their
own modules.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from pydantic import SecretStr
from starlette.types import Lifespan

from ledgerbridge import __version__
from ledgerbridge.store import InboundStore

from ._callback import callback_path, callback_router
from ._service import Services
from ._webhooks import MAX_WEBHOOK_BODY, NotificationCallback, webhook_router
from .api import API_PREFIX, api_router, install_problem_handlers, ops_router
from .console import CONSOLE_PATH, console_app

__all__ = ["create_app"]

_log = logging.getLogger("ledgerbridge.web")


def create_app(
    *,
    notifications: InboundStore,
    on_notification: NotificationCallback,
    webhook_verifier: SecretStr | str | None,
    max_webhook_body: int = MAX_WEBHOOK_BODY,
    services: Services | None = None,
) -> FastAPI:
    """The ledgerbridge web app.

    :param notifications: where webhook notifications are stored
    :param on_notification: called with each new notification's id (queue its processing)
    :param webhook_verifier: the app's webhook verifier token; ``None`` leaves the webhook
        endpoint out (nothing could verify what arrives there)
    :param max_webhook_body: the largest notification accepted, in bytes
    :param services: what the REST API (``/api/v1``), the OAuth callback, ``/healthz`` and
        ``/metrics`` work with (``Services.build``); the app closes them at shutdown
    """
    app = FastAPI(title="ledgerbridge", version=__version__, lifespan=_closing(services))
    if services is not None:
        _mount_api(app, services)
        app.mount(CONSOLE_PATH, console_app(services))  # the console (owner: web/console)
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


def _mount_api(app: FastAPI, services: Services) -> None:
    """The REST API, ``/healthz``, ``/metrics`` and the OAuth callback (owner: web/api)."""
    app.include_router(api_router(services))
    app.include_router(ops_router(services))
    app.include_router(callback_router(services))
    install_problem_handlers(
        app, prefixes=(API_PREFIX, "/healthz", "/metrics", callback_path(services.runtime.settings))
    )


def _closing(services: Services | None) -> Lifespan[FastAPI] | None:
    """Close ``services`` on the server's loop when it stops."""
    if services is None:
        return None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await services.aclose()

    return lifespan
