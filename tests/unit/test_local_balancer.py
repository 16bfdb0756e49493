"""The local balancer in front of the reports replicas: each connection to the next replica,
a replica that is down skipped, and a 503 in the services' error shape when none answers."""

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import httpx

from tests.system import load_local_script

balancer = load_local_script("balancer")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def backend(name: str) -> AsyncIterator[asyncio.Server]:
    """An HTTP server that answers every request with its name and closes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = name.encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield server


def port_of(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


def client(port: int) -> httpx.AsyncClient:
    # A connection of its own for each request: the balancer picks per connection. One client
    # for all: creating one blocks the loop long enough on a busy machine to fail health checks.
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits)


async def answers(api: httpx.AsyncClient, count: int) -> list[str]:
    return [(await api.get("/api/v1/reports")).text for _ in range(count)]


async def test_connections_take_turns_and_a_replica_that_is_down_is_skipped() -> None:
    port = free_port()
    async with backend("one") as one, backend("two") as two:
        ports = [port_of(one), port_of(two)]
        stopped, listening = asyncio.Event(), asyncio.Event()
        serving = asyncio.create_task(
            balancer.serve(port, ports, "/health/live", 0.05, stopped, listening)
        )
        try:
            async with client(port) as api:
                await asyncio.wait_for(listening.wait(), 10)
                assert sorted(await answers(api, 4)) == ["one", "one", "two", "two"]

                two.close()
                await two.wait_closed()
                assert await answers(api, 3) == ["one", "one", "one"]

                one.close()
                await one.wait_closed()
                refused = await api.get("/api/v1/reports")
            assert refused.status_code == 503
            assert json.loads(refused.text)["code"] == "service_unavailable"
        finally:
            stopped.set()
            await serving
