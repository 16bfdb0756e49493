"""Every event model by its CloudEvents type, for reading stored or parked events back."""

from stadtmelder_shared import alert_events, citizen_events, report_events, work_item_events
from stadtmelder_shared.event_envelope import Event

EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        report_events.ReportSubmitted,
        report_events.ReportRouted,
        report_events.ReportUnroutable,
        report_events.ReportStatusChanged,
        report_events.ReportCommented,
        report_events.ReportModerated,
        report_events.ReportOverdue,
        work_item_events.WorkItemQueued,
        work_item_events.WorkItemSendFailed,
        citizen_events.ReportSupported,
        citizen_events.SupporterConfirmed,
        citizen_events.FeedbackReceived,
        citizen_events.NotificationPreferencesChanged,
        citizen_events.PushSubscriptionChanged,
        alert_events.AreaAlertRequested,
        alert_events.AreaAlertConfirmed,
        alert_events.AreaAlertCancelled,
        citizen_events.CitizenNotified,
        citizen_events.ContactDataErased,
    )
}
