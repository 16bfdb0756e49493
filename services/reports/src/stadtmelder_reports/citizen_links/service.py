"""The use cases behind the mail links that change more than one report document."""

import logging

from stadtmelder_reports.citizen_links import domain as feedback_rules
from stadtmelder_reports.citizen_links.domain import FeedbackAlreadyGiven, FeedbackAnswer
from stadtmelder_reports.commands.domain import FeedbackGiven, ReportCommandRequested
from stadtmelder_reports.core.citizen_choices import CitizenChoices
from stadtmelder_reports.core.domain import Feedback, Report
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import InvalidTransition, ReportChangedMeanwhile
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_shared.link_tokens import LinkHolder

log = logging.getLogger(__name__)


async def record_answer(
    service: ReportService,
    choices: CitizenChoices,
    work: WorkService,
    holder: LinkHolder,
    given: FeedbackAnswer,
) -> tuple[Feedback, bool, Report]:
    """Record the answer; "not fixed" reopens the report, which goes back to the department.

    Both are written by the report's one writer (see `commands`), or here without one.
    """
    if work.commands is None:
        feedback, recorded = await answer_here(choices, work, holder, given)
        return feedback, recorded, await service.public_report(holder.report_id)
    report = await service.public_report(holder.report_id)
    _check_not_answered_otherwise(report, holder, given)
    action = FeedbackGiven(recipient=holder.recipient, **vars(given))
    command = ReportCommandRequested(
        report_id=report.id, jurisdiction=report.jurisdiction, action=action
    )
    try:
        recorded = await work.commands.run(command)
    except ReportChangedMeanwhile:
        # Refused for an answer given meanwhile, which cannot travel: say which one.
        _check_not_answered_otherwise(await service.public_report(report.id), holder, given)
        raise
    report = await service.public_report(report.id)
    answered = feedback_rules.given_feedback(report, holder.recipient)
    if answered is None:  # resolved anew meanwhile: the answer was about the resolution before
        raise ReportChangedMeanwhile(report.id)
    return answered, recorded, report


async def answer_here(
    choices: CitizenChoices, work: WorkService, holder: LinkHolder, given: FeedbackAnswer
) -> tuple[Feedback, bool]:
    """Repeating the same answer repeats the reopening, which does nothing the second time: a
    request that failed between the two steps is completed by trying it again."""
    feedback, recorded = await choices.give_feedback(holder.report_id, holder.recipient, given)
    if feedback.outcome == "not_fixed":
        try:
            await work.reopen(holder.report_id, given.comment or "", caused_by=feedback.id)
        except InvalidTransition:
            # Someone else's "not fixed" came first, or the department moved on meanwhile.
            log.info("not fixed, but no longer resolved", extra={"report_id": holder.report_id})
    return feedback, recorded


async def apply_feedback(
    choices: CitizenChoices, work: WorkService, command: ReportCommandRequested
) -> bool:
    """The owner's side of `record_answer`: False if the answer was recorded before."""
    action = command.action
    if not isinstance(action, FeedbackGiven):
        raise TypeError(f"{action.kind} is no feedback")
    given = FeedbackAnswer(action.outcome, action.rating, action.comment)
    _, recorded = await answer_here(
        choices, work, LinkHolder(command.report_id, action.recipient), given
    )
    return recorded


def _check_not_answered_otherwise(
    report: Report, holder: LinkHolder, given: FeedbackAnswer
) -> None:
    before = feedback_rules.given_feedback(report, holder.recipient)
    if before is not None and before.outcome != given.outcome:
        raise FeedbackAlreadyGiven(report.id, before)
