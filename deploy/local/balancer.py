"""A tiny round-robin TCP balancer with health checks, in front of the reports replicas.

    python deploy/local/balancer.py --port 8000 --backend 8020 --backend 8040

Each client connection goes to the next healthy backend in turn and is piped both ways until
either side closes. A backend counts as healthy while `GET /health/live` answers 200 (not
`/health/ready`: a replica whose Kafka is away still takes reports into its outbox); one that
refuses a connection is skipped at once and tried again after its next good check. With no
healthy backend the client gets a 503 in the services' error shape instead of a hang.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import signal
import sys
from collections.abc import Sequence

HOST = "127.0.0.1"
CHECK_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 2.0
CHUNK = 64 * 1024

log = logging.getLogger("stadtmelder.balancer")


class Backends:
    """The backends in round-robin order and which of them answered their last check."""

    def __init__(self, ports: Sequence[int], check_path: str) -> None:
        self.ports = tuple(ports)
        self.healthy = set(self.ports)  # optimistic until the first check says otherwise
        self._turn = itertools.cycle(range(len(self.ports)))
        self._check_path = check_path

    def in_turn(self) -> list[int]:
        """Every healthy backend, starting with the one whose turn it is."""
        start = next(self._turn)
        ordered = self.ports[start:] + self.ports[:start]
        return [port for port in ordered if port in self.healthy]

    async def check(self, port: int) -> bool:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(HOST, port), CHECK_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            return False
        try:
            request = f"GET {self._check_path} HTTP/1.0\r\nHost: {HOST}:{port}\r\n\r\n"
            writer.write(request.encode())
            status_line = await asyncio.wait_for(reader.readline(), CHECK_TIMEOUT_S)
            await asyncio.wait_for(reader.read(), CHECK_TIMEOUT_S)
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        parts = status_line.split()
        return len(parts) >= 2 and parts[1] == b"200"

    async def watch(self, interval: float) -> None:
        while True:
            results = await asyncio.gather(*(self.check(port) for port in self.ports))
            now = {port for port, ok in zip(self.ports, results, strict=True) if ok}
            for port in sorted(now ^ self.healthy):
                log.warning("backend %s is %s", port, "healthy" if port in now else "down")
            self.healthy = now
            await asyncio.sleep(interval)


UNAVAILABLE = json.dumps(
    {
        "status_code": 503,
        "code": "service_unavailable",
        "detail": "No replica of the service answers right now; please try again shortly.",
    }
).encode()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()


async def _connect(
    backends: Backends,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    for port in backends.in_turn():
        try:
            return await asyncio.wait_for(asyncio.open_connection(HOST, port), CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            backends.healthy.discard(port)  # the next good check brings it back
    return None


async def _refuse(writer: asyncio.StreamWriter) -> None:
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        f"content-length: {len(UNAVAILABLE)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n"
    )
    writer.write(head.encode() + UNAVAILABLE)
    with contextlib.suppress(OSError):
        await writer.drain()


async def handle(
    backends: Backends, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
) -> None:
    try:
        upstream = await _connect(backends)
        if upstream is None:
            await _refuse(client_writer)
            return
        upstream_reader, upstream_writer = upstream
        try:
            await asyncio.gather(
                _pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer)
            )
        finally:
            upstream_writer.close()
    finally:
        client_writer.close()


async def serve(
    port: int,
    backend_ports: Sequence[int],
    check_path: str,
    interval: float,
    stopped: asyncio.Event,
    listening: asyncio.Event | None = None,
) -> None:
    """Balance until `stopped` is set; `listening` is set once the port accepts connections."""
    backends = Backends(backend_ports, check_path)
    server = await asyncio.start_server(
        lambda r, w: handle(backends, r, w), HOST, port, reuse_address=True, backlog=1024
    )
    watching = asyncio.create_task(backends.watch(interval))
    log.warning("balancing %s:%s over %s", HOST, port, ", ".join(map(str, backend_ports)))
    if listening is not None:
        listening.set()
    try:
        async with server:
            await stopped.wait()
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching


async def _until_signalled(options: argparse.Namespace) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await serve(options.port, options.backend, options.check_path, options.interval, stopped)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", type=int, action="append", required=True, help="a port")
    parser.add_argument("--check-path", default="/health/live")
    parser.add_argument("--interval", type=float, default=0.5, help="between checks, s")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s balancer: %(message)s")
    asyncio.run(_until_signalled(options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
