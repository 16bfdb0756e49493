"""The followers' own choices, applied from the events reports publishes: opting out, the language
of their mails, and the browsers a report's messages are pushed to."""

from stadtmelder_notify.core.store import ChannelStore, Choices, FollowerStore
from stadtmelder_shared.citizen_events import (
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
)

# Browsers one report's messages are pushed to: a reporter's phone, tablet and computers.
MAX_BROWSERS = 10


class FollowerChoices:
    def __init__(self, followers: FollowerStore, channels: ChannelStore | None = None) -> None:
        self._followers = followers
        self._channels = channels

    async def change_preferences(self, event: NotificationPreferencesChanged) -> bool:
        """An opt-out or a language choice from a mail's link; False for an unknown recipient."""
        choices = Choices(opted_out=event.opted_out, language=event.language)
        return await self._followers.set_preferences(event.report_id, event.recipient_key, choices)

    async def change_push_subscription(self, event: PushSubscriptionChanged) -> bool:
        """Start or stop Web Push messages to a browser; False if there was nothing to stop."""
        if self._channels is None:
            return False
        if not event.subscribed:
            return await self._channels.unsubscribe(event.report_id, event.subscription.endpoint)
        known = await self._channels.subscribers(event.report_id)
        endpoints = {s.subscription.endpoint for s in known}
        if event.subscription.endpoint not in endpoints and len(known) >= MAX_BROWSERS:
            # One tracking token must not make notify post to any number of addresses.
            return False
        await self._channels.subscribe(event.report_id, event.subscription, event.language)
        return True
