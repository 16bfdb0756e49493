"""Use cases of what a citizen tells us after the report: the answer to "is it fixed?", the
mail preferences from a mail's link and a browser's push subscription."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from stadtmelder_reports.citizen_links import domain as feedback_rules
from stadtmelder_reports.citizen_links.domain import FeedbackAlreadyGiven, FeedbackAnswer
from stadtmelder_reports.commands.domain import (
    PreferencesChoice,
    PushChoice,
    ReportCommandRequested,
)
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core import domain
from stadtmelder_reports.core.domain import Feedback, Report
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import WRITE_ATTEMPTS, utc_now
from stadtmelder_reports.errors import ReportChangedMeanwhile
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import (
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
)
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import reporter_key_id
from stadtmelder_shared.event_envelope import Event, derived_event_id
from stadtmelder_shared.event_values import Language, PushSubscription

# The event a use case announces, built and queued by `CitizenChoices._announce`.
AnnouncedT = TypeVar("AnnouncedT", bound=Event)
# The kinds of action the owner's `Commands` hands to `CitizenChoices.apply_command`.
CHOICE_ACTIONS = ("notification-preferences", "push-subscription")


@dataclass(frozen=True)
class CitizenChoices:
    reports: ReportRepository
    on_events_pending: Callable[[str], None] = lambda report_id: None
    clock: Callable[[], datetime] = utc_now
    # With `commands`, a preference or a push subscription is announced by the report's owner
    # (its one writer, docs/scale-out.md), the subscription sealed by `contacts` for the way.
    commands: Commands | None = None
    contacts: Contacts | None = None

    async def give_feedback(
        self, report_id: str, recipient: str, answer: FeedbackAnswer
    ) -> tuple[Feedback, bool]:
        """Record a citizen's answer to "is it fixed?" once; True with it when it is new.

        `recipient` is the recipient key from the signed link. The same answer again is
        harmless (a second click); a different one about the same resolution is refused.
        """
        for _ in range(WRITE_ATTEMPTS):
            report = await self.reports.get(report_id)
            given = feedback_rules.given_feedback(report, recipient)
            if given is not None:
                if given.outcome != answer.outcome:
                    raise FeedbackAlreadyGiven(report_id, given)
                return given, False
            step = feedback_rules.answer_feedback(report, recipient, answer, self.clock())
            if await self.reports.record_feedback(report.id, report.revision, step):
                self.on_events_pending(report.id)
                return step.feedback, True
        raise ReportChangedMeanwhile(report_id)

    async def change_notification_preferences(
        self,
        report_id: str,
        recipient: str,
        opted_out: bool | None = None,
        language: Language | None = None,
    ) -> str:
        """Announce a recipient's choice from a mail's link to notify, which keeps their data;
        the report's id. `recipient` is the recipient key from the signed link, never an address.
        """
        report = await self.reports.get(report_id)
        if self.commands is not None:
            choice = PreferencesChoice(recipient=recipient, opted_out=opted_out, language=language)
            await self.commands.run(_command(report, choice))
        else:
            await self._announce_preferences(
                report, choice_id=None, recipient=recipient, opted_out=opted_out, language=language
            )
        return report.id

    async def change_push_subscription(
        self,
        tracking_token: str,
        subscription: PushSubscription,
        subscribed: bool,
        language: Language = "de",
    ) -> str:
        """Announce a browser's (un)subscription to notify, which keeps it; the report's id. The
        tracking token proves the browser belongs to the reporter (and never travels on)."""
        report = await self.reports.by_tracking_token(domain.token_hash(tracking_token))
        if self.commands is not None:
            sealed = await self._sealing().seal(
                reporter_key_id(report.id), "push_subscription", subscription.model_dump_json()
            )
            choice = PushChoice(sealed=sealed, subscribed=subscribed, language=language)
            await self.commands.run(_command(report, choice))
        else:
            await self._announce_push(report, None, subscription, subscribed, language)
        return report.id

    async def apply_command(self, command: ReportCommandRequested) -> bool:
        """The owner's side: announce the choice, its event id derived from the command's, so a
        command delivered again announces the same event (notify takes it once); False if it
        still waits in the outbox, or if the reporter was erased meanwhile (a push
        subscription's key is theirs: nothing left to open)."""
        report = await self.reports.get(command.report_id)
        choice_id = derived_event_id(command.event_id, "choice")
        if any(event.event_id == choice_id for _, event in report.pending_events):
            return False
        action = command.action
        if isinstance(action, PreferencesChoice):
            await self._announce_preferences(
                report, choice_id, action.recipient, action.opted_out, action.language
            )
            return True
        if not isinstance(action, PushChoice):
            raise TypeError(f"{action.kind} is no citizen's choice")
        plain = await self._sealing().open(action.sealed, "push_subscription")
        if plain is None:
            return False
        subscription = PushSubscription.model_validate_json(plain)
        await self._announce_push(
            report, choice_id, subscription, action.subscribed, action.language
        )
        return True

    async def _announce_preferences(
        self,
        report: Report,
        choice_id: str | None,
        recipient: str,
        opted_out: bool | None,
        language: Language | None,
    ) -> None:
        await self._announce(
            report,
            topics.NOTIFICATION_PREFERENCES,
            NotificationPreferencesChanged,
            choice_id,
            recipient_key=recipient,
            opted_out=opted_out,
            language=language,
        )

    async def _announce_push(
        self,
        report: Report,
        choice_id: str | None,
        subscription: PushSubscription,
        subscribed: bool,
        language: Language,
    ) -> None:
        await self._announce(
            report,
            topics.PUSH_SUBSCRIPTIONS,
            PushSubscriptionChanged,
            choice_id,
            subscription=subscription,
            subscribed=subscribed,
            language=language,
        )

    async def _announce(
        self,
        report: Report,
        topic: str,
        kind: type[AnnouncedT],
        event_id: str | None,
        **fields: Any,
    ) -> AnnouncedT:
        """An event about the report, stamped now, queued in its outbox for the relay."""
        if event_id is not None:
            fields["event_id"] = event_id
        event = kind(
            report_id=report.id,
            jurisdiction=report.jurisdiction,
            occurred_at=self.clock(),
            **fields,
        )
        await self.reports.queue_event(report.id, topic, event)
        self.on_events_pending(report.id)
        return event

    def _sealing(self) -> Contacts:
        if self.contacts is None:
            raise RuntimeError("push subscriptions as commands need the data keys to seal them")
        return self.contacts


def commanded(choices: CitizenChoices, commands: Commands, contacts: Contacts) -> CitizenChoices:
    """`choices` whose preferences and push subscriptions the report's owner announces; the
    owner's `commands` apply them."""
    sent = replace(choices, commands=commands, contacts=contacts)
    for kind in CHOICE_ACTIONS:
        commands.applies(kind, sent.apply_command)
    return sent


def _command(report: Report, action: PreferencesChoice | PushChoice) -> ReportCommandRequested:
    return ReportCommandRequested(
        report_id=report.id, jurisdiction=report.jurisdiction, action=action
    )
