"""What citizens do around a report and are told: support, feedback, preferences, erasure."""

from typing import ClassVar, Literal

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Language, PushSubscription
from stadtmelder_shared.sealing import Sealed


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
