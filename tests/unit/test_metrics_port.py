"""With METRICS_PORT set, `/metrics` answers on that port alone, and that port nothing else."""

import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import httpx
import pytest

APP = textwrap.dedent(
    """
    import sys
    from stadtmelder_shared.serve import serve

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    serve(app, "127.0.0.1", int(sys.argv[1]), int(sys.argv[2]))
    """
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def ports() -> Iterator[tuple[int, int]]:
    public, metrics = free_port(), free_port()
    process = subprocess.Popen([sys.executable, "-c", APP, str(public), str(metrics)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield public, metrics
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_metrics_are_served_on_their_own_port_only(ports: tuple[int, int]) -> None:
    public, metrics = ports

    scraped = httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=5)
    hidden = httpx.get(f"http://127.0.0.1:{public}/metrics", timeout=5)
    page = httpx.get(f"http://127.0.0.1:{public}/health/live", timeout=5)
    stray = httpx.get(f"http://127.0.0.1:{metrics}/health/live", timeout=5)

    assert (scraped.status_code, scraped.text) == (200, "/metrics")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    assert (page.status_code, page.text) == (200, "/health/live")
    assert stray.status_code == 404
