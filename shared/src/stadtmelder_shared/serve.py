"""Runs a service's ASGI app the same way everywhere: graceful shutdown, no access log."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import uvicorn

from stadtmelder_shared.logs import configure_json_logging
from stadtmelder_shared.tracing import configure_tracing


class ServiceSettings(Protocol):
    host: str
    port: int
    log_level: str
    traces_dir: Path | None


S = TypeVar("S", bound=ServiceSettings)


def serve(app: Any, host: str, port: int, **options: Any) -> None:
    """Blocks until SIGTERM/SIGINT; in-flight requests and consumers get 20 s to finish."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,  # the entry point configured JSON logging already
        access_log=False,
        timeout_graceful_shutdown=20,
        **options,
    )


def run_service(service: str, settings: S, create_app: Callable[[S], Any], **options: Any) -> None:
    """A service's entry point: JSON logs and traces named for it, then its app until stopped."""
    configure_json_logging(service, settings.log_level)
    configure_tracing(service, settings.traces_dir)
    serve(create_app(settings), settings.host, settings.port, **options)
