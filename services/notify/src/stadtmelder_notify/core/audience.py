"""Who hears about a report: its followers by mail, the app it came from and the browsers
subscribed to it, each with the message for their channel."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from stadtmelder_notify.core.channel_messages import notification, tells_about
from stadtmelder_notify.core.store import ChannelStore, ReportApp, Subscriber, subscription_key
from stadtmelder_notify.delivery.domain import (
    Addressee,
    Mail,
    Message,
    PushMessage,
    WebhookCall,
    address_key,
    channel_key,
)
from stadtmelder_notify.links import MailLinks
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.link_tokens import RecipientKeys

MailFor = Callable[[str, str], Mail]


@dataclass(frozen=True)
class Audience:
    channels: ChannelStore
    links: MailLinks
    zone: tzinfo
    # Whether this deployment sends on the channel at all.
    webhooks: bool = True
    push: bool = True

    async def of(
        self, event: Event, step: str, app: ReportApp | None = None, look_up_app: bool = True
    ) -> list[Addressee]:
        """The report's app (`app`, else the one remembered for it) and subscribed browsers."""
        if not tells_about(event):
            return []
        report_id = event.report_id
        # One read of the report's channels per event: the app and the browsers together.
        if app is None and look_up_app:
            reach = await self.channels.reach(report_id)
            app, subscribers = reach.app, reach.subscribers
        elif self.push:
            subscribers = await self.channels.subscribers(report_id)
        else:
            subscribers = []
        found = [self._app(event, step, app)] if app is not None and self.webhooks else []
        if self.push:
            found += [self._browser(event, step, subscriber) for subscriber in subscribers]
        return found

    def _app(self, event: Event, step: str, app: ReportApp) -> Addressee:
        """The report's app, told on its webhook; its rate limit is per app and report."""
        hook = app.webhook

        def compose(notification_id: str) -> Message:
            body = self._body(event, step, notification_id, f"app:{hook.client_id}", app.language)
            return WebhookCall(hook.url, hook.client_id, hook.secret_version, notification_id, body)

        return Addressee(
            channel="webhook",
            address=hook.client_id,
            language=app.language,
            limit_key=channel_key("webhook", f"{hook.client_id}|{event.report_id}"),
            follower=f"app:{hook.client_id}",
            compose=compose,
        )

    def _browser(self, event: Event, step: str, subscriber: Subscriber) -> Addressee:
        """A browser subscribed to the report, told by Web Push."""
        subscription = subscriber.subscription
        endpoint = subscription.endpoint

        def compose(notification_id: str) -> Message:
            body = self._body(
                event, step, notification_id, f"push:{endpoint}", subscriber.language, for_push=True
            )
            return PushMessage(
                endpoint, subscription.p256dh, subscription.auth, notification_id, body
            )

        return Addressee(
            channel="web_push",
            address=endpoint,
            language=subscriber.language,
            limit_key=channel_key("web_push", endpoint),
            follower=subscription_key(event.report_id, endpoint),
            compose=compose,
        )

    def _body(
        self,
        event: Event,
        step: str,
        notification_id: str,
        recipient: str,
        language: str,
        for_push: bool = False,
    ) -> str:
        body = notification(
            event, step, notification_id, recipient, language, self.links, self.zone, for_push
        )
        assert body is not None  # only events that tells_about are given to apps and browsers
        return body


def by_mail(
    event: Event, recipients: list[Reporter], mail_for: MailFor, keys: RecipientKeys
) -> list[Addressee]:
    """Each address once, in the language of its first mention."""
    addressees: dict[str, Addressee] = {}
    for recipient in recipients:
        address = recipient.email
        if address is None or address.lower() in addressees:
            continue
        addressees[address.lower()] = Addressee(
            channel="email",
            address=address,
            language=recipient.language,
            limit_key=address_key(address),
            follower=keys.of(event.report_id, address),
            compose=_composer(mail_for, address, recipient.language),
        )
    return list(addressees.values())


def _composer(mail_for: MailFor, address: str, language: str) -> Callable[[str], Message]:
    # A mail's Message-ID comes from its event, not from the announcement's id.
    return lambda _notification_id: mail_for(address, language)
