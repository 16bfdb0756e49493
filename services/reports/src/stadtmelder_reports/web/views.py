"""What the pages show of reports beyond their public view: map points and readable answers."""

from collections.abc import Mapping
from typing import Any

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.categories import answer_lines
from stadtmelder_reports.core.domain import OPEN_STATUSES
from stadtmelder_reports.http.schemas import ReportOut
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.event_values import Answer


def map_points(views: list[ReportOut], t: Words, link: bool = True) -> list[dict[str, Any]]:
    """What the map script draws: places, never more than the public view holds."""
    return [
        {
            "id": view.id,
            "lat": view.lat,
            "lon": view.lon,
            "title": f"{view.category.name} – {t.composed('status_', view.status)}",
            "open": view.status in OPEN_STATUSES,
            "url": f"/reports/{view.id}" if link else "",
        }
        for view in views
        if view.lat is not None and view.lon is not None
    ]


def readable_answers(
    jurisdiction: Jurisdiction, category: str, answers: Mapping[str, Answer], language: str
) -> list[tuple[str, str]]:
    """Each answer as (question, answer) in the page's language, in the question order."""
    found = jurisdiction.category(category)
    if found is None:
        return [(code, str(value)) for code, value in answers.items()]
    return answer_lines(found, answers, language)
