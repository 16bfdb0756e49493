"""Runs a service's ASGI app the same way everywhere: graceful shutdown, no access log."""

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import uvicorn

from stadtmelder_shared.logs import configure_json_logging
from stadtmelder_shared.tracing import configure_tracing

METRICS_PATH = "/metrics"


class ServiceSettings(Protocol):
    host: str
    port: int
    metrics_port: int | None
    log_level: str
    traces_dir: Path | None


S = TypeVar("S", bound=ServiceSettings)


def serve(app: Any, host: str, port: int, metrics_port: int | None = None, **options: Any) -> None:
    """Blocks until SIGTERM/SIGINT; in-flight requests and consumers get 20 s to finish.

    With `metrics_port`, `/metrics` answers there and nowhere else, and that port answers
    nothing else: a route to the service's port can never expose it.
    """
    config = uvicorn.Config(
        app if metrics_port is None else metrics_apart(app, metrics_port),
        host=host,
        port=port,
        log_config=None,  # the entry point configured JSON logging already
        access_log=False,
        timeout_graceful_shutdown=20,
        **options,
    )
    server = uvicorn.Server(config)
    if metrics_port is None:
        server.run()
        return
    server.run(sockets=[_listening(host, port), _listening(host, metrics_port)])


def _listening(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def metrics_apart(app: Any, metrics_port: int) -> Any:
    """`app`, with `/metrics` served only on `metrics_port` and only `/metrics` served there."""

    async def split(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            server = scope.get("server") or ("", None)
            on_metrics_port = server[1] == metrics_port
            if (scope["path"] == METRICS_PATH) != on_metrics_port:
                await _not_found(send)
                return
        await app(scope, receive, send)

    return split


async def _not_found(send: Any) -> None:
    # The shape of the services' other error answers (status_code, code, detail).
    body = json.dumps(
        {"status_code": 404, "code": "not_found", "detail": "Nothing is served here."}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def run_service(service: str, settings: S, create_app: Callable[[S], Any], **options: Any) -> None:
    """A service's entry point: JSON logs and traces named for it, then its app until stopped."""
    configure_json_logging(service, settings.log_level)
    configure_tracing(service, settings.traces_dir)
    serve(create_app(settings), settings.host, settings.port, settings.metrics_port, **options)
