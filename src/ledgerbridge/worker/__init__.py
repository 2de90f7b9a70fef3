"""Jobs: Huey tasks that run sync lanes, the sweeper, schedules and token refresh.

Embedded (the default): Huey keeps its queue in a SQLite file beside the database and
``ledgerbridge serve`` runs consumer threads in its own process. At scale: Huey on Redis
(``LEDGERBRIDGE_REDIS_URL``) and any number of ``ledgerbridge worker`` processes. The same
code runs both; ``docs/jobs.md`` explains triggers, lanes and the sweeper.

Typical use, at an entry point::

    jobs = Jobs(settings)
    jobs.records_saved(tenant_id, [("invoice", "INV-1042")])   # auto-sync, debounced
    jobs.request_sync(tenant_id, "bulk", Selection(record_types=frozenset({"customer"})))
    with EmbeddedConsumer(jobs, workers=2):                     # or run_consumer(jobs, ...)
        ...
"""

from ._consumer import EmbeddedConsumer, consumer_options, run_consumer
from ._jobs import JOBS_FILE, Jobs, jobs_path, make_huey

__all__ = [
    "JOBS_FILE",
    "EmbeddedConsumer",
    "Jobs",
    "consumer_options",
    "jobs_path",
    "make_huey",
    "run_consumer",
]
