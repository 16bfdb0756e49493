"""Commands: a write to an existing report asked over HTTP, sent to the replica that owns the
report's partition (the one writer of its document), and the result sent back."""

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Language, ModerationAction, Value
from stadtmelder_shared.sealing import Sealed

Visibility = Literal["public", "internal"]


class StaffRef(Value):
    """Who asks, as the owner checks it again: no name (it is personal data of staff)."""

    user_id: str
    roles: tuple[str, ...]
    department_id: str | None = None


class Transition(Value):
    kind: Literal["transition"] = "transition"
    to: str
    public_comment: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None
    forward_to: str | None = None


class Comment(Value):
    kind: Literal["comment"] = "comment"
    visibility: Visibility
    text: str


class Assignment(Value):
    """A claim (`claim`: only if no one else has it) or an assignment to `user_id` or no one."""

    kind: Literal["assignment"] = "assignment"
    user_id: str | None = None
    claim: bool = False


class Moderation(Value):
    kind: Literal["moderation"] = "moderation"
    action: ModerationAction
    reason: str
    text: str | None = None
    photo: int | None = None


class FeedbackGiven(Value):
    """A citizen's answer to "is it fixed?" from a mail's link; `recipient` is the link's
    recipient key, never an address."""

    kind: Literal["feedback"] = "feedback"
    recipient: str
    outcome: Literal["fixed", "partly", "not_fixed"]
    rating: int | None = None
    comment: str | None = None


class Erasure(Value):
    """Erase the reporter's contact data (`recipient` None: asked with the tracking token), or
    whom a mail link with the recipient key `recipient` was made for."""

    kind: Literal["erasure"] = "erasure"
    recipient: str | None = None


class DepartmentStep(Value):
    """A `step` a department's system sent on its updates topic; `update_id` is the sender's
    event id, from which the step's event ids are derived (as when applied in place)."""

    kind: Literal["department-update"] = "department-update"
    department_id: str
    update_id: str
    step: Transition


class SystemNote(Value):
    """A comment of the system's (sensor evidence), once per `note_id`."""

    kind: Literal["system-note"] = "system-note"
    note_id: str
    visibility: Visibility
    text: str


class SystemStep(Value):
    """A status step the system takes (sensors saw the damage repaired), once per cause."""

    kind: Literal["system-step"] = "system-step"
    to: str
    cause_id: str
    public_comment: str | None = None


class Support(Value):
    """Support a report; `sealed` is the supporter's contact sealed under their own data key
    (plain personal data never goes on Kafka), None for support without an address."""

    kind: Literal["support"] = "support"
    sealed: Sealed | None = None


class SupportConfirmation(Value):
    """Confirm a supporter's address by the link made for the recipient key `recipient`."""

    kind: Literal["support-confirmation"] = "support-confirmation"
    recipient: str


class SupporterExpiry(Value):
    """Forget the supporter with the recipient key `recipient` if their address was not
    confirmed in time (the cleanup's timer asks; decided by the owner on what it holds)."""

    kind: Literal["supporter-expiry"] = "supporter-expiry"
    recipient: str


class PhotoRemoval(Value):
    """Retention: delete the report's photos if they are due (decided again by the owner)."""

    kind: Literal["photo-removal"] = "photo-removal"
    at: datetime


class AlertStep(Value):
    """Confirm or cancel an area alert (its mailed link): the command's `report_id` names the
    subscription, as the alerts' events do, so the subscription's partition owner writes it."""

    kind: Literal["alert-step"] = "alert-step"
    step: Literal["confirm", "cancel"]


class AlertErasure(Value):
    """Erase an alert subscriber's address (its mail's erasure link); `report_id` names the
    subscription."""

    kind: Literal["alert-erasure"] = "alert-erasure"


class PreferencesChoice(Value):
    """A recipient's mail preferences from a mail's link (`recipient`: the link's recipient
    key, never an address), announced to notify by the owner."""

    kind: Literal["notification-preferences"] = "notification-preferences"
    recipient: str
    opted_out: bool | None = None
    language: Language | None = None


class PushChoice(Value):
    """A browser's push (un)subscription; `sealed` is the subscription (endpoint and keys)
    sealed under the reporter's data key, opened by the owner (the tracking token that proved
    it stays with the replica asked)."""

    kind: Literal["push-subscription"] = "push-subscription"
    sealed: Sealed
    subscribed: bool
    language: Language = "de"


# Told apart by `kind` (a plain union: AsyncAPI 3's schemas take no discriminator mapping).
Action = (
    Transition
    | Comment
    | Assignment
    | Moderation
    | FeedbackGiven
    | Erasure
    | DepartmentStep
    | SystemNote
    | SystemStep
    | Support
    | SupportConfirmation
    | SupporterExpiry
    | PhotoRemoval
    | AlertStep
    | AlertErasure
    | PreferencesChoice
    | PushChoice
)


class ReportCommandRequested(Event):
    """A write to an existing report (or area alert subscription: `report_id` is the Kafka key
    and names the document written); its `event_id` is the command's id, which makes the write
    happen once however often the command is delivered."""

    type: ClassVar[str] = "org.stadtmelder.report.command-requested"

    by: StaffRef | None = None
    action: Action


class Refusal(Value):
    """Why the owner did not apply a command: the reports error it raised, as it was made."""

    error: str
    arguments: list[Any] = Field(default_factory=list)


class ReportCommandDone(Event):
    """What became of a command: applied (or applied before) unless `refusal` says why not."""

    type: ClassVar[str] = "org.stadtmelder.report.command-done"

    command_id: str
    refusal: Refusal | None = None
    # False when the write had been made before (or, for an erasure, had nobody to erase).
    applied: bool = True
