"""A new report as the JSON API receives it, as JSON or as a multipart form, turned into the
domain's `Submission`."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from litestar.datastructures import UploadFile
from pydantic import ConfigDict, Field, field_validator

from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.errors import FieldProblem, InvalidReport
from stadtmelder_reports.http.request_limits import MAX_TEXT_PART_BYTES
from stadtmelder_reports.http.schemas import ReportIn
from stadtmelder_shared.event_values import Language, Location, Reporter


class ReportForm(ReportIn):
    """The multipart form of a new report: the fields of ReportIn, `answers` as a JSON object in
    one text part, and up to three `photos` files."""

    # UploadFile is Litestar's, not a pydantic type: the model only checks it is one.
    model_config = ConfigDict(arbitrary_types_allowed=True)

    photos: list[UploadFile] = Field(default_factory=list)

    @field_validator("answers", mode="before")
    @classmethod
    def _answers_from_part(cls, raw: object) -> object:
        return answers_from_form(raw) if raw is None or isinstance(raw, str) else raw


def answers_from_form(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    if len(raw) > MAX_TEXT_PART_BYTES:
        # The request watch caps text parts while they arrive; this holds should it be bypassed.
        raise InvalidReport(
            [FieldProblem("answers", f"Send at most {MAX_TEXT_PART_BYTES // 1024} KB of answers.")]
        )
    try:
        answers = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        answers = None
    if not isinstance(answers, dict):
        raise InvalidReport(
            [
                FieldProblem(
                    "answers", 'Send the answers as a JSON object, e.g. {"pole_number": "12"}.'
                )
            ]
        )
    return answers


def submission_of(data: ReportIn) -> Submission:
    if (data.lat is None) != (data.lon is None):
        raise InvalidReport(
            [FieldProblem("lat" if data.lat is None else "lon", "Give both lat and lon.")]
        )
    flat = FlatReport(**data.model_dump(include={f.name for f in fields(FlatReport)}))
    return submission_from(flat, data.category, data.language)


@dataclass(frozen=True, kw_only=True)
class FlatReport:
    """A new report as the JSON API and Open311 receive it: the place as two numbers and the
    contact as three fields, each of them optional."""

    description: str
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    email: str | None = None
    name: str | None = None
    phone: str | None = None


def submission_from(
    report: FlatReport, category: str, language: Language, client_id: str | None = None
) -> Submission:
    """The domain's submission: a place only with both numbers, a contact only with a way to
    reach them (an e-mail address or a phone number)."""
    contact = (
        Reporter(email=report.email, name=report.name, phone=report.phone, language=language)
        if report.email or report.phone
        else None
    )
    location = (
        Location(lat=report.lat, lon=report.lon)
        if report.lat is not None and report.lon is not None
        else None
    )
    return Submission(
        category=category,
        description=report.description,
        location=location,
        address=report.address,
        answers=report.answers,
        language=language,
        contact=contact,
        client_id=client_id,
    )
