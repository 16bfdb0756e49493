"""Uploaded photos to clean photos for the entrypoints (JSON API, web form, Open311), through
the app's photo workers, which the lifespan starts and stops."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency

from stadtmelder_reports.core.domain import MAX_PHOTOS
from stadtmelder_reports.errors import FieldProblem, InvalidReport
from stadtmelder_reports.photos.cleaning import CleanPhoto, PhotoError
from stadtmelder_reports.photos.workers import PhotoWorkers

PhotoCleaning = NamedDependency[PhotoWorkers]


async def clean_photos(
    uploads: list[UploadFile], max_bytes: int, workers: PhotoWorkers
) -> tuple[CleanPhoto, ...]:
    uploads = [upload for upload in uploads if upload.filename]
    if len(uploads) > MAX_PHOTOS:
        raise InvalidReport([FieldProblem("photos", f"Please send at most {MAX_PHOTOS} photos.")])
    photos = []
    for number, upload in enumerate(uploads, start=1):
        # One byte past the limit is enough to refuse it; the rest is never read.
        data = await upload.read(max_bytes + 1)
        try:
            photos.append(await workers.clean(data, max_bytes))
        except PhotoError as error:
            # The PhotoError stays the __context__, so pages can word it by its class.
            raise InvalidReport([FieldProblem(f"photos[{number}]", error.reason)]) from None
    return tuple(photos)


@asynccontextmanager
async def photo_workers(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan part that owns `state.photo_workers`."""
    workers = app.state.photo_workers = PhotoWorkers()
    await workers.start()
    try:
        yield
    finally:
        await workers.close()


def provide_photo_workers(state: State) -> PhotoWorkers:
    workers: PhotoWorkers = state.photo_workers
    return workers
