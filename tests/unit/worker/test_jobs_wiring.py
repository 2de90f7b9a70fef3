"""The job queue's wiring: where Huey keeps its queue, task names, consumer options,
once-a-period jobs, selections and the log filter."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]

from ledgerbridge.engine import RunLogFilter, Selection
from ledgerbridge.settings import Settings
from ledgerbridge.store import Database
from ledgerbridge.worker import JOBS_FILE, EmbeddedConsumer, Jobs, consumer_options, make_huey


def settings(**fields: object) -> Settings:
    return Settings(mode="development", **fields)  # type: ignore[arg-type]


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[Jobs]:
    """Jobs on a migrated SQLite store in ``tmp_path``."""
    config = settings(database_url=f"sqlite:///{tmp_path / 'ledgerbridge.db'}")
    database = Database(config.database_url)
    database.migrate()
    made = Jobs(config, database=database)
    yield made
    made.close()
    database.dispose()


def test_the_embedded_queue_lives_beside_the_sqlite_database(tmp_path: Path) -> None:
    """SQLite store: Huey's SQLite file in the same directory (the data directory)."""
    (tmp_path / "data").mkdir()
    huey = make_huey(settings(database_url=f"sqlite:///{tmp_path / 'data' / 'lb.db'}"))
    assert isinstance(huey, SqliteHuey)
    assert Path(huey.storage.filename) == tmp_path / "data" / JOBS_FILE


def test_without_a_sqlite_database_the_queue_lives_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL store and no Redis: the queue file is in the working directory."""
    monkeypatch.chdir(tmp_path)
    huey = make_huey(settings(database_url="postgresql://db.example/ledgerbridge"))
    assert Path(huey.storage.filename) == tmp_path / JOBS_FILE


def test_a_redis_url_puts_the_queue_in_redis() -> None:
    """LEDGERBRIDGE_REDIS_URL: RedisHuey on that server (nothing is sent until used)."""
    huey = make_huey(settings(redis_url="redis://redis.example:6380/3"), name="lb")
    assert isinstance(huey, RedisHuey)
    kwargs = huey.storage.conn.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.example", 6380, 3)


def test_every_process_registers_the_same_task_names(jobs: Jobs) -> None:
    """The enqueuer and the consumer build the same Jobs: the names must not drift."""
    names = {name.rsplit(".", 1)[-1] for name in jobs.huey._registry._registry}
    assert names == {
        "sync_lane",
        "process_webhook",
        "import_from_qbo",
        "sweeper",
        "scheduled_syncs",
        "token_refresh",
        "cdc_backstop",
        "prune_runs",
    }


def test_consumers_use_threads_and_poll_often() -> None:
    """Worker threads, periodic tasks on, an idle SQLite poll of at most a quarter second."""
    options = consumer_options(3)
    assert options["workers"] == 3 and options["worker_type"] == "thread"
    assert options["periodic"] and options["max_delay"] <= 0.25
    with pytest.raises(ValueError, match="at least one worker"):
        consumer_options(0)


def test_a_periodic_job_runs_once_per_period_across_workers(jobs: Jobs) -> None:
    """Every consumer's scheduler enqueues the periodic jobs; one worker runs each."""
    other = Jobs(jobs.settings, database=jobs.runtime.database)
    minute = timedelta(minutes=1)
    try:
        assert jobs._once("sweeper-test", minute)
        assert not other._once("sweeper-test", minute)
        assert not jobs._once("sweeper-test", minute)
    finally:
        other.close()


def test_an_embedded_consumer_starts_and_stops_without_signals(jobs: Jobs) -> None:
    """Runs in a thread of another program (no signal handler is installed) and stops."""
    consumer = EmbeddedConsumer(jobs, workers=1)
    consumer.start()
    consumer.stop()
    assert not consumer._supervisor.is_alive()


def test_a_selection_names_types_or_records_and_says_which() -> None:
    """Validation of what a run pushes, and the words the log and the CLI use."""
    assert Selection().describe() == "every dirty record"
    assert Selection(record_types=frozenset({"item", "customer"})).describe() == (
        "dirty customer, item records"
    )
    many = Selection(records=tuple(("invoice", f"I{n}") for n in range(7)))
    assert many.describe() == (
        "records invoice:I0, invoice:I1, invoice:I2, invoice:I3, invoice:I4 and 2 more"
    )
    with pytest.raises(ValueError, match="not both"):
        Selection(record_types=frozenset({"item"}), records=(("item", "i1"),))
    with pytest.raises(ValueError, match="'widget' are not pushed to QuickBooks"):
        Selection(records=(("widget", "w1"),))


def test_the_log_filter_marks_lines_outside_runs() -> None:
    """Outside a run the tags are ``-`` (the format still works)."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert RunLogFilter().filter(record)
    assert (record.run_id, record.trigger, record.run) == ("-", "-", "-")  # type: ignore[attr-defined]
