"""Hands each message to its channel: the mail server, an app's webhook or a push service."""

from typing import Protocol

from stadtmelder_notify.delivery.domain import Mail, Message, PushMessage, WebhookCall
from stadtmelder_notify.delivery.mailer import Accepted, Mailer, note_acceptance


class Sender(Protocol):
    async def send(
        self, message: Message, language: str, accepted: Accepted | None = None
    ) -> None: ...


class WebhookSender(Protocol):
    async def send(self, call: WebhookCall) -> None: ...


class PushSender(Protocol):
    async def send(self, message: PushMessage) -> None: ...


class ChannelMissing(Exception):
    """A message for a channel this deployment does not send on (e.g. no VAPID key)."""


class Senders:
    def __init__(
        self,
        mailer: Mailer,
        webhooks: WebhookSender | None = None,
        push: PushSender | None = None,
    ) -> None:
        self._mailer = mailer
        self.webhooks = webhooks
        self.push = push

    async def send(self, message: Message, language: str, accepted: Accepted | None = None) -> None:
        """`accepted` is called the moment the channel took the message."""
        match message:
            case Mail():
                await self._mailer.send(message, language, accepted)
                return
            case WebhookCall() if self.webhooks is not None:
                await self.webhooks.send(message)
            case PushMessage() if self.push is not None:
                await self.push.send(message)
            case _:
                raise ChannelMissing(type(message).__name__)
        note_acceptance(accepted)
