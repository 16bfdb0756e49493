"""What every HTTP entrypoint reads from a request the same way: the caller's address, the public
base URL for links, the public view in the asked language, list cursors and repeated query
parameters."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from stadtmelder_reports.core.citizen_choices import CitizenChoices
from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import InvalidQuery
from stadtmelder_reports.http.declared_responses import REPEATED_TEXT
from stadtmelder_reports.http.schemas import LanguageCode, ReportOut, public_view
from stadtmelder_reports.staff.service import WorkService


@dataclass(frozen=True)
class ApiSettings:
    """Absolute URLs in answers come from the public base URL, never from request headers."""

    base_url: str
    max_photo_bytes: int


AnyRequest = Request[Any, Any, Any]
# The use cases a handler asks for by parameter name (`service`, `choices`, `work`, `links`,
# and `as_public` where a controller provides it).
Service = NamedDependency[ReportService]
Choices = NamedDependency[CitizenChoices]
Work = NamedDependency[WorkService]
Links = NamedDependency[ApiSettings]
AsPublic = NamedDependency[Callable[[Report], ReportOut]]
# A query parameter given any number of times, e.g. `?category=a&category=b`.
Texts = Annotated[list[str] | None, QueryParameter(schema_extra=REPEATED_TEXT)]


def as_public(links: Links, lang: FromQuery[LanguageCode] = "de") -> Callable[[Report], ReportOut]:
    """Reports as anyone may see them, in the language the caller asked for with `?lang=`."""
    return partial(public_view, language=lang, base_url=links.base_url)


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address; uvicorn rewrites it from proxy headers only for trusted proxies."""
    return f"ip:{request.client.host if request.client else 'unknown'}"


def encode_cursor(created_at: datetime, report_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{report_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, report_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(at), report_id
    except ValueError:
        raise InvalidQuery(
            "cursor", "Use the next_cursor of the previous page unchanged."
        ) from None
