"""Running Huey consumers: in the foreground (``ledgerbridge worker``) or embedded.

Both use worker *threads*: a task spends its time waiting on QBO (on the process's event loop,
``_jobs._Loop``), not computing, and threads share that loop and its rate governor.

An embedded consumer (``ledgerbridge serve``, tests) runs beside another program that owns the
main thread and the signals: it installs no signal handler, and its host stops it.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any, Final

from huey.consumer import Consumer  # type: ignore[import-untyped]

from ._jobs import Jobs

__all__ = ["EmbeddedConsumer", "consumer_options", "run_consumer"]

#: the longest an idle worker sleeps between two looks at a SQLite queue (Redis blocks
#: instead): an auto-sync kick waits at most this long for a worker
MAX_POLL_SECONDS: Final = 0.1


def consumer_options(workers: int) -> dict[str, Any]:
    """The Huey consumer options of both modes, for ``workers`` threads."""
    if workers < 1:
        raise ValueError("a consumer needs at least one worker thread")
    return {
        "workers": workers,
        "worker_type": "thread",
        "periodic": True,
        "initial_delay": 0.05,
        "backoff": 1.5,
        "max_delay": MAX_POLL_SECONDS,
        "scheduler_interval": 1,
        "check_worker_health": True,
    }


class _JobsConsumer(Consumer):  # type: ignore[misc]  # Huey is untyped
    """Huey's consumer, telling the lanes when it begins to stop."""

    def __init__(self, jobs: Jobs, **options: Any) -> None:
        super().__init__(jobs.huey, **options)
        self._jobs = jobs

    def stop(self, graceful: bool = False) -> None:
        self._jobs.stop_lanes()
        super().stop(graceful=graceful)


def run_consumer(jobs: Jobs, *, workers: int) -> None:
    """Consume in the foreground: SIGINT stops after the runs in progress (each lane lets go
    after its current run), SIGTERM at once (what was running resumes in another worker)."""
    _JobsConsumer(jobs, **consumer_options(workers)).run()


class _EmbeddedHueyConsumer(_JobsConsumer):
    def _set_signal_handlers(self) -> None:
        """The host program owns the signals (and the main thread)."""


class EmbeddedConsumer:
    """Huey consumer threads inside another program; a context manager."""

    def __init__(self, jobs: Jobs, *, workers: int = 2) -> None:
        self._consumer = _EmbeddedHueyConsumer(jobs, **consumer_options(workers))
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(
            target=self._supervise, name="ledgerbridge-consumer", daemon=True
        )

    def start(self) -> None:
        """Start the worker threads, the scheduler and a supervisor that restarts dead ones."""
        self._consumer.start()
        self._supervisor.start()

    def stop(self, *, graceful: bool = True) -> None:
        """Stop taking tasks; ``graceful`` waits for the tasks running to finish."""
        self._stopping.set()
        self._supervisor.join()
        self._consumer.stop(graceful=graceful)

    def _supervise(self) -> None:
        checked = time.monotonic()
        while not self._stopping.wait(1.0):
            if time.monotonic() - checked >= 10:
                self._consumer.check_worker_health()
                checked = time.monotonic()

    def __enter__(self) -> EmbeddedConsumer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
