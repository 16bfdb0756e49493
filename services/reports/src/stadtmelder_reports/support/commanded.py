"""Support and its confirmation as commands to the report's owner: the supporter's address is
sealed under their own data key before it goes on the topic, and opened by the owner."""

from stadtmelder_reports.commands.domain import Action, ReportCommandRequested, Support
from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.service import ReportService
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import supporter_key_id
from stadtmelder_shared.event_values import Reporter

# The kinds of action the owner's `Commands` hands to `SupportService.apply_command`.
SUPPORT_ACTIONS = ("support", "support-confirmation", "supporter-expiry")


async def support_action(
    reports: ReportService, report_id: str, contact: Reporter | None
) -> Support:
    """The support to send: the address sealed as the owner would seal it (the same key)."""
    if contact is None or not contact.email:
        return Support()
    key_id = supporter_key_id(report_id, reports.recipient_keys.of(report_id, contact.email))
    sealed = await Contacts(reports.data_keys).seal_reporter(key_id, contact, "supporter")
    return Support(sealed=sealed)


def command_of(report: Report | tuple[str, str], action: Action) -> ReportCommandRequested:
    """`action` on `report` (or its id and jurisdiction)."""
    report_id, jurisdiction = (
        (report.id, report.jurisdiction) if isinstance(report, Report) else report
    )
    return ReportCommandRequested(report_id=report_id, jurisdiction=jurisdiction, action=action)
