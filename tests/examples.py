"""Example inputs shared by the test tiers: places in and around Duisburg, valid answers, photos."""

import io
import os
from pathlib import Path
from typing import Any

from PIL import Image

from stadtmelder_reports.core.categories import Category


def _osm_directory() -> Path:
    """Duisburg's OSM boundaries: `$STADTMELDER_SHARED_DATA`, else `../shared/data` beside the
    repository, else the workplace's copy; tests that need them skip with a reason otherwise."""
    candidates = [
        Path(os.environ.get("STADTMELDER_SHARED_DATA", "/nonexistent")),
        Path(__file__).resolve().parents[2] / "shared/data",
        Path("/work/shared/data"),
    ]
    for candidate in candidates:
        if (candidate / "duisburg-osm").is_dir():
            return candidate / "duisburg-osm"
    return candidates[1] / "duisburg-osm"


OSM_DIRECTORY = _osm_directory()

# Well inside Duisburg (Königstraße, Innenhafen) and clearly outside it.
KOENIGSTRASSE = (51.4325, 6.7652)
INNER_HARBOUR = (51.4380, 6.7700)
DUESSELDORF_ALTSTADT = (51.2277, 6.7735)


def valid_answers(category: Category | None) -> dict[str, Any]:
    """An answer to every required question that does not stop the report; none if no category."""
    answers: dict[str, Any] = {}
    for question in category.questions if category else ():
        if not question.required:
            continue
        stops = question.stop.values if question.stop else frozenset()
        allowed = [choice.key for choice in question.values if choice.key not in stops]
        match question.datatype:
            case "singlevaluelist":
                answers[question.code] = allowed[0]
            case "multivaluelist":
                answers[question.code] = allowed[:1]
            case "number":
                answers[question.code] = 1
            case "datetime":
                answers[question.code] = "2026-11-27T08:30:00+01:00"
            case _:
                answers[question.code] = "Beispiel"
    return answers


def geotagged_jpeg(lat: float, lon: float, size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG whose EXIF carries a GPS position (north/east), like a phone photo."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[3] = "N", "E"
    gps[2] = _dms(lat)
    gps[4] = _dms(lon)
    exif[0x010F] = "Phonemaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)
