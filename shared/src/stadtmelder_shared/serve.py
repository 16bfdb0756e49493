"""Runs a service's ASGI app the same way everywhere: graceful shutdown, no access log."""

from typing import Any

import uvicorn


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
