"""In-memory stand-ins for the adapters; they pass the same contract tests as the real ones."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from aiosmtplib import SMTPRecipientRefused

from stadtmelder_notify.core.store import Choices, Followers, Reach, ReportApp, Subscriber
from stadtmelder_notify.delivery.domain import (
    ChannelRefused,
    Mail,
    PendingMail,
    PushMessage,
    RecipientGone,
    WebhookCall,
)
from stadtmelder_notify.delivery.repository import Claim
from stadtmelder_reports.citizen_links.domain import FeedbackStep
from stadtmelder_reports.core.domain import Notice, Report, StatusChange, WorkStep
from stadtmelder_reports.core.report_queries import QueueQuery, ReportQuery
from stadtmelder_reports.core.repository import StoredPhoto
from stadtmelder_reports.errors import PhotoNotFound, ReportNotFound, TrackingTokenUnknown
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.repository import AuditEntry
from stadtmelder_routing.work_items import WorkItem
from stadtmelder_shared import topics
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import (
    AppWebhook,
    Language,
    Location,
    PushSubscription,
    Reporter,
    WorksRef,
)
from stadtmelder_shared.geo import distance_m
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS, RecipientKeys
from stadtmelder_shared.nearby import Grid, within


class InMemoryReportRepository:
    def __init__(self, duplicate_radius_m: float = 50.0) -> None:
        self.grid = Grid.for_radius(duplicate_radius_m)
        self.reports: dict[str, Report] = {}
        self.photos: dict[tuple[str, int], CleanPhoto] = {}
        self.supporter_keys: dict[str, set[str]] = {}
        # The supporters who gave an address, as the report document keeps them.
        self.supporter_entries: dict[str, list[dict[str, object]]] = {}
        # Published outboxes, emptied at the next settle (the relay settles right after).
        self.published_outboxes: list[tuple[str, int, list[str]]] = []

    async def add(self, report: Report, photos: tuple[CleanPhoto, ...] = ()) -> None:
        for number, photo in enumerate(photos, start=1):
            self.photos[(report.id, number)] = photo
        self.reports[report.id] = _copy(report)
        self.supporter_keys[report.id] = set()

    async def get(self, report_id: str) -> Report:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        return _copy(self.reports[report_id])

    async def by_tracking_token(self, token_hash: str) -> Report:
        for report in self.reports.values():
            if report.tracking_token_hash == token_hash:
                return _copy(report)
        raise TrackingTokenUnknown()

    async def search(self, query: ReportQuery) -> list[Report]:
        found = [r for r in self.reports.values() if _matches(r, query)]
        found.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return [_copy(r) for r in found[: query.limit]]

    async def open_nearby(
        self, jurisdiction: str, category: str, centre: Location, radius_m: float
    ) -> list[Report]:
        self.grid.cells_covering(centre, radius_m)  # refuses a circle as wide as the index does
        return [
            _copy(r)
            for r in self.reports.values()
            if r.jurisdiction == jurisdiction
            and r.category.code == category
            and r.is_open
            and r.location is not None
            and distance_m(centre, r.location) <= radius_m
        ]

    async def photo(self, report_id: str, number: int, thumbnail: bool) -> StoredPhoto:
        photo = self.photos.get((report_id, number))
        if photo is None:
            raise PhotoNotFound(report_id, number)
        if thumbnail:
            return StoredPhoto(photo.thumbnail_media_type, photo.thumbnail)
        return StoredPhoto(photo.media_type, photo.data)

    async def queue(self, query: QueueQuery) -> list[Report]:
        found = [r for r in self.reports.values() if _in_queue(r, query)]
        found.sort(key=_queue_position)
        return [_copy(r) for r in found[: query.limit]]

    async def record_status(
        self, report_id: str, change: StatusChange, due_at: datetime | None = None
    ) -> bool:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        report = self.reports[report_id]
        if any(seen.event_id == change.event_id for seen in report.history):
            return False
        report.status = change.status
        if change.department is not None:
            report.department = change.department
        if due_at is not None:
            report.due_at = due_at
        report.history.append(change)
        report.revision += 1
        return True

    async def record_work(self, report_id: str, revision: int, step: WorkStep) -> bool:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        report = self.reports[report_id]
        if report.revision != revision:
            return False
        report.status, report.department = step.status, step.department
        report.assignee, report.due_at = step.assignee, step.due_at
        report.history.extend(step.changes)
        report.comments.extend(step.comments)
        report.moderation.extend(step.moderation)
        report.pending_events.extend(step.events)
        report.revision += 1
        return True

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        if supporter_key is not None:
            if supporter_key in self.supporter_keys[report_id]:
                return False
            self.supporter_keys[report_id].add(supporter_key)
        if supporter is not None and supporter.email:
            at = event.occurred_at
            entry = {**supporter.model_dump(), "at": at, "asked_at": at, "confirmed": False}
            self.supporter_entries.setdefault(report_id, []).append(entry)
        report = self.reports[report_id]
        report.supporter_count += 1
        report.pending_events.append((topics.REPORTS_SUPPORTED, event))
        report.revision += 1
        return True

    async def record_feedback(self, report_id: str, revision: int, step: FeedbackStep) -> bool:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        report = self.reports[report_id]
        if report.revision != revision:
            return False
        report.feedback.append(step.feedback)
        if step.note is not None:
            report.comments.append(step.note)
        report.pending_events.append((topics.REPORTS_FEEDBACK, step.event))
        report.revision += 1
        return True

    async def link_works(self, report_id: str, works: Sequence[WorksRef]) -> None:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        self.reports[report_id].works = list(works)

    async def record_notice(self, report_id: str, notice: Notice) -> bool:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        report = self.reports[report_id]
        if any(seen.id == notice.id for seen in report.notices):
            return False
        report.notices.append(notice)
        report.revision += 1
        return True

    async def queue_event(self, report_id: str, topic: str, event: Event) -> None:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        report = self.reports[report_id]
        report.pending_events.append((topic, event))
        report.revision += 1

    async def with_pending_events(self, limit: int) -> list[Report]:
        pending = [r for r in self.reports.values() if r.pending_events][:limit]
        return [_copy(report) for report in pending]

    async def count_pending_events(self) -> int:
        return sum(len(report.pending_events) for report in self.reports.values())

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None:
        published = set(event_ids)
        report = self.reports[report_id]
        report.pending_events = [
            (topic, event)
            for topic, event in report.pending_events
            if event.event_id not in published
        ]
        report.revision += 1

    def handed_over(self, report_id: str, event_ids: Iterable[str]) -> None:
        """Nothing is noted per process here: the fake's outbox is what it stores."""

    def published(self, report_id: str, revision: int, event_ids: Iterable[str]) -> None:
        self.published_outboxes.append((report_id, revision, list(event_ids)))

    def published_before(self, report_id: str) -> frozenset[str]:
        return frozenset()

    async def settle_published(self, everything: bool = False) -> None:
        published, self.published_outboxes = self.published_outboxes, []
        for report_id, revision, event_ids in published:
            if not await self.clear_outbox(report_id, revision, event_ids):
                await self.mark_published(report_id, event_ids)

    async def clear_outbox(self, report_id: str, revision: int, event_ids: Iterable[str]) -> bool:
        report = self.reports[report_id]
        if report.revision != revision:
            return False
        report.pending_events = []
        report.revision += 1
        return True

    async def ping(self) -> None:
        return None


def _copy(report: Report) -> Report:
    return replace(
        report,
        history=list(report.history),
        comments=list(report.comments),
        feedback=list(report.feedback),
        notices=list(report.notices),
        moderation=list(report.moderation),
        photos=list(report.photos),
        pending_events=list(report.pending_events),
    )


NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)


def _queue_position(report: Report) -> tuple[datetime, str]:
    return (report.due_at or NO_DUE_DATE, report.id)


def _in_queue(report: Report, query: QueueQuery) -> bool:
    due = report.due_at or NO_DUE_DATE
    checks = [
        report.jurisdiction == query.jurisdiction,
        report.department is not None and report.department.id == query.department_id,
        report.status in query.statuses,
        not query.categories or report.category.code in query.categories,
        query.due_before is None or due < query.due_before,
        query.assignee is None or report.assignee == query.assignee,
        not query.unassigned or report.assignee is None,
        query.after is None
        or _queue_position(report) > (query.after[0] or NO_DUE_DATE, query.after[1]),
    ]
    return all(checks)


def _matches(report: Report, query: ReportQuery) -> bool:
    location = report.location
    checks = [
        report.jurisdiction == query.jurisdiction,
        not report.hidden,
        not query.categories or report.category.code in query.categories,
        not query.statuses or report.status in query.statuses,
        not query.ids or report.id in query.ids,
        not query.playgrounds
        or (report.playground is not None and report.playground.id in query.playgrounds),
        query.since is None or report.created_at >= query.since,
        query.until is None or report.created_at <= query.until,
        query.after is None or (report.created_at, report.id) < query.after,
        query.bbox is None
        or (
            location is not None
            and query.bbox.min_lat <= location.lat <= query.bbox.max_lat
            and query.bbox.min_lon <= location.lon <= query.bbox.max_lon
        ),
    ]
    return all(checks)


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.entries: dict[str, AuditEntry] = {}

    async def record(self, entry: AuditEntry) -> None:
        self.entries[entry.id] = entry

    async def for_report(self, report_id: str) -> list[AuditEntry]:
        found = [e for e in self.entries.values() if e.report_id == report_id]
        return sorted(found, key=lambda e: (e.at, e.id))


class InMemoryStaffRoster:
    def __init__(self) -> None:
        self.members: dict[str, StaffMember] = {}

    async def remember(self, member: StaffMember, at: datetime) -> None:
        self.members[member.user_id] = member

    async def member(self, user_id: str) -> StaffMember | None:
        return self.members.get(user_id)


@dataclass
class _Delivery:
    status: str
    lease_until: datetime
    attempts: int = 1
    last_error: str | None = None
    failures: int = 0
    sent_at: datetime | None = None
    recipient: str | None = None
    pending: PendingMail | None = None


class InMemoryDeliveryLog:
    def __init__(self) -> None:
        self.deliveries: dict[str, _Delivery] = {}
        # Keys whose acceptance the sender noted, whether or not `mark_sent` followed.
        self.accepted: set[str] = set()

    async def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        delivery = self.deliveries.get(key)
        if delivery is None:
            self.deliveries[key] = _Delivery("sending", lease_until)
            return Claim.CLAIMED
        settled = {
            "sent": Claim.ALREADY_SENT,
            "deferred": Claim.DEFERRED,
            "abandoned": Claim.ABANDONED,
        }
        if delivery.status in settled:
            return settled[delivery.status]
        if delivery.lease_until <= now:
            delivery.status, delivery.lease_until = "sending", lease_until
            delivery.attempts += 1
            return Claim.CLAIMED
        return Claim.HELD_ELSEWHERE

    def note_accepted(self, key: str, at: datetime, recipient: str | None = None) -> None:
        self.accepted.add(key)

    async def mark_sent(self, key: str, at: datetime, recipient: str | None = None) -> None:
        delivery = self.deliveries[key]
        delivery.status, delivery.sent_at, delivery.pending = "sent", at, None
        if recipient is not None:
            delivery.recipient = recipient

    async def mark_failed(self, key: str, reason: str, at: datetime) -> int:
        delivery = self.deliveries[key]
        delivery.status, delivery.last_error, delivery.lease_until = "failed", reason, at
        delivery.failures += 1
        return delivery.failures

    async def mark_abandoned(self, key: str, reason: str, at: datetime) -> None:
        delivery = self.deliveries[key]
        delivery.status, delivery.last_error, delivery.pending = "abandoned", reason, None

    async def sent_since(self, recipient: str, since: datetime) -> list[datetime]:
        return [
            d.sent_at
            for d in self.deliveries.values()
            if d.recipient == recipient and d.status == "sent" and d.sent_at and d.sent_at >= since
        ]

    async def defer(self, pending: PendingMail, not_before: datetime) -> None:
        delivery = self.deliveries[pending.key]
        delivery.status, delivery.lease_until, delivery.pending = "deferred", not_before, pending

    async def due_deferred(self, now: datetime, limit: int) -> list[str]:
        due = [
            (d.lease_until, key)
            for key, d in self.deliveries.items()
            if d.status == "deferred" and d.lease_until <= now
        ]
        return [key for _, key in sorted(due)[:limit]]

    async def take_deferred(
        self, key: str, now: datetime, lease_until: datetime
    ) -> PendingMail | None:
        delivery = self.deliveries.get(key)
        if delivery is None or delivery.status != "deferred" or delivery.lease_until > now:
            return None
        delivery.status, delivery.lease_until = "sending", lease_until
        delivery.attempts += 1
        return delivery.pending

    async def ping(self) -> None:
        return None


class InMemoryWorkItems:
    def __init__(self) -> None:
        self.items: dict[str, WorkItem] = {}

    async def save(self, item: WorkItem) -> None:
        self.items[item.report_id] = item

    async def save_new(self, item: WorkItem) -> WorkItem | None:
        if item.report_id in self.items:
            return self.items[item.report_id]
        self.items[item.report_id] = item
        return None

    async def get(self, report_id: str) -> WorkItem | None:
        return self.items.get(report_id)

    async def open_near(
        self, category: str, centre: Location, radius_m: float, placing: str | None = None
    ) -> list[str]:
        places = {
            item.report_id: item.location
            for item in self.items.values()
            if item.is_open
            and item.category == category
            and item.location is not None
            and item.report_id != placing
        }
        return [report_id for report_id, _ in within(centre, radius_m, places)]

    async def overdue(self, now: datetime, limit: int) -> list[WorkItem]:
        found = [
            item
            for item in self.items.values()
            if item.is_open and item.due_at and item.due_at < now and item.overdue_at is None
        ]
        return found[:limit]

    async def mark_overdue(self, report_id: str, at: datetime) -> None:
        self.items[report_id] = replace(self.items[report_id], overdue_at=at)


class InMemoryNearbyIndex:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.places: dict[str, dict[str, Location]] = {}

    async def add(self, scope: str, item_id: str, location: Location) -> None:
        self.places.setdefault(scope, {})[item_id] = location

    async def remove(self, scope: str, item_id: str, location: Location) -> None:
        self.places.get(scope, {}).pop(item_id, None)

    async def near(self, scope: str, centre: Location, radius_m: float) -> list[tuple[str, float]]:
        self.grid.cells_covering(centre, radius_m)  # refuses a circle as wide as the store does
        return within(centre, radius_m, self.places.get(scope, {}))


def recipient_key(report_id: str, address: str) -> str:
    """The recipient key under the development link secret, which the services default to."""
    return DEVELOPMENT_RECIPIENT_KEYS.of(report_id, address)


class InMemoryFollowerStore:
    def __init__(self, keys: RecipientKeys = DEVELOPMENT_RECIPIENT_KEYS) -> None:
        self._recipient_keys = keys
        self.followers: dict[str, dict[str, Reporter]] = {}
        self.opted_out: set[str] = set()
        self.languages: dict[str, Language] = {}
        self.confirmed: set[str] = set()
        self.erased: set[str] = set()
        # Recipient keys of supporters whose address waits for its double opt-in.
        self.awaiting: set[str] = set()

    async def mark_confirmed(self, report_id: str, email: str) -> None:
        self.confirmed.add(self._recipient_keys.of(report_id, email))

    async def is_confirmed(self, report_id: str, email: str) -> bool:
        return self._recipient_keys.of(report_id, email) in self.confirmed

    async def add(
        self, report_id: str, follower: Reporter, awaiting: bool = False, *, first: bool = False
    ) -> Followers:
        recipient = self._recipient_keys.of(report_id, follower.email or "")
        if awaiting:
            self.erased.discard(recipient)  # supporting anew, in a new event
        if recipient not in self.erased:
            key = (follower.email or "").lower()
            known = self.followers.setdefault(report_id, {})
            if key not in known:
                known[key] = follower
                if awaiting:
                    self.awaiting.add(recipient)
        mine = {k for k in self.confirmed if k in self._keys(report_id)}
        waiting = tuple(await self.of(report_id, awaiting=True))
        return Followers(await self.of(report_id), frozenset(mine), waiting)

    async def confirm(self, report_id: str, recipient: str) -> bool:
        if recipient not in self._keys(report_id):
            return False
        self.awaiting.discard(recipient)
        return True

    def _keys(self, report_id: str) -> set[str]:
        return {
            self._recipient_keys.of(report_id, f.email or "")
            for f in self.followers.get(report_id, {}).values()
        }

    async def erase(self, report_id: str, recipient: str) -> str | None:
        self.erased.add(recipient)
        self.confirmed.discard(recipient)
        known = self.followers.get(report_id, {})
        erased = None
        for address, follower in list(known.items()):
            if self._recipient_keys.of(report_id, follower.email or "") == recipient:
                del known[address]
                erased = follower.email
        return erased

    async def of(self, report_id: str, awaiting: bool = False) -> list[Reporter]:
        found = []
        for follower in self.followers.get(report_id, {}).values():
            key = self._recipient_keys.of(report_id, follower.email or "")
            if key in self.opted_out or (key in self.awaiting) != awaiting:
                continue
            language = self.languages.get(key, follower.language)
            found.append(follower.model_copy(update={"language": language}))
        return found

    async def set_preferences(self, report_id: str, recipient: str, choices: Choices) -> bool:
        known = {
            self._recipient_keys.of(report_id, f.email or "")
            for f in self.followers.get(report_id, {}).values()
        }
        if recipient not in known:
            return False
        if choices.opted_out is True:
            self.opted_out.add(recipient)
        elif choices.opted_out is False:
            self.opted_out.discard(recipient)
        if choices.language is not None:
            self.languages[recipient] = choices.language
        return True


@dataclass
class RecordingDeadLetters:
    parked: list[tuple[str, Event, str]] = field(default_factory=list)

    async def put(self, topic: str, event: Event, reason: str) -> None:
        self.parked.append((topic, event, reason))


@dataclass
class RecordingPublisher:
    published: list[tuple[str, Event]] = field(default_factory=list)
    failing: bool = False

    async def publish(self, topic: str, event: Event) -> None:
        if self.failing:
            raise ConnectionError("Kafka is away")
        self.published.append((topic, event))

    def topics(self) -> list[str]:
        return [topic for topic, _ in self.published]


@dataclass
class RecordingMailer:
    sent: list[Mail] = field(default_factory=list)
    failures_left: int = 0
    # Addresses the server refuses, as real servers do: with the address in the error.
    refused: set[str] = field(default_factory=set)
    languages: list[str] = field(default_factory=list)

    async def send(
        self, mail: Mail, language: str, accepted: Callable[[], None] | None = None
    ) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionRefusedError("SMTP server away")
        if mail.to in self.refused:
            raise SMTPRecipientRefused(550, f"<{mail.to}>: mailbox unavailable", mail.to)
        self.sent.append(mail)
        self.languages.append(language)
        if accepted is not None:
            accepted()


class InMemoryChannelStore:
    """Apps and push subscriptions of reports, as notify's MongoChannelStore keeps them."""

    def __init__(self) -> None:
        self.apps: dict[str, ReportApp] = {}
        self.told: set[str] = set()
        self.subscriptions: dict[str, dict[str, Subscriber]] = {}

    async def remember_submission(
        self, report_id: str, app: AppWebhook | None, language: Language
    ) -> None:
        if app is not None:
            self.apps[report_id] = ReportApp(app, language)

    async def mark_submission_told(self, report_id: str) -> None:
        self.told.add(report_id)

    async def is_submission_told(self, report_id: str) -> bool:
        return report_id in self.told

    async def app_of(self, report_id: str) -> ReportApp | None:
        return self.apps.get(report_id)

    async def reach(self, report_id: str) -> Reach:
        return Reach(self.apps.get(report_id), await self.subscribers(report_id))

    async def subscribe(
        self, report_id: str, subscription: PushSubscription, language: Language
    ) -> None:
        subscriber = Subscriber(subscription, language)
        self.subscriptions.setdefault(report_id, {})[subscription.endpoint] = subscriber

    async def unsubscribe(self, report_id: str, endpoint: str) -> bool:
        return self.subscriptions.get(report_id, {}).pop(endpoint, None) is not None

    async def subscribers(self, report_id: str) -> list[Subscriber]:
        return list(self.subscriptions.get(report_id, {}).values())

    async def is_subscribed(self, report_id: str, endpoint: str) -> bool:
        return endpoint in self.subscriptions.get(report_id, {})


@dataclass
class RecordingWebhooks:
    """An app's webhook that answers 503 `failures_left` times, then accepts."""

    calls: list[WebhookCall] = field(default_factory=list)
    failures_left: int = 0

    async def send(self, call: WebhookCall) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ChannelRefused("webhook", 503)
        self.calls.append(call)


@dataclass
class RecordingPush:
    """A push service that knows every endpoint except those `gone`."""

    messages: list[PushMessage] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    failures_left: int = 0

    async def send(self, message: PushMessage) -> None:
        if message.endpoint in self.gone:
            raise RecipientGone("410")
        if self.failures_left:
            self.failures_left -= 1
            raise ChannelRefused("push service", 500)
        self.messages.append(message)
