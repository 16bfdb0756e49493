"""The use cases behind the mail links that change more than one report document."""

import logging

from stadtmelder_reports.citizen_links.domain import FeedbackAnswer
from stadtmelder_reports.core.citizen_choices import CitizenChoices
from stadtmelder_reports.core.domain import Feedback, Report
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import InvalidTransition
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

    Repeating the same answer repeats the reopening, which does nothing the second time: a
    request that failed between the two steps is completed by trying it again.
    """
    feedback, recorded = await choices.give_feedback(holder.report_id, holder.recipient, given)
    if feedback.outcome == "not_fixed":
        try:
            await work.reopen(holder.report_id, given.comment or "", caused_by=feedback.id)
        except InvalidTransition:
            # Someone else's "not fixed" came first, or the department moved on meanwhile.
            log.info("not fixed, but no longer resolved", extra={"report_id": holder.report_id})
    return feedback, recorded, await service.public_report(holder.report_id)
