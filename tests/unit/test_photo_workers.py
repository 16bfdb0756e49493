import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, NoReturn

import pytest
from litestar.datastructures import UploadFile
from litestar.exceptions import ServiceUnavailableException
from PIL.ExifTags import IFD

from stadtmelder_reports.errors import InvalidReport
from stadtmelder_reports.photos.cleaning import (
    MAX_PHOTO_BYTES,
    CleanPhoto,
    NotAnImage,
    PhotoTooLarge,
)
from stadtmelder_reports.photos.uploads import clean_photos
from stadtmelder_reports.photos.workers import PhotoWorkers, WorkerLimits
from tests.photo_worker_faults import crash_or_spin_on_request, spin_forever
from tests.photo_worker_spies import tell_pid_then_clean_slowly, tell_pid_then_spin
from tests.system import wait_until
from tests.unit.test_photos import a_photo, geotag, opened, plain_rgba_png

MEGABYTE = 1024 * 1024


def vm_rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def png_bomb() -> bytes:
    """The PNG of issue 13: 6320 × 6320 pixels (40 MP, 160 MB decoded) in 166 KB."""
    return plain_rgba_png(6320, (90, 120, 30, 255))


def largest_png_allowed() -> bytes:
    """25 MP with transparency: the most memory a photo under the pixel limit can take."""
    return plain_rgba_png(5000, (90, 120, 30, 128))


@pytest.fixture(scope="module")
async def workers() -> AsyncIterator[PhotoWorkers]:
    workers = PhotoWorkers(cleaner=crash_or_spin_on_request)
    yield workers
    await workers.close()


async def largest_gap_while(work: Awaitable[object]) -> float:
    """The longest the event loop went without running a 10 ms ticker while `work` ran."""
    gaps = [0.0]
    done = asyncio.Event()

    async def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        await work
    finally:
        done.set()
        await ticker
    return max(gaps)


async def test_photo_is_cleaned_in_a_worker_with_its_gps_kept_and_its_metadata_dropped(
    workers: PhotoWorkers,
) -> None:
    photo = await workers.clean(a_photo(exif=geotag().tobytes()), MAX_PHOTO_BYTES)

    assert photo.gps is not None
    assert (photo.gps.lat, photo.gps.lon) == pytest.approx((51.4344, 6.7623), abs=1e-5)
    assert "exif" not in opened(photo.data).info
    assert opened(photo.data).getexif().get_ifd(IFD.GPSInfo) == {}


async def test_refusal_in_a_worker_reaches_the_caller_with_its_class(
    workers: PhotoWorkers,
) -> None:
    with pytest.raises(NotAnImage) as error:
        await workers.clean(b"Liebe Stadt, hier ist ein Schlagloch.", MAX_PHOTO_BYTES)

    assert "JPEG, PNG or WebP" in error.value.reason


async def test_worker_that_crashes_refuses_the_photo_and_the_next_photo_is_cleaned(
    workers: PhotoWorkers,
) -> None:
    with pytest.raises(PhotoTooLarge) as error:
        await workers.clean(b"crash", MAX_PHOTO_BYTES)

    assert "more memory or time than we allow" in error.value.reason
    photo = await workers.clean(a_photo(), MAX_PHOTO_BYTES)
    assert (photo.width, photo.height) == (200, 100)


async def test_worker_out_of_memory_refuses_the_photo_and_the_next_photo_is_cleaned() -> None:
    workers = PhotoWorkers(limits=WorkerLimits(memory_bytes=24 * MEGABYTE))
    try:
        # 16 MP: 64 MB decoded, more than the worker may add.
        large = plain_rgba_png(4000, (90, 120, 30, 255))
        with pytest.raises(PhotoTooLarge):
            await workers.clean(large, MAX_PHOTO_BYTES)

        photo = await workers.clean(a_photo(), MAX_PHOTO_BYTES)
        assert (photo.width, photo.height) == (200, 100)
    finally:
        await workers.close()


async def test_cleaning_that_never_ends_is_stopped_by_the_cpu_limit() -> None:
    workers = PhotoWorkers(cleaner=spin_forever, limits=WorkerLimits(cpu_seconds=1))
    try:
        with pytest.raises(PhotoTooLarge):
            await workers.clean(a_photo(), MAX_PHOTO_BYTES)
    finally:
        await workers.close()


async def test_caller_waits_no_longer_than_the_timeout() -> None:
    workers = PhotoWorkers(
        cleaner=spin_forever, limits=WorkerLimits(cpu_seconds=2, timeout_seconds=1.0)
    )
    try:
        started = time.monotonic()
        with pytest.raises(PhotoTooLarge):
            await workers.clean(a_photo(), MAX_PHOTO_BYTES)
        # The first photo also starts the fork server; a busy machine may add seconds.
        assert time.monotonic() - started < 10.0
    finally:
        await workers.close()


async def test_a_photo_given_up_by_its_caller_does_not_hold_up_the_next() -> None:
    workers = PhotoWorkers(1, cleaner=crash_or_spin_on_request, limits=WorkerLimits(cpu_seconds=60))
    try:
        given_up = asyncio.create_task(workers.clean(b"spin", MAX_PHOTO_BYTES))
        await asyncio.sleep(0.5)
        given_up.cancel()

        photo = await asyncio.wait_for(workers.clean(a_photo(), MAX_PHOTO_BYTES), 30)

        assert (photo.width, photo.height) == (200, 100)
        assert given_up.cancelled()
    finally:
        await workers.close()


def running(pid: int) -> bool:
    """Whether `pid` is alive and not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


async def test_a_worker_given_up_on_is_ended_at_once_not_left_to_its_cpu_limit(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "pid"
    # Long enough for a worker to start and tell its pid on a busy machine (3 s were not).
    workers = PhotoWorkers(
        1, cleaner=tell_pid_then_spin, limits=WorkerLimits(cpu_seconds=120, timeout_seconds=10.0)
    )
    try:
        with pytest.raises(PhotoTooLarge):
            await workers.clean(str(pid_file).encode(), MAX_PHOTO_BYTES)
        pid = int(pid_file.read_text())

        async def ended() -> bool:
            return not running(pid)

        await wait_until(ended, timeout=10, what=f"worker {pid} to end")
    finally:
        await workers.close()


async def test_a_photo_after_close_is_refused_as_the_service_stopping(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    workers = PhotoWorkers(1, cleaner=tell_pid_then_clean_slowly)
    busy = asyncio.create_task(workers.clean(str(pid_file).encode(), MAX_PHOTO_BYTES))

    async def started() -> bool:
        return pid_file.exists()

    await wait_until(started, what="the worker to start")
    await workers.close()  # while the photo is being cleaned

    assert (await busy).width == 200
    with pytest.raises(ServiceUnavailableException, match="stopping"):
        await workers.clean(a_photo(), MAX_PHOTO_BYTES)


async def test_a_worker_that_cannot_start_refuses_with_503_not_a_crash() -> None:
    workers = PhotoWorkers(1)

    async def broken(*_: Any, **__: Any) -> NoReturn:
        raise BrokenProcessPool("the fork server is gone")

    workers._submit_to = broken  # type: ignore[method-assign]
    try:
        with pytest.raises(ServiceUnavailableException, match="again in a minute"):
            await workers.clean(a_photo(), MAX_PHOTO_BYTES)
    finally:
        await workers.close()


async def test_png_bomb_is_refused_without_stalling_the_loop_or_growing_the_process(
    workers: PhotoWorkers,
) -> None:
    bomb, largest = png_bomb(), largest_png_allowed()
    assert len(bomb) < 200_000
    await workers.clean(a_photo(), MAX_PHOTO_BYTES)  # starts the fork server and a worker
    before = vm_rss()

    async def clean_both() -> CleanPhoto:
        with pytest.raises(PhotoTooLarge):
            await workers.clean(bomb, MAX_PHOTO_BYTES)
        return await workers.clean(largest, MAX_PHOTO_BYTES)

    gap = await largest_gap_while(clean_both())

    assert gap < 0.5
    assert vm_rss() - before < 50 * MEGABYTE


async def test_upload_over_the_byte_limit_names_the_limit_not_a_wrong_size(
    workers: PhotoWorkers,
) -> None:
    upload = UploadFile("image/jpeg", "big.jpg", a_photo() + b"\0" * 22 * MEGABYTE)

    with pytest.raises(InvalidReport) as error:
        await clean_photos([upload], MAX_PHOTO_BYTES, workers)

    [problem] = error.value.problems
    assert problem.field == "photos[1]"
    assert problem.reason.startswith("Photos may be at most 10 MB and this one is larger")
    assert "10.1" not in problem.reason
    # Pages word the refusal in their language by the class of the error it wraps.
    assert isinstance(error.value.__context__, PhotoTooLarge)
    await upload.close()


async def test_uploads_are_cleaned_in_order_and_nameless_parts_skipped(
    workers: PhotoWorkers,
) -> None:
    uploads = [
        UploadFile("image/jpeg", "one.jpg", a_photo(size=(30, 20))),
        UploadFile("application/octet-stream", "", b""),
        UploadFile("image/png", "two.png", a_photo("PNG", size=(40, 20))),
    ]

    photos = await clean_photos(uploads, MAX_PHOTO_BYTES, workers)

    assert [(p.media_type, p.width) for p in photos] == [("image/jpeg", 30), ("image/png", 40)]
    for upload in uploads:
        await upload.close()
