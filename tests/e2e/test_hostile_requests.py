"""Bombs against the running reports service: each is refused within a second with a short 4xx,
`/health/live` keeps answering meanwhile, and the process shrinks back afterwards."""

import asyncio
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE
from tests.system import wait_until

pytestmark = pytest.mark.e2e

REFUSAL_SECONDS = 1.0
HEALTH_SECONDS = 0.5
MAX_REPLY_BYTES = 64 * 1024
SETTLED_RSS_MB = 250.0


@dataclass(frozen=True)
class Bomb:
    name: str
    method_path: str
    content_type: str
    body: bytes
    chunked: bool = False


def url_encoded(fields: int) -> bytes:
    return b"&".join([b"a=b"] * fields)


def many_answers(keys: int) -> bytes:
    answers = ",".join(f'"q{n}":"x"' for n in range(keys))
    return (
        '{"category":"graffiti","description":"Bombe","lat":51.43,"lon":6.76,'
        f'"answers":{{{answers}}}}}'
    ).encode()


def png_bomb() -> tuple[bytes, str]:
    """A flat 6320x6320 PNG: about 155 KB on the wire, 40 Mpx once decoded."""
    image = io.BytesIO()
    Image.new("RGB", (6320, 6320), (90, 90, 90)).save(image, "PNG", optimize=True)
    boundary = "pngbomb"
    fields = {
        "category": "graffiti",
        "description": "Graffiti an der Wand",
        "lat": str(KOENIGSTRASSE[0]),
        "lon": str(KOENIGSTRASSE[1]),
        "email": "bomb@example.org",
    }
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + image.getvalue()
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def text_part_bomb(name: str, path: str, field: str, size: int, chunked: bool = False) -> Bomb:
    """A multipart form with one text part of `size` bytes, a flat JSON object as the form's
    answers would be, and a small photo, so the body is under the photo routes' limit."""
    boundary = "textbomb"
    text = b"{" + b'"a":1,' * (size // 6) + b'"b":1}'
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n'.encode()
        + text
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
        f'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nxx\r\n--{boundary}--\r\n'.encode()
    )
    content_type = f"multipart/form-data; boundary={boundary}"
    return Bomb(name, path, content_type, body, chunked)


def huge_number_answer() -> bytes:
    return (
        '{"category":"graffiti","description":"Graffiti an der Wand","lat":51.43,"lon":6.76,'
        f'"answers":{{"offensive":"no","area_m2":1{"0" * 400}}}}}'
    ).encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEEP = b"[" * 1000 + b"]" * 1000
# Parsed on the event loop, answers of 34 MB held it for 12.6 s before text parts were capped.
TEXT_BOMB_BYTES = 25 * 1024 * 1024
BOMBS = [
    Bomb(
        "open311 7M fields, 28 MB", "POST /open311/v2/requests.json", FORM, url_encoded(7_000_000)
    ),
    Bomb(
        "open311 7M fields, chunked",
        "POST /open311/v2/requests.json",
        FORM,
        url_encoded(7_000_000),
        chunked=True,
    ),
    Bomb(
        "open311 12k fields in 48 KB, chunked",
        "POST /open311/v2/requests.json",
        FORM,
        url_encoded(12_000),
        chunked=True,
    ),
    Bomb("web alerts 2M fields", "POST /alerts", FORM, url_encoded(2_000_000)),
    Bomb("web report 2M fields", "POST /report", FORM, url_encoded(2_000_000)),
    Bomb("JSON report 1.5M answers", "POST /api/v1/reports", JSON, many_answers(1_500_000)),
    Bomb(
        "JSON report 1.5M answers, chunked",
        "POST /api/v1/reports",
        JSON,
        many_answers(1_500_000),
        chunked=True,
    ),
    Bomb("JSON report 1000 deep", "POST /api/v1/reports", JSON, DEEP),
    Bomb("JSON alert 1000 deep", "POST /api/v1/alerts", JSON, DEEP),
    # A JSON route parses JSON whatever Content-Type the client declares.
    Bomb("JSON report 30k [ said to be a form", "POST /api/v1/reports", FORM, b"[" * 30_000),
    Bomb(
        "JSON alert 30k [ said to be multipart",
        "POST /api/v1/alerts",
        "multipart/form-data; boundary=x",
        b"[" * 30_000,
    ),
    text_part_bomb("form answers 25 MB", "POST /api/v1/reports/form", "answers", TEXT_BOMB_BYTES),
    text_part_bomb(
        "form answers 25 MB, chunked",
        "POST /api/v1/reports/form",
        "answers",
        TEXT_BOMB_BYTES,
        chunked=True,
    ),
    text_part_bomb(
        "open311 description 25 MB",
        "POST /open311/v2/requests.json",
        "description",
        TEXT_BOMB_BYTES,
    ),
    text_part_bomb("web report description 25 MB", "POST /report", "description", TEXT_BOMB_BYTES),
    Bomb("number answer of 401 digits", "POST /api/v1/reports", JSON, huge_number_answer()),
]


@dataclass
class Reply:
    status: int
    size: int
    seconds: float


async def send_bomb(url: str, bomb: Bomb) -> Reply:
    """Writes the body while reading the reply, as a server may answer before the body ends;
    the time is from the first byte sent to the last byte of the reply."""
    where = urlsplit(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    method, path = bomb.method_path.split(" ")
    length = "Transfer-Encoding: chunked" if bomb.chunked else f"Content-Length: {len(bomb.body)}"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: {bomb.content_type}"
        f"\r\n{length}\r\n\r\n"
    ).encode()

    async def write_body() -> None:
        writer.write(head)
        if not bomb.chunked:
            writer.write(bomb.body)
        else:
            for start in range(0, len(bomb.body), 64 * 1024):
                chunk = bomb.body[start : start + 64 * 1024]
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
        await writer.drain()

    started = time.monotonic()
    writing = asyncio.create_task(write_body())
    try:
        head_bytes = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        headers = head_bytes.decode("latin-1").split("\r\n")
        status = int(headers[0].split(" ")[1])
        length_header = [h for h in headers if h.lower().startswith("content-length:")]
        size = int(length_header[0].split(":")[1]) if length_header else 0
        await asyncio.wait_for(reader.readexactly(size), 30)
        seconds = time.monotonic() - started
    finally:
        writing.cancel()
        await asyncio.gather(writing, return_exceptions=True)
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)
    return Reply(status, size, seconds)


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


async def test_each_bomb_is_refused_within_a_second_while_health_answers(
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
        assert reply.seconds < REFUSAL_SECONDS, (name, reply)
        assert reply.size < MAX_REPLY_BYTES, (name, reply)
    assert not watch.failures, watch.failures[:5]
    assert watch.latencies, "health was never polled"
    assert max(watch.latencies) < HEALTH_SECONDS, max(watch.latencies)


async def test_a_png_of_forty_megapixels_is_refused_quickly_and_the_process_shrinks_back(
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
    assert reply.seconds < REFUSAL_SECONDS, reply
    assert reply.size < MAX_REPLY_BYTES, reply
    assert not watch.failures, watch.failures[:5]
    assert max(watch.latencies) < HEALTH_SECONDS, max(watch.latencies)


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
