"""The dispatcher against the emulator: batch and plain requests from one queue, at the limit.

The emulator runs in-process with Intuit's windows time-scaled (a minute lasts a second or
less) and, where the rate is measured, with small limits so that the test measures the
dispatcher and the governor, not the machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest

from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app
from ledgerbridge.emulator._config import Limits
from ledgerbridge.engine._dispatch import Dispatcher, Sent, Write, WriteQueue
from ledgerbridge.qbo import (
    BatchItem,
    DuplicateNameError,
    Governor,
    QBOClient,
    QBOLimits,
    RetryPolicy,
    StopError,
)
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, UNTHROTTLED

pytestmark = pytest.mark.anyio

#: a write failing for good must not wait: retries off, except a throttle's short pause
ONCE = RetryPolicy(max_attempts=1)


class Token:
    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self) -> str:
        return self.token

    async def refreshed(self, rejected: str) -> str:
        return self.token


@dataclass
class Company:
    emulator: Emulator
    realm_id: str
    qbo: QBOClient

    def log(self) -> list[dict[str, object]]:
        return list(self.emulator.request_log(self.realm_id))


@asynccontextmanager
async def company(
    limits: Limits = UNTHROTTLED, *, time_scale: float = 1, latency_ms: float = 0
) -> AsyncIterator[Company]:
    """A fresh emulator company and a client on it through a governor of the same limits."""
    emulator = Emulator(EmulatorConfig(limits=limits, time_scale=time_scale, latency_ms=latency_ms))
    emulator.oauth.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    realm_id = emulator.create_company("Dispatch Machine Shop")
    token = emulator.oauth.issue_tokens(CLIENT_ID, realm_id).access_token
    governor = Governor(
        QBOLimits(
            requests_per_minute=limits.requests_per_minute,
            requests_per_second=limits.requests_per_second,
            concurrent=limits.concurrent,
            batch_per_minute=limits.batch_per_minute,
            time_scale=time_scale,
        )
    )
    async with QBOClient(
        realm_id,
        base_url="http://qbo.test/v3",
        tokens=Token(token),
        gate=governor,
        transport=httpx.ASGITransport(app=create_app(emulator)),
        retry=ONCE,
    ) as qbo:
        yield Company(emulator, realm_id, qbo)
    await governor.aclose()


def customers(count: int, prefix: str = "Customer") -> list[Write]:
    return [
        Write(BatchItem("create", "Customer", body={"DisplayName": f"{prefix} {n:04d}"}), n)
        for n in range(count)
    ]


class Collected:
    """``on_done``: every answer, and the size of each request's group."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.groups: list[int] = []

    def __call__(self, sent: Sequence[Sent]) -> None:
        self.sent.extend(sent)
        self.groups.append(len(sent))


async def test_every_write_is_sent_once_in_batches_and_alone() -> None:
    """250 creates: each answered once, most of them in batch requests of at most 30."""
    async with company() as shop:
        done = Collected()
        stats = await Dispatcher(shop.qbo).run(customers(250), done)
        names = sorted(str(s.value["DisplayName"]) for s in done.sent if s.value)
        objects = shop.emulator.company(shop.realm_id).objects["Customer"]
    assert names == [f"Customer {n:04d}" for n in range(250)]
    assert sorted(s.write.key for s in done.sent) == list(range(250))  # type: ignore[type-var]
    assert len(objects) == 250
    assert stats.batched_writes + stats.single_writes == 250
    assert stats.batch_requests >= 1 and max(stats.batch_sizes) <= 30
    assert sorted(done.groups) == sorted([1] * stats.single_writes + stats.batch_sizes)


async def test_a_failed_item_fails_alone_and_the_others_are_written() -> None:
    async with company() as shop:
        await shop.qbo.customers.create({"DisplayName": "Customer 0007"})
        done = Collected()
        await Dispatcher(shop.qbo, batch_senders=1, in_flight=2).run(customers(40), done)
    by_key = {s.write.key: s for s in done.sent}
    assert isinstance(by_key[7].error, DuplicateNameError)
    assert all(s.ok for key, s in by_key.items() if key != 7)


async def test_on_sending_names_the_batch_requestid_before_it_goes_out() -> None:
    """The operation log's hook: called with a batch's writes and its requestid, which the
    emulator then sees; a write sent alone carries its own requestid."""
    seen: list[tuple[list[object], str | None]] = []
    async with company() as shop:
        writes = [
            Write(w.item, w.key, request_id=f"op-{w.key}") for w in customers(31, prefix="Op")
        ]
        dispatcher = Dispatcher(
            shop.qbo,
            on_sending=lambda ws, rid: seen.append(([w.key for w in ws], rid)),
        )
        done = Collected()
        await dispatcher.run(writes, done)
        logged = {str(entry["query"]) for entry in shop.log()}
    assert sorted(key for keys, _ in seen for key in keys) == list(range(31))  # type: ignore[type-var]
    for keys, request_id in seen:
        wanted = request_id if request_id is not None else f"op-{keys[0]}"
        assert any(f"requestid={wanted}" in query for query in logged)
    batch_ids = {s.batch_request_id for s in done.sent if s.batch_request_id}
    assert batch_ids == {rid for _, rid in seen if rid is not None}


async def test_a_company_that_refuses_everything_stops_the_round() -> None:
    """A StopError (the subscription ended) on every request: nothing more is sent, and the
    writes still queued come back with that error instead of being tried one by one."""
    async with company() as shop:
        shop.emulator.faults.arm("subscription_ended", count=1000)
        done = Collected()
        stats = await Dispatcher(shop.qbo, batch_senders=1, in_flight=2).run(customers(200), done)
        requests = len(shop.log())
    assert len(done.sent) == 200
    assert all(isinstance(s.error, StopError) for s in done.sent)
    assert stats.unsent > 0 and requests == stats.requests <= 3


#: Small limits, so the rate is the dispatcher's and not the machine's: 60 requests a minute,
#: 6 of them batches of 30, i.e. a ceiling of 6 x 30 + 54 = 234 writes a minute.
SMALL = Limits(
    requests_per_minute=60,
    requests_per_second=10,
    concurrent=10,
    batch_per_minute=6,
    batch_max_items=30,
)
CEILING = 6 * 30 + 54
SCALE = 20  # a minute lasts 3 s


async def test_at_the_limit_the_batches_are_full_and_the_minute_is_used_to_the_ceiling() -> None:
    """700 writes at 234 a (3 s) minute with a little latency: no 429, every window's six
    batch requests full, and a rate of at least 85 % of the ceiling."""
    async with company(SMALL, time_scale=SCALE, latency_ms=5) as shop:
        done = Collected()
        started = time.monotonic()
        stats = await Dispatcher(shop.qbo).run(customers(700), done)
        elapsed = time.monotonic() - started
        statuses = [entry["status"] for entry in shop.log()]
    minutes = elapsed * SCALE / 60
    rate = 700 / minutes
    report = f"{stats}, {elapsed:.2f} s, {rate:.0f} writes a minute (ceiling {CEILING})"
    assert all(s.ok for s in done.sent), report
    assert 429 not in statuses, report
    assert stats.batch_sizes.count(30) >= len(stats.batch_sizes) - 1, report
    assert rate >= 0.85 * CEILING, report


async def test_writes_queued_while_it_runs_are_sent_and_batches_wait_to_be_full() -> None:
    """A queue fed while the dispatcher runs: the first writes go out before the rest are
    queued, batch requests are full until the queue is closed, and every write is sent."""
    queue = WriteQueue()
    done = Collected()
    async with company() as shop:
        running = asyncio.create_task(Dispatcher(shop.qbo, in_flight=2).run(queue, done))
        queue.put(customers(45)[:15])
        while not done.sent:
            await asyncio.sleep(0.001)  # single writes go before anything more is queued
        queue.put(customers(45)[15:])
        queue.close()
        stats = await running
    assert sorted(s.write.key for s in done.sent) == list(range(45))  # type: ignore[type-var]
    assert stats.batch_sizes[:-1] == [30] * (len(stats.batch_sizes) - 1)
    with pytest.raises(RuntimeError):
        queue.put(customers(1))


async def test_while_batches_go_straight_through_single_writes_only_take_the_last_few() -> None:
    """No limit holds the batches back: a single write would spend a request on what a batch
    carries almost for free, so only the last writes (fewer than a batch) go alone."""
    async with company(latency_ms=5) as shop:  # requests in flight side by side
        done = Collected()
        stats = await Dispatcher(shop.qbo, in_flight=10).run(customers(500), done)
    assert len(done.sent) == 500 and all(s.ok for s in done.sent)
    assert stats.single_writes < 30, stats
    assert stats.batch_sizes.count(30) >= len(stats.batch_sizes) - 1, stats
