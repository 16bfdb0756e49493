"""What the OpenAPI document says beyond the handlers' signatures: the error answers of each
JSON API operation, and the bodies of routes that read their body themselves.

Every error body has the shape `http.errors.error_response` writes. A route lists the statuses
it can answer, and for a status with a reason of its own (why a well-formed request is still
refused) says that reason, so a client reads from the document what it has to handle.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from litestar.enums import MediaType, RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from pydantic import BaseModel, Field

from stadtmelder_reports.http.request_limits import MAX_BODY_BYTES, MAX_FIELDS, MAX_JSON_DEPTH
from stadtmelder_reports.http.schemas import NearbyReportOut


class FieldErrorOut(BaseModel):
    field: str = Field(description="Where the problem is, e.g. `lat` or `answers.pole_number`.")
    reason: str = Field(description="What to fix, as a sentence.")


class ErrorOut(BaseModel):
    """Every error answer; some add fields of their own, named in their description."""

    status_code: int
    code: str = Field(description="Stable and machine-readable, e.g. `invalid_report`.")
    detail: str = Field(description="What went wrong and what to do, as a sentence.")
    errors: list[FieldErrorOut] | None = Field(
        None, description="The fields to fix, when the request was refused for its content."
    )


class ReportStoppedOut(ErrorOut):
    """An answer said there is danger: the report was not filed; call someone instead."""

    question: str = Field(description="The question whose answer stopped the report.")
    advice: dict[str, str] = Field(description="The advice in every language, by code.")
    advice_text: str = Field(description="The advice in the language asked for.")


class PossibleDuplicatesOut(ErrorOut):
    """`check_duplicates` was true and open reports of the category are near: none was filed."""

    duplicates: list[NearbyReportOut]


class ConflictOut(ErrorOut):
    """The state of the thing does not allow the step; the fields present depend on `code`."""

    current_status: str | None = Field(None, description="`invalid_transition`: the status now.")
    allowed: list[str] | None = Field(None, description="`invalid_transition`: steps allowed.")
    assignee: str | None = Field(None, description="`already_claimed`: who holds the report.")


# What each status means when the route has nothing more specific to say.
MEANING: Mapping[int, str] = {
    400: "The request was not accepted: `errors` names each field to fix and why.",
    401: "Sign in first: the staff token is missing, expired or not valid "
    "(the WWW-Authenticate header says which).",
    403: "Your token or API key does not allow this.",
    404: "There is no such thing here, or the link or token is not (or no longer) valid.",
    409: "The thing is in a state that does not allow this now; `detail` says why.",
    413: f"The body is larger than this route takes: {MAX_BODY_BYTES // 1024} KB, or with photos "
    "three photos at the photo limit and the form's fields. Nothing of it was kept.",
    422: "An answer says there is danger: the report was not filed, and `advice_text` says "
    "whom to call instead.",
    429: "Too many requests from this client: wait `retry_after_seconds` (also in the "
    "Retry-After header), then try again.",
    503: "The service cannot reach its database (or the sign-in service) at the moment and "
    "changed nothing; try again after the Retry-After header's seconds.",
}
BODIES: Mapping[int, type[ErrorOut]] = {422: ReportStoppedOut}
# Bounds every body is held to while it arrives (`request_limits`), before any parsing.
TOO_COMPLEX = (
    f"A body is also refused (`request_too_complex`) with more than {MAX_FIELDS} form fields or "
    f"parts, or JSON nested more than {MAX_JSON_DEPTH} levels deep."
)


def declared(
    *statuses: int,
    why: Mapping[int, str] | None = None,
    bodies: Mapping[int, type[ErrorOut]] | None = None,
) -> dict[int, ResponseSpec]:
    """The error answers of one route: `why` gives a status a route's own reasons."""
    reasons = {**MEANING, **(why or {})}
    if 413 in statuses:
        reasons[400] = f"{reasons[400]} {TOO_COMPLEX}"
    shapes = {**BODIES, **(bodies or {})}
    return {
        status: ResponseSpec(
            data_container=shapes.get(status, ErrorOut),
            description=reasons[status],
            generate_examples=False,
        )
        for status in sorted(statuses)
    }


# The common sets, from the cross-cutting reasons: parameters and bodies are validated (400),
# bodies are bounded (413), the database can be away (503).
READ = (400, 503)
BY_KEY = (400, 404, 503)
STAFF = (400, 401, 403, 503)

# Why a request the schema allows can still be refused: rules of the place and the category.
EMAIL_REFUSED = (
    "An `email` at a domain reserved for special use (.arpa, .invalid, .local, .localhost, "
    ".onion, .test) can receive no mail and is refused."
)
REPORT_REFUSED = (
    "The report was not accepted: `errors` names each field to fix. Beyond this schema a "
    "report is refused when its `category` is not one of GET /api/v1/categories; when it says "
    "nowhere where the defect is (lat/lon, an address, or a photo's position) or the point "
    "lies outside the city's area; when an answer the category requires is missing, or an "
    "answer names no question of the category or does not fit its question (type, choices); "
    "when the category takes no anonymous reports and neither e-mail nor phone is given; or "
    f"when lat is given without lon or the other way round. {EMAIL_REFUSED}"
)
REPORT_FORM_REFUSED = (
    f"{REPORT_REFUSED} The form is also refused for more than three photos, a photo that is "
    "not an image or is larger than allowed, or `answers` that are not a JSON object."
)
DUPLICATES_FOUND = (
    "`check_duplicates` was true and open reports of the same category are near the place: "
    "nothing was filed. Support one of `duplicates`, or send again with `check_duplicates` "
    "false."
)
SUPPORT_REFUSED = f"The support was not accepted: `errors` names the field. {EMAIL_REFUSED}"
QUERY_REFUSED = (
    "The query was not understood: `errors` names the parameter. Beyond this schema a "
    "`cursor` must be a page's `next_cursor` unchanged, a `bbox` must be four numbers "
    "min_lon,min_lat,max_lon,max_lat with the minimum below the maximum, and `jurisdiction` "
    "must be the one this service serves (see the Open311 discovery)."
)


def report_submission(refused: str) -> dict[int, ResponseSpec]:
    """A new report: refused for its content (400, 422), a duplicate (409), too big (413), too
    many from one client (429), or the database away (503)."""
    return declared(
        400,
        409,
        413,
        422,
        429,
        503,
        why={400: refused, 409: DUPLICATES_FOUND},
        bodies={409: PossibleDuplicatesOut},
    )


def body_read_by_hand(fields: Schema, *, required: bool) -> type[Operation]:
    """The operation class of a route that reads its body itself, as JSON or as a browser's
    form: Litestar documents only a body it parses, and an undocumented body is a refusal
    the document does not state."""
    body = RequestBody(
        content={
            media_type: OpenAPIMediaType(schema=fields)
            for media_type in (MediaType.JSON, RequestEncodingType.URL_ENCODED)
        },
        required=required,
    )

    @dataclass
    class OperationWithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return OperationWithBody


# A query parameter is absent or given, never null: Litestar writes `list[str] | None` as
# oneOf [array, null], which fuzzers (and some client generators) take at its word.
REPEATED_TEXT = {
    "one_of": None,
    "type": OpenAPIType.ARRAY,
    "items": Schema(type=OpenAPIType.STRING),
}
