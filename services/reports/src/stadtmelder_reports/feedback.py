"""The feedback loop: citizens answer "is it fixed?" from the mail about a resolved report, and
"not fixed" puts the report back into the department's queue.

`/api/v1/feedback/{token}` with a signed, per-recipient token. Opening the link (GET, also with
`?outcome=`) shows the question with that answer chosen and records nothing, because mail
scanners and link previews open links; the answer is recorded by a POST (the page's button,
or an app). A POST is idempotent: the same answer again changes nothing.
"""

import logging
from html import escape
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_409_CONFLICT
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.declared_responses import BY_KEY, body_read_by_hand, declared
from stadtmelder_reports.domain import (
    FEEDBACK_COMMENT_MAX_LENGTH,
    FEEDBACK_OUTCOMES,
    Feedback,
    FeedbackOutcome,
    Report,
)
from stadtmelder_reports.errors import InvalidTransition, ReportsError
from stadtmelder_reports.http_errors import error_response
from stadtmelder_reports.preferences import (
    BUTTON,
    LINK_ERRORS,
    LinkHolder,
    LinkTokens,
    html_page,
    page_language,
    paragraph,
    submitted_fields,
    wants_html,
)
from stadtmelder_reports.resolution_feedback import (
    FeedbackAlreadyGiven,
    FeedbackAnswer,
    FeedbackNotAsked,
    given_feedback,
)
from stadtmelder_reports.schemas import (
    ChoiceOut,
    FeedbackAnswerOut,
    FeedbackIn,
    FeedbackQuestionOut,
    LanguageCode,
    feedback_out,
)
from stadtmelder_reports.service import ReportService
from stadtmelder_reports.staff.service import WorkService

log = logging.getLogger(__name__)
AnyRequest = Request[Any, Any, Any]
HOW_TO_ANSWER = (
    "Opening this link records nothing. To answer, POST "
    '{"outcome": "fixed" | "partly" | "not_fixed", "comment": optional text, '
    '"rating": optional 1-5} to it.'
)
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


async def record_answer(
    service: ReportService, work: WorkService, holder: LinkHolder, given: FeedbackAnswer
) -> tuple[Feedback, bool, Report]:
    """Record the answer; "not fixed" reopens the report, which goes back to the department.

    Repeating the same answer repeats the reopening, which does nothing the second time: a
    request that failed between the two steps is completed by trying it again.
    """
    feedback, recorded = await service.give_feedback(holder.report_id, holder.recipient, given)
    if feedback.outcome == "not_fixed":
        try:
            await work.reopen(holder.report_id, given.comment or "", caused_by=feedback.id)
        except InvalidTransition:
            # Someone else's "not fixed" came first, or the department moved on meanwhile.
            log.info("not fixed, but no longer resolved", extra={"report_id": holder.report_id})
    return feedback, recorded, await service.public_report(holder.report_id)


# --- what people read -------------------------------------------------------------------------

_WORDS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Ist der Mangel behoben?",
        "about": "Meldung {report_id}: {category}",
        "fixed": "Ja, er ist behoben",
        "partly": "Er ist nur zum Teil behoben",
        "not_fixed": "Nein, er ist nicht behoben",
        "legend": "Ihre Antwort",
        "comment": "Möchten Sie uns noch etwas sagen? (freiwillig)",
        "comment_hint": "Nur die zuständige Stelle liest Ihren Kommentar. Bitte schreiben Sie "
        "keine persönlichen Daten hinein.",
        "rating": "Wie zufrieden sind Sie mit der Arbeit? (freiwillig)",
        "rating_low": "gar nicht zufrieden",
        "rating_high": "sehr zufrieden",
        "send": "Antwort senden",
        "thanks": "Danke für Ihre Antwort!",
        "reopened": "Ihre Meldung ist wieder bei der zuständigen Stelle. Wir schreiben Ihnen, "
        "wenn sich etwas tut.",
        "answered": "Sie haben schon geantwortet: „{answer}“. Danke!",
        "not_open": "Diese Frage ist gerade nicht offen: Die Meldung ist nicht als erledigt "
        "markiert.",
    },
    "en": {
        "title": "Is the problem fixed?",
        "about": "Report {report_id}: {category}",
        "fixed": "Yes, it is fixed",
        "partly": "It is only partly fixed",
        "not_fixed": "No, it is not fixed",
        "legend": "Your answer",
        "comment": "Is there anything else you want to tell us? (optional)",
        "comment_hint": "Only the department reads your comment. Please do not write personal "
        "details in it.",
        "rating": "How satisfied are you with the work? (optional)",
        "rating_low": "not satisfied at all",
        "rating_high": "very satisfied",
        "send": "Send answer",
        "thanks": "Thank you for your answer!",
        "reopened": "Your report is back with the department. We will write to you when "
        "something happens.",
        "answered": "You have already answered: “{answer}”. Thank you!",
        "not_open": "This question is not open at the moment: the report is not marked as "
        "resolved.",
    },
    "tr": {
        "title": "Sorun giderildi mi?",
        "about": "{report_id} numaralı bildirim: {category}",
        "fixed": "Evet, giderildi",
        "partly": "Sadece kısmen giderildi",
        "not_fixed": "Hayır, giderilmedi",
        "legend": "Yanıtınız",
        "comment": "Bize söylemek istediğiniz başka bir şey var mı? (isteğe bağlı)",
        "comment_hint": "Yorumunuzu yalnızca sorumlu birim okur. Lütfen yoruma kişisel "
        "bilgilerinizi yazmayın.",
        "rating": "Yapılan işten ne kadar memnunsunuz? (isteğe bağlı)",
        "rating_low": "hiç memnun değilim",
        "rating_high": "çok memnunum",
        "send": "Yanıtı gönder",
        "thanks": "Yanıtınız için teşekkür ederiz!",
        "reopened": "Bildiriminiz yeniden sorumlu birimde. Bir gelişme olduğunda size yazacağız.",
        "answered": "Zaten yanıt verdiniz: “{answer}”. Teşekkürler!",
        "not_open": "Bu soru şu anda açık değil: bildirim çözüldü olarak işaretlenmemiş.",
    },
}


def _words(language: str) -> dict[str, str]:
    return _WORDS.get(language) or _WORDS["de"]


def question(
    report: Report, holder: LinkHolder, selected: FeedbackOutcome | None, language: str
) -> FeedbackQuestionOut:
    words = _words(language)
    given = given_feedback(report, holder.recipient)
    return FeedbackQuestionOut(
        report_id=report.id,
        status=report.status,
        category=report.category.name(language),
        question=words["title"],
        choices=[ChoiceOut(key=outcome, name=words[outcome]) for outcome in FEEDBACK_OUTCOMES],
        selected=selected,
        open=report.status == "resolved" and given is None,
        answer=feedback_out(given) if given else None,
        how_to_answer=HOW_TO_ANSWER,
    )


def _form(shown: FeedbackQuestionOut, language: str) -> str:
    words = _words(language)
    about = paragraph(words["about"].format(report_id=shown.report_id, category=shown.category))
    if shown.answer is not None:
        return about + paragraph(words["answered"].format(answer=words[shown.answer.outcome]))
    if not shown.open:
        return about + paragraph(words["not_open"])
    outcomes = "".join(
        f'<p><input type="radio" id="outcome-{o}" name="outcome" value="{o}" required'
        f"{' checked' if o == shown.selected else ''}> "
        f'<label for="outcome-{o}">{escape(words[o])}</label></p>'
        for o in FEEDBACK_OUTCOMES
    )
    ratings = "".join(
        f'<p><input type="radio" id="rating-{n}" name="rating" value="{n}"> '
        f'<label for="rating-{n}">{n}{_rating_words(n, words)}</label></p>'
        for n in range(1, 6)
    )
    plain = "border:none;padding:0;margin:0 0 1rem 0;"
    return (
        about + '<form method="post">'
        f'<fieldset style="{plain}"><legend>{escape(words["legend"])}</legend>{outcomes}'
        "</fieldset>"
        f'<p><label for="comment">{escape(words["comment"])}</label><br>'
        f'<textarea id="comment" name="comment" rows="4" cols="40" '
        f'maxlength="{FEEDBACK_COMMENT_MAX_LENGTH}" aria-describedby="comment-hint" '
        'style="width:100%;font-size:1rem;"></textarea><br>'
        f'<span id="comment-hint">{escape(words["comment_hint"])}</span></p>'
        f'<fieldset style="{plain}"><legend>{escape(words["rating"])}</legend>{ratings}'
        "</fieldset>"
        f'<button type="submit" {BUTTON}>{escape(words["send"])}</button></form>'
    )


def _rating_words(rating: int, words: dict[str, str]) -> str:
    if rating == 1:
        return f" – {escape(words['rating_low'])}"
    if rating == 5:
        return f" – {escape(words['rating_high'])}"
    return ""


def _form_answer(fields: dict[str, Any]) -> dict[str, Any]:
    """A form sends every field as text, and empty ones for what was left out."""
    return {key: value for key, value in fields.items() if value not in (None, "")}


def on_feedback_error(request: AnyRequest, error: ReportsError) -> Response[Any]:
    language = page_language(request, request.query_params.get("lang"))
    words = _words(language)
    if wants_html(request):
        if isinstance(error, FeedbackAlreadyGiven):
            text = words["answered"].format(answer=words[error.given.outcome])
        else:
            text = words["not_open"]
        return html_page(language, words["title"], paragraph(text), HTTP_409_CONFLICT)
    if isinstance(error, FeedbackAlreadyGiven):
        answered = feedback_out(error.given).model_dump(mode="json")
        return error_response(HTTP_409_CONFLICT, "already_answered", str(error), answer=answered)
    return error_response(HTTP_409_CONFLICT, "feedback_not_asked", str(error))


class FeedbackController(Controller):
    path = "/api/v1/feedback"
    tags = ["feedback"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012
        **LINK_ERRORS,
        FeedbackNotAsked: on_feedback_error,
        FeedbackAlreadyGiven: on_feedback_error,
    }

    @get("/{token:str}", responses=declared(*BY_KEY))
    async def show(
        self,
        request: AnyRequest,
        service: NamedDependency[ReportService],
        link_tokens: NamedDependency[LinkTokens],
        token: FromPath[str],
        outcome: FromQuery[FeedbackOutcome | None] = None,
        lang: FromQuery[LanguageCode | None] = None,
    ) -> Response[Any]:
        """The question, with the link's answer chosen; records nothing."""
        holder = link_tokens.check(token, "feedback")
        report = await service.public_report(holder.report_id)
        language = page_language(request, lang)
        shown = question(report, holder, outcome, language)
        if not wants_html(request):
            return Response(shown)
        return html_page(language, shown.question, _form(shown, language))

    @post(
        "/{token:str}",
        status_code=HTTP_201_CREATED,
        responses=declared(*BY_KEY, 409, 413, why={409: NOT_OPEN}),
        operation_class=body_read_by_hand(ANSWER_BODY, required=True),
    )
    async def answer(
        self,
        request: AnyRequest,
        service: NamedDependency[ReportService],
        work: NamedDependency[WorkService],
        link_tokens: NamedDependency[LinkTokens],
        token: FromPath[str],
        lang: FromQuery[LanguageCode | None] = None,
    ) -> Response[Any]:
        """Record the answer (201; 200 when it was recorded before); "not_fixed" reopens."""
        holder = link_tokens.check(token, "feedback")
        data = FeedbackIn.model_validate(_form_answer(await submitted_fields(request)))
        feedback, recorded, report = await record_answer(
            service, work, holder, FeedbackAnswer(data.outcome, data.rating, data.comment)
        )
        status = HTTP_201_CREATED if recorded else HTTP_200_OK
        if not wants_html(request):
            out = FeedbackAnswerOut(
                report_id=report.id,
                status=report.status,
                answer=feedback_out(feedback),
                recorded=recorded,
            )
            return Response(out, status_code=status)
        language = page_language(request, lang)
        words = _words(language)
        body = paragraph(words["thanks"])
        if report.status == "reopened":
            body += paragraph(words["reopened"])
        return html_page(language, words["title"], body, status)
