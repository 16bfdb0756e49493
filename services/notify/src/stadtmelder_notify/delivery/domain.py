"""What is delivered: the messages of each channel, the rules of sending them once and within a
person's limit, and the errors of delivery; no I/O."""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from stadtmelder_shared.backoff import Backoff
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.event_envelope import Event

# The `type` of the JSON messages to apps and browsers, also sent in the webhook's headers.
MESSAGE_TYPE = "org.stadtmelder.notification"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    message_id: str
    html: str | None = None
    # Where one click unsubscribes (RFC 8058); only mails to citizens have it.
    unsubscribe_url: str | None = None


Channel = Literal["email", "webhook", "web_push"]


@dataclass(frozen=True)
class WebhookCall:
    """A JSON message to the webhook of the app a report came from, signed for that app."""

    url: str
    client_id: str
    secret_version: int
    notification_id: str
    body: str


@dataclass(frozen=True)
class PushMessage:
    """A JSON message for one browser's push subscription, encrypted only when sent."""

    endpoint: str
    p256dh: str
    auth: str
    notification_id: str
    body: str


Message = Mail | WebhookCall | PushMessage


@dataclass(frozen=True)
class PendingMail:
    """A message (a mail, or one to an app or a browser) being sent or kept back by the
    recipient's rate limit, with what sending it later needs."""

    key: str
    mail: Message
    language: str
    recipient: str  # address key, for the rate limit
    follower: str  # recipient key of the report, to honour an opt-out that came meanwhile
    topic: str  # where `cause` came from, for the dead-letter topic
    cause: Event
    notified: CitizenNotified
    channel: Channel = "email"


class NotifyError(Exception):
    """Base of the notify service's errors."""


class RecipientGone(NotifyError):
    """The channel says this recipient no longer exists (a push subscription answered 410)."""


class ChannelRefused(NotifyError):
    """An app's webhook or a push service did not accept the message; `code` is its status."""

    def __init__(self, channel: str, code: int) -> None:
        super().__init__(f"{channel} answered {code}")
        self.code = code


class DeliveryFailed(NotifyError):
    """Some messages of an event could not be sent yet; the event is to be delivered again.

    Says how many and why, never to whom.
    """


def delivery_key(event_id: str, recipient: str, channel: str) -> str:
    """Identifies one message to one recipient on one channel, without storing the address."""
    digest = hashlib.sha256(f"{event_id}|{recipient.lower()}|{channel}".encode()).hexdigest()
    return digest[:40]


def address_key(address: str) -> str:
    """One person across all reports, for rate limits; a hash, never the address."""
    return hashlib.sha256(f"stadtmelder-recipient|{address.lower()}".encode()).hexdigest()


def channel_key(channel: Channel, address: str) -> str:
    """One recipient of another channel (an app for a report, a browser), for rate limits."""
    return hashlib.sha256(f"stadtmelder-{channel}|{address}".encode()).hexdigest()


@dataclass(frozen=True)
class Addressee:
    """One recipient on one channel, and how to write to them."""

    channel: Channel
    # The e-mail address, `<client id>` of an app, or a push endpoint: for the delivery key
    # only, which hashes it; never stored or logged as it is.
    address: str
    language: str
    limit_key: str  # whose rate limit the message counts against
    follower: str  # who, to check later that they still want it
    # The message, given the id of its announcement (apps and browsers dedupe by it).
    compose: Callable[[str], Message]


@dataclass(frozen=True)
class Failed:
    """A send that failed and is to be tried again; the reason names no one."""

    reason: str
    failures: int


Sent = Literal["sent", "abandoned"] | Failed


# Between failed sends of a message while its event waits; a deferred message waits longer.
FAILED_SEND_PAUSE = Backoff(first_s=1.0, longest_s=30.0)
DEFERRED_SEND_PAUSE = Backoff(first_s=60.0, longest_s=3600.0)


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard we try, and how much mail one person gets."""

    mails_per_window: int = 20
    window: timedelta = timedelta(hours=1)
    # Failed sends of one message (each already retried by the mailer) before it is
    # dead-lettered; between them the consumer pauses.
    max_failures: int = 8
    pause: Backoff = FAILED_SEND_PAUSE
    # Apps' webhooks and push services get this many tries with the event, then their
    # message waits in the delivery log like a deferred one (mail has one server for all).
    inline_failures: int = 3
    # A deferred message that fails waits longer: nobody is blocked by it.
    deferred_pause: Backoff = DEFERRED_SEND_PAUSE
    lease: timedelta = timedelta(seconds=15)


# --- rules ----------------------------------------------------------------------------------


def next_free_slot(
    sent_at: Sequence[datetime], now: datetime, limit: int, window: timedelta
) -> datetime | None:
    """None if one more mail fits into the recipient's limit now; else when it will fit."""
    recent = sorted(at for at in sent_at if at > now - window)
    if len(recent) < limit:
        return None
    # The mail that leaves the window first makes room for this one.
    return recent[len(recent) - limit] + window


def failure_reason(error: BaseException) -> str:
    """The kind of failure, without its message: SMTP errors quote the recipient's address."""
    code = getattr(error, "code", None)
    return f"{type(error).__name__} {code}" if isinstance(code, int) else type(error).__name__
