"""The events Stadtmelder's services exchange over Kafka: frozen, past-tense, versioned."""

from datetime import UTC, date, datetime
from typing import ClassVar, Literal
from uuid import NAMESPACE_URL, uuid4, uuid5

from pydantic import BaseModel, ConfigDict, Field

from stadtmelder_shared.sealing import Sealed

Language = Literal["de", "en", "tr"]
Answer = str | float | list[str]


def _now() -> datetime:
    return datetime.now(UTC)


def derived_event_id(cause_event_id: str, purpose: str) -> str:
    """A stable id for an event caused by another one, so a redelivered cause yields the same id."""
    return str(uuid5(NAMESPACE_URL, f"stadtmelder:{cause_event_id}:{purpose}"))


class Value(BaseModel):
    """A value object inside an event."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Location(Value):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CategoryRef(Value):
    code: str
    names: dict[str, str] = Field(description="Category name by language code.")
    group: str = ""

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("de") or self.code


class LabelledAnswer(Value):
    """One answer as the citizen saw it: the question's text and the chosen answer's label."""

    question: str
    answer: str


# The answers with their labels, by language, in the question order: for people who read work
# orders without the category catalogue at hand (department mails).
LabelledAnswers = dict[str, list[LabelledAnswer]]


class Reopening(Value):
    """Why a resolved report was reopened, for the department that works it again."""

    by: str = Field(description="Who reopened it: an Actor role, e.g. citizen or clerk.")
    reason: str | None = Field(None, description="The reopener's words, for staff only.")


class Reporter(Value):
    """How to reach a reporter or supporter; travels only sealed (`Sealed` of its JSON)."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    language: Language = "de"


class PlaygroundRef(Value):
    """An imported playground a report belongs to; the name is the register's, never a citizen's."""

    id: str
    name: str | None = None


class DepartmentRef(Value):
    id: str
    name: str


class AppWebhook(Value):
    """Where the app that submitted a report wants to hear about its steps, signed for it.

    The signing secret never travels: notify derives it from the client id and version.
    """

    client_id: str
    url: str
    secret_version: int = 1


class PushSubscription(Value):
    """A browser's Web Push subscription (the `PushSubscription.toJSON()` of the page)."""

    endpoint: str
    p256dh: str = Field(description="The browser's public key, base64url (65 bytes, P-256).")
    auth: str = Field(description="The browser's authentication secret, base64url (16 bytes).")


class WorksRef(Value):
    """Known works (Baustelle) a report's place lies in, as routing found them: what is done
    there (`title`, e.g. Kanalsanierung), by whom (`operator`), and from and until which day."""

    id: str
    title: str
    operator: str
    starts_on: date
    ends_on: date


class Event(Value):
    """Envelope fields every event carries."""

    type: ClassVar[str]

    event_id: str = Field(default_factory=lambda: str(uuid4()))
    occurred_at: datetime = Field(default_factory=_now)
    schema_version: int = 1
    report_id: str
    jurisdiction: str


class ReportSubmitted(Event):
    type: ClassVar[str] = "org.stadtmelder.report.submitted"

    category: CategoryRef
    description: str
    location: Location | None
    address: str | None = None
    answers: dict[str, Answer] = Field(default_factory=dict)
    labelled_answers: LabelledAnswers = Field(default_factory=dict)
    photo_count: int = 0
    language: Language = "de"
    # Version 2: contact data and the tracking token are sealed (docs/personal-data.md).
    schema_version: int = 2
    reporter: Sealed | None = Field(
        None, description="The Reporter as JSON, sealed under the report's data key."
    )
    # The reporter's private tracking token, for their confirmation mail only. It opens no more
    # than the public view, but is still kept off every public output.
    tracking_token: Sealed | None = Field(
        None, description="The tracking token, sealed under the report's data key."
    )
    # Set when the report came from an app that registered a webhook for its users' reports.
    app_webhook: AppWebhook | None = None
    playground: PlaygroundRef | None = Field(
        None, description="The playground within 50 m that a playground report belongs to."
    )


class ReportRouted(Event):
    type: ClassVar[str] = "org.stadtmelder.report.routed"

    category: CategoryRef
    department: DepartmentRef
    rule: str = Field(description="Which responsibility rule chose the department.")
    caused_by: str = Field(description="event_id of the ReportSubmitted that was routed.")
    schema_version: int = 2
    reporter: Sealed | None = Field(None, description="ReportSubmitted.reporter, still sealed.")
    due_at: datetime | None = Field(None, description="When the department's SLA runs out.")
    area: str | None = Field(None, description="The area (district) the place lies in.")
    asset_id: str | None = Field(None, description="The asset (pole, playground) it concerns.")
    probable_duplicates: list[str] = Field(
        default_factory=list, description="Open reports probably about the same defect."
    )
    # What area alerts need of the submission, so they wait for no second event (None from a
    # routing service older than these fields, or for a report without a place).
    location: Location | None = Field(None, description="ReportSubmitted.location.")
    address: str | None = Field(None, description="ReportSubmitted.address.")
    works: list[WorksRef] = Field(
        default_factory=list, description="Current or planned works the place lies in."
    )


class ReportUnroutable(Event):
    """No rule matched: the report waits in the triage queue for a dispatcher."""

    type: ClassVar[str] = "org.stadtmelder.report.unroutable"

    category: CategoryRef
    department: DepartmentRef = Field(description="The triage queue it was put into.")
    reason: str
    caused_by: str
    schema_version: int = 2
    reporter: Sealed | None = Field(None, description="ReportSubmitted.reporter, still sealed.")


class Actor(Value):
    """Who did something: never a citizen's personal data, and no staff name in public views."""

    role: Literal["clerk", "dispatcher", "admin", "department_system", "citizen", "system"]
    user_id: str | None = None
    department_id: str | None = None


class ReportStatusChanged(Event):
    """A step of the department's work; reports, notify and routing all follow it."""

    type: ClassVar[str] = "org.stadtmelder.report.status-changed"

    status: str
    previous_status: str
    department: DepartmentRef
    actor: Actor
    public_comment: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None
    forwarded_to: DepartmentRef | None = None
    category: CategoryRef | None = None
    staff_note: str | None = Field(
        None, description="The internal note given with the step (a citizen's words on reopening)."
    )


class ReportCommented(Event):
    type: ClassVar[str] = "org.stadtmelder.report.commented"

    visibility: Literal["public", "internal"]
    text: str
    actor: Actor
    department: DepartmentRef | None = None


ModerationAction = Literal["hidden", "shown", "redacted", "photo_removed"]


class ReportModerated(Event):
    """Staff changed what the public sees: hid or showed the report, redacted its description
    (`public_description` is the text shown now) or removed photo number `photo`."""

    type: ClassVar[str] = "org.stadtmelder.report.moderated"

    action: ModerationAction
    reason: str
    actor: Actor
    public_description: str | None = None
    photo: int | None = None


class ReportOverdue(Event):
    type: ClassVar[str] = "org.stadtmelder.report.overdue"

    department: DepartmentRef
    due_at: datetime
    escalated_to: str | None = Field(None, description="The department lead's mailbox.")


class WorkItemSendFailed(Event):
    """A send method kept failing for a work item: operators and dispatchers must act."""

    type: ClassVar[str] = "org.stadtmelder.department.work-item-send-failed"

    department: DepartmentRef
    method: str
    attempts: int
    error: str


class WorkItemQueued(Event):
    """A report put into a department's work queue (`departments.<id>.work`)."""

    type: ClassVar[str] = "org.stadtmelder.department.work-item-queued"

    department: DepartmentRef
    category: CategoryRef
    description: str
    location: Location | None
    address: str | None = None
    answers: dict[str, Answer] = Field(default_factory=dict)
    submitted_at: datetime
    labelled_answers: LabelledAnswers = Field(default_factory=dict)
    photo_count: int = 0
    reopening: Reopening | None = Field(
        None, description="Set when this work order says that a resolved report was reopened."
    )
    works: list[WorksRef] = Field(
        default_factory=list, description="Current or planned works the place lies in."
    )
    playground: PlaygroundRef | None = Field(
        None, description="ReportSubmitted.playground: the playground the defect is at."
    )


class ReportSupported(Event):
    """Someone with the same problem backs an existing report instead of filing a new one."""

    type: ClassVar[str] = "org.stadtmelder.report.supported"

    schema_version: int = 2
    supporter: Sealed | None = Field(
        None, description="The supporter (a Reporter as JSON), sealed under their own data key."
    )
    supporter_count: int
    again: bool = Field(
        False,
        description="The same supporter supported once more while still unconfirmed: the "
        "confirmation request is repeated, the count is not.",
    )


class SupporterConfirmed(Event):
    """A supporter confirmed their address by the mailed link (double opt-in).

    From now on they hear about the report's steps; before, their address got only the request.
    """

    type: ClassVar[str] = "org.stadtmelder.report.supporter-confirmed"

    recipient_key: str = Field(description="Hash of the address; the address never travels here.")


class FeedbackReceived(Event):
    """The reporter's (or a supporter's) answer to "is it fixed?" after a report was resolved."""

    type: ClassVar[str] = "org.stadtmelder.report.feedback-received"

    outcome: Literal["fixed", "partly", "not_fixed"]
    comment: str | None = None
    rating: int | None = Field(None, ge=1, le=5)


class NotificationPreferencesChanged(Event):
    """A recipient opted out of a report's messages, or chose another language."""

    type: ClassVar[str] = "org.stadtmelder.report.notification-preferences-changed"

    recipient_key: str = Field(description="Hash of the address; the address never travels here.")
    opted_out: bool | None = None
    language: Language | None = None


class PushSubscriptionChanged(Event):
    """A browser asked for Web Push messages about a report (or stopped), with its token.

    Carries the subscription, which only notify keeps; reports checked the tracking token.
    """

    type: ClassVar[str] = "org.stadtmelder.report.push-subscription-changed"

    subscription: PushSubscription
    subscribed: bool = True
    language: Language = "de"


class AreaAlertRequested(Event):
    """Someone asks to hear about new reports in an area; confirmed by double opt-in.

    `report_id` carries the subscription id: alerts are not about one report, and the id keeps
    all events of one subscription on one partition, in order.
    """

    type: ClassVar[str] = "org.stadtmelder.alert.requested"

    schema_version: int = 2
    email: Sealed = Field(description="The address, sealed under the alert's data key.")
    language: Language = "de"
    centre: Location | None = None
    radius_m: float | None = None
    district: str | None = None
    category: str | None = None
    frequency: Literal["immediately", "daily"] = "immediately"
    confirm_token_hash: str
    # The token for the links in notify's mails, sealed like the address; reports keeps only
    # its hash.
    confirm_token: Sealed = Field(description="The confirmation token, sealed like the address.")
    category_names: dict[str, str] = Field(
        default_factory=dict, description="The category's name by language, for the mails."
    )


class AreaAlertConfirmed(Event):
    type: ClassVar[str] = "org.stadtmelder.alert.confirmed"


class AreaAlertCancelled(Event):
    type: ClassVar[str] = "org.stadtmelder.alert.cancelled"


class CitizenNotified(Event):
    type: ClassVar[str] = "org.stadtmelder.report.citizen-notified"

    channel: Literal["email", "webhook", "web_push"]
    notification: str = Field(description="Which step the citizen was told about, e.g. 'routed'.")
    caused_by: str


class ContactDataErased(Event):
    """Someone's contact data about a report (or, for an alert subscriber, a subscription: then
    `report_id` is the subscription id) was erased on their request; never the address itself."""

    type: ClassVar[str] = "org.stadtmelder.report.contact-data-erased"

    subject: Literal["reporter", "supporter", "alert_subscriber"]
    recipient_key: str | None = Field(
        None, description="link_tokens.recipient_key of the erased address, for notify's copy."
    )


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
