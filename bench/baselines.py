"""The two ceilings our figures are compared with: bare Litestar and a bare Kafka round trip."""

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from bench.observers import report_body
from bench.open_loop import request_count, run_open_loop
from bench.target import ROOT

ROUND_TRIP_TOPIC = "bench.round-trip"
STARTUP_SECONDS = 30
ARRIVAL_SECONDS = 30


@contextlib.asynccontextmanager
async def bare_litestar(port: int) -> AsyncIterator[tuple[str, int]]:
    """Run bench/bare_app.py in its own process (and process group, so its CPU time is read
    as the system's components are); yield its base URL and pid; stop it afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bare_app",
        "--port",
        str(port),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_live(url, process)
        yield url, process.pid
    finally:
        process.terminate()
        await process.wait()


async def _wait_until_live(url: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the bare Litestar app exited with code {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/health/live")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the bare Litestar app did not answer on {url} in {STARTUP_SECONDS} s")


@dataclass(frozen=True)
class RoundTrips:
    """Produce→consume latency in seconds from each record's due time; `lost` never arrived."""

    latencies: list[float]
    sent: int
    lost: int
    achieved_per_second: float


async def kafka_round_trips(bootstrap: str, rate: float, seconds: float) -> RoundTrips:
    """Open-loop produce (acks=all, idempotent, as our outbox relay) and consume on one broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    with contextlib.suppress(TopicAlreadyExistsError):
        await admin.create_topics([NewTopic(ROUND_TRIP_TOPIC, 1, 1)])
    await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    partition = TopicPartition(ROUND_TRIP_TOPIC, 0)
    consumer.assign([partition])
    await consumer.seek_to_end(partition)
    await consumer.position(partition)
    run = f"{time.time_ns()}"
    received: dict[int, float] = {}
    expected = request_count(rate, seconds)
    all_received = asyncio.Event()
    payload = json.dumps(report_body(run, 0)).encode()

    async def consume() -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    key = record.key.decode()
                    if key.startswith(run):
                        received.setdefault(int(key.split(":")[1]), now)
            if len(received) >= expected:
                all_received.set()

    async def send(number: int) -> None:
        await producer.send_and_wait(ROUND_TRIP_TOPIC, payload, key=f"{run}:{number}".encode())

    consuming = asyncio.create_task(consume())
    try:
        shots = await run_open_loop(send, rate, seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_received.wait(), ARRIVAL_SECONDS)
    finally:
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        await producer.stop()
        await consumer.stop()
    latencies = [received[s.number] - s.due for s in shots if s.number in received]
    span = max(received.values(), default=0.0) - shots[0].due if shots and received else 0.0
    return RoundTrips(
        latencies=latencies,
        sent=len(shots),
        lost=len(shots) - len(latencies),
        achieved_per_second=len(latencies) / span if span > 0 else 0.0,
    )
