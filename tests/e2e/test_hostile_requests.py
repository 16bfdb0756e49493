"""Bombs against the running reports service: each is refused with a short 4xx, `/health/live`
keeps answering meanwhile, and the process shrinks back afterwards. How fast (the issue's "within
a second") is measured side by side with an ordinary refused request by `make bench`
(bench/hostile_input.py), not asserted here, since a shared machine makes any time limit flaky."""

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bench.bombs import BOMBS, JSON, Bomb, Reply, png_bomb, send_bomb
from tests.conftest import LocalSystem
from tests.system import wait_until

pytestmark = pytest.mark.e2e

MAX_REPLY_BYTES = 64 * 1024
SETTLED_RSS_MB = 250.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@dataclass
class Watch:
    """Polls /health/live and the process's size from a thread of its own while bombs land."""

    url: str
    pid: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    async def polled(self, times: int) -> None:
        """Wait until `times` more polls are done: the service may still be busy after a reply."""
        target = len(self.latencies) + times

        async def enough() -> bool:
            return len(self.latencies) >= target

        await wait_until(enough, timeout=30, interval=0.05, what=f"{times} health polls")

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    ok = client.get("/health/live").status_code == 200
                except httpx.HTTPError as error:
                    ok = False
                    self.failures.append(repr(error))
                self.latencies.append(time.monotonic() - started)
                if not ok:
                    self.failures.append("health/live did not answer 200")
                self.peak_rss_mb = max(self.peak_rss_mb, rss_mb(self.pid))
                self.stop.wait(0.05)


@pytest.fixture
def reports_pid(running_system: LocalSystem) -> int:
    pid = running_system.stack.running_pid(running_system.profile, "reports")
    assert pid is not None, "the reports service of the test stack is not running"
    return int(pid)


@pytest.fixture
def watch(running_system: LocalSystem, reports_pid: int) -> Iterator[Watch]:
    watch = Watch(running_system.reports_url, reports_pid)
    thread = threading.Thread(target=watch.run, name="health-watch")
    thread.start()
    try:
        yield watch
    finally:
        watch.stop.set()
        thread.join()


async def settled_rss(pid: int) -> float:
    async def small() -> float | None:
        size = rss_mb(pid)
        return size if size < SETTLED_RSS_MB else None

    return await wait_until(small, timeout=60, interval=1, what=f"RSS under {SETTLED_RSS_MB} MB")


async def test_each_bomb_is_refused_with_a_short_4xx_while_health_answers(
    running_system: LocalSystem, reports_pid: int, watch: Watch
) -> None:
    await watch.polled(1)
    replies = {}
    for bomb in BOMBS:
        replies[bomb.name] = await send_bomb(running_system.reports_url, bomb)
        await watch.polled(3)
    await watch.polled(10)
    settled = await settled_rss(reports_pid)
    watch.stop.set()

    print_figures(replies, watch, settled)
    for name, reply in replies.items():
        assert 400 <= reply.status < 500, (name, reply)
        assert reply.size < MAX_REPLY_BYTES, (name, reply)
    assert not watch.failures, watch.failures[:5]
    assert watch.latencies, "health was never polled"


async def test_a_png_of_forty_megapixels_is_refused_and_the_process_shrinks_back(
    running_system: LocalSystem, reports_pid: int, watch: Watch
) -> None:
    body, content_type = png_bomb()
    bomb = Bomb("PNG 6320x6320, 155 KB", "POST /api/v1/reports/form", content_type, body)
    await watch.polled(1)
    reply = await send_bomb(running_system.reports_url, bomb)
    await watch.polled(10)
    settled = await settled_rss(reports_pid)
    watch.stop.set()

    print_figures({bomb.name: reply}, watch, settled)
    assert 400 <= reply.status < 500, reply
    assert reply.size < MAX_REPLY_BYTES, reply
    assert not watch.failures, watch.failures[:5]


async def test_a_request_that_passes_the_limits_is_still_served(
    running_system: LocalSystem,
) -> None:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        response = await api.post(
            "/api/v1/reports",
            content=json.dumps({"category": "graffiti", "answers": {"q": [[[[1]]]]}}),
            headers={"content-type": JSON},
        )

    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_request", "invalid_report"}


async def test_a_client_gone_mid_body_is_counted_apart_from_server_errors(
    running_system: LocalSystem,
) -> None:
    where = urlsplit(running_system.reports_url)
    path = "/api/v1/push/subscriptions"
    series = f'method="POST",path="{path}"'

    async def aborted(api: httpx.AsyncClient) -> tuple[float, list[str]]:
        """The count of aborted requests to `path` so far (other tests' too), and its lines."""
        text = (await api.get("/metrics")).text
        lines = [line for line in text.splitlines() if series in line]
        counts = [
            float(line.rsplit(" ", 1)[1])
            for line in lines
            if "requests_total" in line and 'status_code="499"' in line
        ]
        return sum(counts), lines

    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=10) as api:
        before, _ = await aborted(api)
        _, writer = await asyncio.open_connection(where.hostname, where.port)
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: application/json\r\n"
            'Content-Length: 1000\r\n\r\n{"endpoint": '.encode()
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

        async def aborted_counted() -> str | None:
            count, lines = await aborted(api)
            return "\n".join(lines) if count > before else None

        lines = await wait_until(aborted_counted, timeout=30, what="the aborted request counted")

    assert 'status_code="500"' not in lines
    assert "requests_error_total" not in lines


def print_figures(replies: dict[str, Reply], watch: Watch, settled_mb: float) -> None:
    """For the closing note: run with -s to see them."""
    for name, reply in replies.items():
        print(f"{name:36} {reply.status}  {reply.seconds * 1000:7.1f} ms  {reply.size:6d} bytes")
    print(
        f"health/live: {len(watch.latencies)} polls, max {max(watch.latencies) * 1000:.1f} ms; "
        f"RSS peak {watch.peak_rss_mb:.0f} MB, settled {settled_mb:.0f} MB"
    )
