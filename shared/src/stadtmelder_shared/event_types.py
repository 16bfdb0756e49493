"""Every event model by its CloudEvents type, for reading stored or parked events back."""

from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.citizen_events import (
    CitizenNotified,
    ContactDataErased,
    FeedbackReceived,
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
    ReportSupported,
    SupporterConfirmed,
)
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.report_events import (
    ReportCommented,
    ReportModerated,
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)
from stadtmelder_shared.work_item_events import WorkItemQueued, WorkItemSendFailed

EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        ReportSubmitted,
        ReportRouted,
        ReportUnroutable,
        ReportStatusChanged,
        ReportCommented,
        ReportModerated,
        ReportOverdue,
        WorkItemQueued,
        WorkItemSendFailed,
        ReportSupported,
        SupporterConfirmed,
        FeedbackReceived,
        NotificationPreferencesChanged,
        PushSubscriptionChanged,
        AreaAlertRequested,
        AreaAlertConfirmed,
        AreaAlertCancelled,
        CitizenNotified,
        ContactDataErased,
    )
}
