"""The notify use case: tell reporters and supporters (by mail), the report's app and subscribed
browsers each step in their language, once per event, recipient and channel (see
`delivery.service` for how), honouring their choices (`core.choices`)."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo

from stadtmelder_notify.core.audience import Audience, MailFor, by_mail
from stadtmelder_notify.core.confirmations import Confirmations
from stadtmelder_notify.core.domain import (
    confirmation_mail,
    is_worth_a_mail,
    overdue_mail,
    routed_mail,
    status_mail,
    supported_mail,
)
from stadtmelder_notify.core.store import (
    ChannelStore,
    Followers,
    FollowerStore,
    ReportApp,
)
from stadtmelder_notify.delivery.domain import (
    Addressee,
    DeliveryPolicy,
    Mail,
    PendingMail,
    PushMessage,
    WebhookCall,
)
from stadtmelder_notify.delivery.mailer import Mailer
from stadtmelder_notify.delivery.repository import DeliveryLog
from stadtmelder_notify.delivery.senders import PushSender, Senders, WebhookSender
from stadtmelder_notify.delivery.service import DeadLetters, Delivery
from stadtmelder_notify.links import MailLinks
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import CitizenNotified, ReportSupported, SupporterConfirmed
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.link_tokens import RecipientKeys
from stadtmelder_shared.report_events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)


class NotifyService:
    def __init__(
        self,
        deliveries: DeliveryLog,
        followers: FollowerStore,
        mailer: Mailer,
        publisher: EventPublisher,
        links: MailLinks,
        dead_letters: DeadLetters,
        policy: DeliveryPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        wait_seconds: float = 0.5,
        staff_url_template: str = "http://127.0.0.1:8000/staff/reports/{report_id}",
        zone: tzinfo = UTC,
        confirmation_wait_s: float = 10.0,
        channels: ChannelStore | None = None,
        webhooks: WebhookSender | None = None,
        push: PushSender | None = None,
        *,
        contacts: Contacts,
    ) -> None:
        # Opens the sealed contact fields of events; an erased key means nobody is written to.
        self._contacts = contacts
        self._followers = followers
        self._channels = channels
        self._senders = Senders(mailer, webhooks, push)
        self._audience = (
            Audience(channels, links, zone, webhooks is not None, push is not None)
            if channels is not None
            else None
        )
        # "Received" goes before "forwarded".
        self._confirmations = Confirmations(followers, channels, confirmation_wait_s)
        self._links = links
        self._staff_url_template = staff_url_template
        self._zone = zone
        self._delivery = Delivery(
            deliveries,
            self._senders,
            publisher,
            dead_letters,
            policy or DeliveryPolicy(),
            clock,
            wait_seconds,
            forget=self._forget,
        )

    # --- the steps of a report ----------------------------------------------------------------

    async def notify_submitted(self, event: ReportSubmitted) -> list[CitizenNotified]:
        """Confirm the report to its reporter, with its number and private tracking link."""
        reporter = await self._contacts.open_reporter(event.reporter)
        token = await self._contacts.open(event.tracking_token, "tracking_token")
        # The reporter is the report's first follower, unless a later step came first.
        followers = await self._join(event.report_id, reporter, first=True)
        app = ReportApp(event.app_webhook, event.language) if event.app_webhook else None
        if self._channels is not None and event.app_webhook is not None:
            # Before telling: later steps find the app even while its webhook is failing.
            await self._channels.remember_submission(
                event.report_id, event.app_webhook, event.language
            )
        recipients = _among(followers.wanting_mail, reporter)
        told = await self._tell(
            event,
            topics.REPORTS_SUBMITTED,
            "submitted",
            recipients,
            lambda to, language: confirmation_mail(event, to, language, self._links, token),
            also=await self._by_channels(event, "submitted", app, look_up_app=False),
        )
        await self._confirmations.mark(event.report_id, reporter)
        return told

    async def notify_routed(self, event: ReportRouted) -> list[CitizenNotified]:
        """Mail the reporter and every supporter; each only once, however often this runs."""
        reporter = await self._contacts.open_reporter(event.reporter)
        book = await self._join(event.report_id, reporter)
        waited = not _confirmed_in(
            book, event.report_id, reporter, self._links.recipient_keys
        ) and (await self._confirmations.wait(event.report_id, reporter, _has_address(reporter)))
        if waited:
            # Read again after the wait: someone may have joined or opted out meanwhile.
            book = await self._join(event.report_id, reporter)
        followers = book.wanting_mail
        mine = _among(followers, reporter)
        recipients = mine + [f for f in followers if f not in mine]
        return await self._tell(
            event,
            topics.REPORTS_ROUTED,
            "routed",
            recipients,
            lambda to, language: routed_mail(event, to, language, self._links, self._zone),
            also=await self._by_channels(event, "routed"),
        )

    async def notify_supported(self, event: ReportSupported) -> list[CitizenNotified]:
        """Keep the supporter's address as awaiting its confirmation (double opt-in) and send
        it the one mail it gets before: the request, with the link that confirms it."""
        supporter = await self._contacts.open_reporter(event.supporter, "supporter")
        if supporter is None or supporter.email is None:
            return []
        book = await self._followers.add(event.report_id, supporter, awaiting=True)
        # Someone already told of each step (the reporter, a confirmed supporter) is not asked.
        recipients = _among(list(book.awaiting), supporter)
        return await self._tell(
            event,
            topics.REPORTS_SUPPORTED,
            "supported",
            recipients,
            lambda to, language: supported_mail(event, to, language, self._links),
        )

    async def notify_supporter_confirmed(self, event: SupporterConfirmed) -> bool:
        """From now on the supporter hears each step; False if their address is not kept."""
        return await self._followers.confirm(event.report_id, event.recipient_key)

    async def notify_unroutable(self, event: ReportUnroutable) -> None:
        """Nobody is told yet (it waits for a dispatcher), but the reporter hears later steps."""
        await self.remember_reporter(
            event.report_id, await self._contacts.open_reporter(event.reporter)
        )

    async def remember_reporter(self, report_id: str, reporter: Reporter | None) -> None:
        """The reporter hears about every later step, like the supporters."""
        await self._join(report_id, reporter)

    async def _join(
        self, report_id: str, reporter: Reporter | None, first: bool = False
    ) -> Followers:
        """The reporter joins the followers; all of them, from the one read this takes."""
        if reporter is not None and reporter.email:
            return await self._followers.add(report_id, reporter, first=first)
        return Followers(await self._followers.of(report_id))

    async def notify_status_changed(self, event: ReportStatusChanged) -> list[CitizenNotified]:
        """Tell reporter and supporters about a public step, with the department's comment."""
        if not is_worth_a_mail(event):
            return []

        def mail_for(to: str, language: str) -> Mail:
            mail = status_mail(event, to, language, self._links)
            assert mail is not None
            return mail

        followers = await self._followers.of(event.report_id)
        return await self._tell(
            event,
            topics.REPORTS_STATUS_CHANGED,
            event.status,
            followers,
            mail_for,
            also=await self._by_channels(event, event.status),
        )

    async def notify_overdue(self, event: ReportOverdue) -> list[CitizenNotified]:
        """Escalate to the department lead: staff, so no rate limit and no citizen history."""
        if not event.escalated_to:
            return []
        lead = Reporter(email=event.escalated_to, language="de")
        staff_url = self._staff_url_template.format(report_id=event.report_id)
        return await self._tell(
            event,
            topics.REPORTS_OVERDUE,
            "overdue",
            [lead],
            lambda to, language: overdue_mail(event, to, staff_url, language),
            citizens=False,
        )

    async def _tell(
        self,
        event: Event,
        topic: str,
        step: str,
        recipients: list[Reporter],
        mail_for: MailFor,
        citizens: bool = True,
        also: Sequence[Addressee] = (),
    ) -> list[CitizenNotified]:
        """Mail each recipient once, and tell those `also` on their channel."""
        addressees = [*by_mail(event, recipients, mail_for, self._links.recipient_keys), *also]
        return await self._delivery.tell(event, topic, step, addressees, citizens)

    # --- apps and browsers --------------------------------------------------------------------

    async def _by_channels(
        self, event: Event, step: str, app: ReportApp | None = None, look_up_app: bool = True
    ) -> list[Addressee]:
        if self._audience is None:
            return []
        return await self._audience.of(event, step, app, look_up_app)

    async def _forget(self, pending: PendingMail) -> None:
        """A push service said the subscription is gone: stop sending to it."""
        if self._channels is not None and isinstance(pending.mail, PushMessage):
            await self._channels.unsubscribe(pending.cause.report_id, pending.mail.endpoint)

    # --- later ----------------------------------------------------------------------------------

    async def send_deferred(self, limit: int = 100) -> int:
        """Send the mails kept back by rate limits whose time has come, unless unsubscribed."""
        return await self._delivery.send_deferred(self._still_follows, limit)

    async def _still_follows(self, pending: PendingMail) -> bool:
        report_id = pending.cause.report_id
        if isinstance(pending.mail, WebhookCall):
            return True
        if isinstance(pending.mail, PushMessage):
            channels = self._channels
            return channels is not None and await channels.is_subscribed(
                report_id, pending.mail.endpoint
            )
        followers = await self._followers.of(report_id)
        if pending.notified.notification == "supported":
            # The confirmation request goes to an address that awaits it, as it was made to.
            followers += await self._followers.of(report_id, awaiting=True)
        return any(
            f.email and self._links.recipient(report_id, f.email) == pending.follower
            for f in followers
        )


def _confirmed_in(
    book: Followers, report_id: str, reporter: Reporter | None, keys: RecipientKeys
) -> bool:
    """Whether the read already shows the reporter's confirmation dealt with."""
    email = reporter.email if reporter is not None else None
    return bool(email) and keys.of(report_id, email or "") in book.confirmed


def _has_address(reporter: Reporter | None) -> bool:
    return reporter is not None and bool(reporter.email)


def _among(followers: list[Reporter], person: Reporter | None) -> list[Reporter]:
    """`person` as a follower who still wants mail, in the language they chose; or nobody."""
    if person is None or not person.email:
        return []
    address = person.email.lower()
    return [f for f in followers if f.email and f.email.lower() == address]
