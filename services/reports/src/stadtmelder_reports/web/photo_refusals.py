"""Why the form's photos are refused, in the page's language: how many and how large before
cleaning, and the cleaner's refusals by their class, never by its English reason."""

import math
import re
from collections.abc import Sequence

from litestar.datastructures import UploadFile

from stadtmelder_reports.core.domain import MAX_PHOTOS
from stadtmelder_reports.errors import FieldProblem, InvalidReport
from stadtmelder_reports.photos.cleaning import MAX_PIXELS, NotAnImage, PhotoError, PhotoTooLarge
from stadtmelder_reports.web.texts import Words

MEGABYTE = 1024 * 1024
_NUMBERED = re.compile(r"photos\[(\d+)\]")


def chosen_photos(uploads: Sequence[object]) -> list[UploadFile]:
    """The files the citizen chose; a browser sends one empty, nameless part when none."""
    return [u for u in uploads if isinstance(u, UploadFile) and u.filename]


def upload_size(upload: UploadFile) -> int:
    # The part is already spooled (memory or a temporary file); its end is its size.
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def megabytes(size: int, t: Words, round_up: bool) -> str:
    """One decimal at most, with the language's decimal mark. A photo's size is rounded up
    and the limit down, so a photo over the limit never reads as equal to it."""
    tenths = size * 10 / MEGABYTE
    value = (math.ceil(tenths) if round_up else math.floor(tenths)) / 10
    text = f"{value:.1f}".removesuffix(".0")
    return text if t.language == "en" else text.replace(".", ",")


def refused_before_cleaning(uploads: list[UploadFile], max_bytes: int, t: Words) -> list[str]:
    """Too many photos or one too large: said before any photo is decoded."""
    if len(uploads) > MAX_PHOTOS:
        return [t("photo_too_many", count=len(uploads), most=MAX_PHOTOS)]
    refused = []
    for number, upload in enumerate(uploads, start=1):
        size = upload_size(upload)
        if size > max_bytes:
            refused.append(
                t(
                    "photo_too_large",
                    n=number,
                    name=upload.filename,
                    size=megabytes(size, t, round_up=True),
                    limit=megabytes(max_bytes, t, round_up=False),
                )
            )
    return refused


def is_about_photos(problem: FieldProblem) -> bool:
    return problem.field == "photos" or _NUMBERED.fullmatch(problem.field) is not None


def refused_by_cleaner(
    error: PhotoError | InvalidReport, uploads: list[UploadFile], max_bytes: int, t: Words
) -> list[str]:
    """The cleaner's refusal as sentences: the class of its PhotoError decides the sentence,
    the field `photos[n]` (when it wraps the error in InvalidReport) the photo's number."""
    photo_error = _photo_error_in(error)
    if isinstance(error, PhotoError):
        return [_sentence(photo_error, 0, "", max_bytes, t)]
    sentences = []
    for problem in filter(is_about_photos, error.problems):
        found = _NUMBERED.fullmatch(problem.field)
        if found is None:
            sentences.append(t("photo_too_many", count=len(uploads), most=MAX_PHOTOS))
            continue
        number = int(found[1])
        name = uploads[number - 1].filename if 0 < number <= len(uploads) else ""
        sentences.append(_sentence(photo_error, number, name, max_bytes, t))
    return sentences


def _sentence(error: PhotoError | None, number: int, name: str, max_bytes: int, t: Words) -> str:
    which = t("photo_number", n=number, name=name) if number else t("photo_one")
    if isinstance(error, PhotoTooLarge):
        limit = megabytes(max_bytes, t, round_up=False)
        return t("photo_too_big", photo=which, limit=limit, pixels=MAX_PIXELS // 1_000_000)
    if isinstance(error, NotAnImage):
        return t("photo_not_an_image", photo=which)
    return t("photo_unusable", photo=which)


def _photo_error_in(error: BaseException | None) -> PhotoError | None:
    # Wrapped `from None`, the photo's error is still the wrapping one's __context__.
    for _ in range(5):
        if error is None or isinstance(error, PhotoError):
            return error
        error = error.__cause__ or error.__context__
    return None
