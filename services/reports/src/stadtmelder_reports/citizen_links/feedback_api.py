"""The feedback loop: citizens answer "is it fixed?" from the mail about a resolved report, and
"not fixed" puts the report back into the department's queue.

`/api/v1/feedback/{token}` with a signed, per-recipient token. Opening the link (GET, also with
`?outcome=`) shows the question with that answer chosen and records nothing, because mail
scanners and link previews open links; the answer is recorded by a POST (the page's button,
or an app). A POST is idempotent: the same answer again changes nothing.
"""

from typing import Any

from litestar import Controller, Response, get, post
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromQuery
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_409_CONFLICT
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.citizen_links import pages
from stadtmelder_reports.citizen_links.domain import (
    FeedbackAlreadyGiven,
    FeedbackAnswer,
    FeedbackNotAsked,
    given_feedback,
)
from stadtmelder_reports.citizen_links.languages import link_language
from stadtmelder_reports.citizen_links.service import record_answer
from stadtmelder_reports.core.domain import (
    FEEDBACK_COMMENT_MAX_LENGTH,
    FEEDBACK_OUTCOMES,
    FeedbackOutcome,
    Report,
)
from stadtmelder_reports.errors import ReportsError
from stadtmelder_reports.http.declared_responses import BY_KEY, body_read_by_hand, declared
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.requests import AnyRequest, Choices, Service, Work
from stadtmelder_reports.http.schemas import (
    ChoiceOut,
    FeedbackAnswerOut,
    FeedbackIn,
    FeedbackQuestionOut,
    LanguageCode,
    feedback_out,
)
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.link_tokens import LinkHolder, LinkPurpose

# FeedbackIn as JSON or as the page's form, which the route reads itself.
ANSWER_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["outcome"],
    properties={
        "outcome": Schema(type=OpenAPIType.STRING, enum=list(FEEDBACK_OUTCOMES)),
        "comment": Schema(type=OpenAPIType.STRING, max_length=FEEDBACK_COMMENT_MAX_LENGTH),
        "rating": Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=5),
    },
)
NOT_OPEN = (
    "The report is not resolved (any more), so there is nothing to answer (`feedback_not_asked`), "
    "or you gave another answer already (`already_answered`, with `answer`)."
)


def question(
    report: Report, holder: LinkHolder, selected: FeedbackOutcome | None, language: LanguageCode
) -> FeedbackQuestionOut:
    t = Words(language)
    given = given_feedback(report, holder.recipient)
    return FeedbackQuestionOut(
        report_id=report.id,
        status=report.status,
        category=report.category.name(language),
        question=t("feedback_title"),
        choices=[
            ChoiceOut(key=outcome, name=t.composed("feedback_", outcome))
            for outcome in FEEDBACK_OUTCOMES
        ],
        selected=selected,
        open=report.status == "resolved" and given is None,
        answer=feedback_out(given) if given else None,
        how_to_answer=t("feedback_how_to_answer"),
    )


def _form_answer(fields: dict[str, Any]) -> dict[str, Any]:
    """A form sends every field as text, and empty ones for what was left out."""
    return {key: value for key, value in fields.items() if value not in (None, "")}


def on_feedback_error(request: AnyRequest, error: ReportsError) -> Response[Any]:
    t = Words(link_language(request))
    if pages.wants_html(request):
        if isinstance(error, FeedbackAlreadyGiven):
            text = t("feedback_answered", answer=t.composed("feedback_", error.given.outcome))
        else:
            text = t("links_feedback_not_open")
        return pages.message_page(
            request, t.language, t("feedback_title"), text, status_code=HTTP_409_CONFLICT
        )
    if isinstance(error, FeedbackAlreadyGiven):
        answered = feedback_out(error.given).model_dump(mode="json")
        return error_response(HTTP_409_CONFLICT, "already_answered", str(error), answer=answered)
    return error_response(HTTP_409_CONFLICT, "feedback_not_asked", str(error))


class FeedbackController(Controller):
    path = "/api/v1/feedback"
    tags = ["feedback"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = pages.link_dependencies(LinkPurpose.FEEDBACK)
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012
        **pages.LINK_ERRORS,
        FeedbackNotAsked: on_feedback_error,
        FeedbackAlreadyGiven: on_feedback_error,
    }

    @get("/{token:str}", responses=declared(*BY_KEY))
    async def show(
        self,
        request: AnyRequest,
        service: Service,
        holder: pages.Holder,
        outcome: FromQuery[FeedbackOutcome | None] = None,
        lang: FromQuery[LanguageCode | None] = None,
    ) -> Response[Any]:
        """The question, with the link's answer chosen; records nothing."""
        report = await service.public_report(holder.report_id)
        language = link_language(request, lang)
        shown = question(report, holder, outcome, language)
        if not pages.wants_html(request):
            return Response(shown)
        return pages.link_page(
            request,
            "links_feedback.html.j2",
            language,
            shown.question,
            shown=shown,
            outcomes=FEEDBACK_OUTCOMES,
            comment_max_length=FEEDBACK_COMMENT_MAX_LENGTH,
        )

    @post(
        "/{token:str}",
        status_code=HTTP_201_CREATED,
        responses=declared(*BY_KEY, 409, 413, why={409: NOT_OPEN}),
        operation_class=body_read_by_hand(ANSWER_BODY, required=True),
    )
    async def answer(
        self,
        request: AnyRequest,
        service: Service,
        choices: Choices,
        work: Work,
        holder: pages.Holder,
        lang: FromQuery[LanguageCode | None] = None,
    ) -> Response[Any]:
        """Record the answer (201; 200 when it was recorded before); "not_fixed" reopens."""
        data = FeedbackIn.model_validate(_form_answer(await pages.submitted_fields(request)))
        feedback, recorded, report = await record_answer(
            service, choices, work, holder, FeedbackAnswer(data.outcome, data.rating, data.comment)
        )
        status = HTTP_201_CREATED if recorded else HTTP_200_OK
        if not pages.wants_html(request):
            out = FeedbackAnswerOut(
                report_id=report.id,
                status=report.status,
                answer=feedback_out(feedback),
                recorded=recorded,
            )
            return Response(out, status_code=status)
        t = Words(link_language(request, lang))
        said = [t("links_feedback_thanks")]
        if report.status == "reopened":
            said.append(t("links_feedback_reopened"))
        return pages.message_page(
            request, t.language, t("feedback_title"), *said, status_code=status
        )
