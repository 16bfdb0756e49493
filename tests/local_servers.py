"""An ASGI app served by uvicorn in the test's own event loop, on a free port of this machine."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from tests.system import wait_until


@asynccontextmanager
async def served(app: Any, **config: Any) -> AsyncIterator[str]:
    """The app's origin (`http://127.0.0.1:<port>`) while it listens; stopped on leaving."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **config))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        if serving.done():
            serving.result()  # raises why it could not start
        return server.started

    try:
        await wait_until(started, what="the app to listen")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
