"""Photos cleaned in worker processes with a memory and CPU limit, so a decompression bomb costs
a worker its memory and time, never the service's event loop or the service's own size."""

import asyncio
import functools
import math
import multiprocessing
import resource
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver

from litestar.exceptions import ServiceUnavailableException

from stadtmelder_reports.photos.cleaning import CleanPhoto, PhotoError, PhotoTooLarge, clean_photo

# Two photos are cleaned at once; a third waits without blocking anything.
WORKERS = 2
# Forked workers start with these already imported.
_PRELOAD = ["stadtmelder_reports.photos.cleaning", __name__]
_BEYOND_LIMITS = (
    "The photo needs more memory or time than we allow for one photo; "
    "please send a smaller version."
)

_STOPPING = "The service is stopping; send the report again in a minute."
_NO_WORKER = "No photo worker could be started just now; send the report again in a minute."

Cleaner = Callable[[bytes, int], CleanPhoto]


@dataclass(frozen=True)
class WorkerLimits:
    """What one worker may use, and how long a caller waits for it."""

    # Address space a worker may add to what it had when it started. Cleaning the largest
    # photo allowed (25 MP with transparency and a colour profile) peaks near 350 MB, and a
    # worker frees it all after each photo (it has one thread, so one malloc arena).
    memory_bytes: int = 768 * 1024 * 1024
    # A 25 MP PNG is cleaned in about 1.5 s of CPU time; the kernel stops a worker past this.
    cpu_seconds: int = 15
    # What a caller waits at most for one photo, including a busy machine's delays.
    timeout_seconds: float = 45.0
    # A worker cleans this many photos, one at a time, then a fresh one takes over. Starting a
    # worker costs a fork and, under a script such as pytest, re-running the script's imports.
    photos_per_worker: int = 20


class PhotoWorkers:
    """A few worker slots, each a pool of one process that is given one photo at a time.

    A worker that crashes or is stopped by its limits breaks only its own slot's pool, which
    is replaced. Workers are forked by a fork server that `start` launches, never from the
    service with its threads and sockets, and begin on a slot's first photo.
    """

    def __init__(
        self,
        workers: int = WORKERS,
        *,
        limits: WorkerLimits = WorkerLimits(),
        cleaner: Cleaner = clean_photo,
    ) -> None:
        # `cleaner` runs in the workers, which import it by its module and name.
        self._cleaner = cleaner
        self._limits = limits
        self._free = asyncio.Semaphore(workers)
        self._idle: list[ProcessPoolExecutor] = []
        self._all: set[ProcessPoolExecutor] = set()
        self._closed = False
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)

    async def start(self) -> None:
        """Starts the fork server, which imports Pillow once, so the first photo need not wait."""
        await asyncio.to_thread(forkserver.ensure_running)

    async def clean(self, data: bytes, max_bytes: int) -> CleanPhoto:
        """The cleaner's result from a worker; a worker that fails or overruns refuses the photo."""
        async with self._free:
            if self._closed:
                raise ServiceUnavailableException(_STOPPING)
            pool, future = await self._submit(data, max_bytes)
            try:
                photo = await asyncio.wait_for(
                    asyncio.wrap_future(future), self._limits.timeout_seconds
                )
            except PhotoError:
                self._release(pool)
                raise
            except (BrokenProcessPool, TimeoutError, MemoryError) as error:
                # The worker crashed, hit a limit, or overran (its CPU limit ends it then).
                self._discard(pool)
                raise PhotoTooLarge(_BEYOND_LIMITS) from error
            except BaseException:
                # Cancelled while the worker may still be busy: a pool is never given a second
                # photo before the first is done, as CPython's replacement of a worker that
                # reached max_tasks_per_child can deadlock then (3.11-3.13, gh-115634).
                self._discard(pool)
                raise
            self._release(pool)
            return photo

    async def close(self) -> None:
        self._closed = True
        pools, self._idle = list(self._all), []
        self._all.clear()
        for pool in pools:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def _submit(
        self, data: bytes, max_bytes: int
    ) -> tuple[ProcessPoolExecutor, Future[CleanPhoto]]:
        pool = self._idle.pop() if self._idle else self._new_pool()
        try:
            return pool, await self._submit_to(pool, data, max_bytes)
        except BrokenProcessPool:
            # Its worker died while idle, killed from outside: not this photo's doing.
            self._discard(pool)
        pool = self._new_pool()
        try:
            return pool, await self._submit_to(pool, data, max_bytes)
        except BrokenProcessPool as error:
            # A fresh worker that cannot start: the machine's state, not the photo's.
            self._discard(pool)
            raise ServiceUnavailableException(_NO_WORKER) from error

    async def _submit_to(
        self, pool: ProcessPoolExecutor, data: bytes, max_bytes: int
    ) -> Future[CleanPhoto]:
        task = functools.partial(
            clean_within_cpu_limit, self._cleaner, data, max_bytes, self._limits.cpu_seconds
        )
        try:
            # submit may start a process, and on the first photo the fork server: not on the
            # event loop.
            return await asyncio.to_thread(pool.submit, task)
        except BrokenProcessPool:
            raise
        except RuntimeError as error:
            # `close` shut the pool down between the caller's check and this submit.
            self._discard(pool)
            if self._closed:
                raise ServiceUnavailableException(_STOPPING) from error
            raise
        except BaseException:
            self._discard(pool)
            raise

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            1,
            mp_context=self._context,
            initializer=limit_worker_memory,
            initargs=(self._limits.memory_bytes,),
            max_tasks_per_child=self._limits.photos_per_worker,
        )
        self._all.add(pool)
        return pool

    def _release(self, pool: ProcessPoolExecutor) -> None:
        # After `close`, which shuts down every pool it had, none is handed out again.
        if not self._closed:
            self._idle.append(pool)

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        self._all.discard(pool)
        # A worker still busy (timed out, or its caller gone) would run on to its CPU limit
        # with up to its memory limit beside the pool that replaces it: it is ended now.
        # ProcessPoolExecutor can only do this itself from Python 3.14 (kill_workers).
        for process in list((pool._processes or {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


def limit_worker_memory(memory_bytes: int) -> None:
    """Runs first in each worker: bounds its address space, and lets it dump no core."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = _mapped_bytes() + memory_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def clean_within_cpu_limit(
    cleaner: Cleaner, data: bytes, max_bytes: int, cpu_seconds: int
) -> CleanPhoto:
    """Runs in a worker: past `cpu_seconds` more CPU time the kernel sends SIGXCPU, which ends
    the worker, so a photo that takes too long cannot hold it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    return cleaner(data, max_bytes)


def _mapped_bytes() -> int:
    """The address space this process has mapped already."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0
