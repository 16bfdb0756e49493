"""An event loop in a thread of its own, for steps that must not wait for the main loop."""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class OwnLoop:
    """Runs coroutines on a loop in a daemon thread and lets the main loop await them.

    When the main loop is busy, a coroutine here still goes on soon after its socket is readable:
    the thread wakes up by itself and needs only the GIL, not a turn of the main loop. The
    coroutine runs in a copy of the caller's context (log context, trace).
    """

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Cancelling the awaiting task cancels the coroutine too."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.wrap_future(future)

    async def stop(self) -> None:
        """Cancel what still runs there, wait for it, then end the thread."""
        await self.run(_cancel_the_others())
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()


async def _cancel_the_others() -> None:
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
