"""Use cases of the reports service: submit, show, list, support, and record others' events;
what a citizen tells us afterwards is in `citizen_choices.py`."""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Protocol

from stadtmelder_reports.core import domain
from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.domain import NewReport, Notice, Report, Submission
from stadtmelder_reports.core.geography import box_around
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.repository import ReportRepository, StoredPhoto
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.errors import PhotoNotFound, ReportClosed, ReportNotFound
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import DataKeys, reporter_key_id, supporter_key_id
from stadtmelder_shared.departments import Directory
from stadtmelder_shared.event_values import (
    AppWebhook,
    CategoryRef,
    DepartmentRef,
    Location,
    PlaygroundRef,
    Reporter,
)
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS, RecipientKeys
from stadtmelder_shared.nearby import AreaTooWide
from stadtmelder_shared.report_events import ReportRouted, ReportSubmitted, ReportUnroutable

DEFAULT_DUPLICATE_RADIUS_M = 50.0
NEARBY_CANDIDATES = 200
# Writes go through only on the revision read; this often someone else may come first.
WRITE_ATTEMPTS = 5


def utc_now() -> datetime:
    """Now, to the millisecond: MongoDB keeps no more, so the stored and answered times agree."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class AppWebhookLookup(Protocol):
    async def webhook_of(self, client_id: str) -> AppWebhook | None:
        """The webhook the app registered for its reports; None if it has none."""
        ...


class PlaygroundFinder(Protocol):
    async def playground_of(
        self, category: CategoryRef, location: Location | None
    ) -> PlaygroundRef | None:
        """The imported playground a new report of this kind at this place belongs to."""
        ...


class SubmissionLimit(Protocol):
    async def check(self, client: str, per_minute: int | None = None) -> None:
        """Count one submission of `client`; raise TooManySubmissions once over its limit."""
        ...


@dataclass(frozen=True)
class PossibleDuplicates:
    """Open reports of the kind near the place, nearest first: nothing was stored."""

    nearby: list[tuple[Report, float]]


# Photos are cleaned only once the report will be stored: not for a refused or duplicate one.
PhotosToClean = Callable[[], Awaitable[tuple[CleanPhoto, ...]]]


@dataclass(frozen=True)
class ReportService:
    repository: ReportRepository
    jurisdiction: Jurisdiction
    duplicate_radius_m: float = DEFAULT_DUPLICATE_RADIUS_M
    on_events_pending: Callable[[str], None] = lambda report_id: None
    clock: Callable[[], datetime] = utc_now
    # Without a directory, routed reports carry only the due date their event brings.
    directory: Directory | None = None
    app_webhooks: AppWebhookLookup | None = None
    _: KW_ONLY
    playgrounds: PlaygroundFinder | None = None
    # Contact fields in events are sealed under these keys (docs/personal-data.md).
    data_keys: DataKeys
    # A supporter's data key is named by the recipient key their mails' links carry.
    recipient_keys: RecipientKeys = DEVELOPMENT_RECIPIENT_KEYS
    # With several replicas, an id of a partition this one owns (`new_owned_report_id`).
    new_report_id: Callable[[], str] = domain.new_report_id

    @cached_property
    def _contacts(self) -> Contacts:
        return Contacts(self.data_keys)

    async def submit_report(
        self,
        submission: Submission,
        photos: tuple[CleanPhoto, ...] = (),
        report_id: str | None = None,
    ) -> NewReport:
        """Store the report with its ReportSubmitted event in one write; the relay announces it.
        A `report_id` chosen before (an automatic report's) makes a retried submission findable."""
        report_id = report_id or self.new_report_id()
        new = submit(
            submission,
            self.jurisdiction,
            photos,
            now=self.clock(),
            report_id=report_id,
            tracking_token=domain.new_tracking_token(),
            # Made before the report is stored, so its event can always be opened by notify.
            data_key=await self.data_keys.create(reporter_key_id(report_id)),
        )
        await self._with_app_webhook(new, submission.client_id)
        await self._with_playground(new)
        await self.repository.add(new.report, new.photos)
        self.on_events_pending(new.report.id)
        return new

    async def submit_from_citizen(
        self,
        limit: SubmissionLimit,
        client: str,
        submission: Submission,
        check_duplicates: bool,
        photos: PhotosToClean | None = None,
    ) -> NewReport | PossibleDuplicates:
        """Rate limit, then the duplicate check the citizen asked for, then submit: the one
        way a citizen's report comes in, from the JSON API and the web form alike."""
        await limit.check(client)
        if check_duplicates and submission.location is not None:
            nearby = await self.open_reports_nearby(submission.category, submission.location)
            if nearby:
                return PossibleDuplicates(nearby)
        return await self.submit_report(submission, await photos() if photos else ())

    async def _with_app_webhook(self, new: NewReport, client_id: str | None) -> None:
        """The app's webhook rides on the announcement, so notify tells the app each step."""
        if client_id is None or self.app_webhooks is None:
            return
        webhook = await self.app_webhooks.webhook_of(client_id)
        if webhook is None:
            return
        _announce_with(new, app_webhook=webhook)

    async def _with_playground(self, new: NewReport) -> None:
        """The playground it belongs to rides on the report and its announcement, by the
        register's name: what a citizen typed never names a playground."""
        if self.playgrounds is None:
            return
        found = await self.playgrounds.playground_of(new.report.category, new.report.location)
        if found is None:
            return
        new.report.playground = found
        _announce_with(new, playground=found)

    # Every public answer reads through these four: what staff hid or redacted is gone from
    # the JSON API, Open311, GeoJSON and the pages with the same write, no cache in between.

    async def public_report(self, report_id: str) -> Report:
        """A report staff hid answers like one that does not exist."""
        report = await self.repository.get(report_id)
        if report.hidden:
            raise ReportNotFound(report_id)
        return domain.public_copy(report)

    async def tracked_report(self, tracking_token: str) -> Report:
        """The reporter still finds a hidden report, and there learns what staff did."""
        report = await self.repository.by_tracking_token(domain.token_hash(tracking_token))
        return domain.public_copy(report)

    async def list_reports(self, query: ReportQuery) -> list[Report]:
        return [domain.public_copy(report) for report in await self.repository.search(query)]

    async def photo(self, report_id: str, number: int, thumbnail: bool = False) -> StoredPhoto:
        shown = await self.public_report(report_id)
        if all(photo.number != number for photo in shown.photos):
            raise PhotoNotFound(report_id, number)
        return await self.repository.photo(report_id, number, thumbnail)

    async def open_reports_nearby(
        self, category: str, location: Location, radius_m: float | None = None
    ) -> list[tuple[Report, float]]:
        """Probable duplicates: open reports of the category around the place, nearest first."""
        radius = radius_m if radius_m is not None else self.duplicate_radius_m
        try:
            candidates = await self.repository.open_nearby(
                self.jurisdiction.code, category, location, radius
            )
        except AreaTooWide:
            # Only a wide circle asked for over the API (up to 1 km) reads the whole list;
            # submissions ask with the duplicate radius, which the index serves.
            candidates = await self.repository.search(
                ReportQuery(
                    jurisdiction=self.jurisdiction.code,
                    bbox=box_around(location, radius),
                    categories=(category,),
                    statuses=tuple(sorted(domain.OPEN_STATUSES)),
                    limit=NEARBY_CANDIDATES,
                )
            )
        shown = [domain.public_copy(report) for report in candidates if not report.hidden]
        return domain.probable_duplicates(shown, category, location, radius)

    async def support_report(self, report_id: str, supporter: Reporter | None) -> Report:
        """Count a supporter once per e-mail address; they are kept informed like the reporter."""
        report = await self.public_report(report_id)
        if not report.is_open:
            raise ReportClosed(report_id)
        key = None
        sealed = None
        if supporter is not None and supporter.email:
            key = hashlib.sha256(supporter.email.lower().encode()).hexdigest()
            # Each supporter under a key of their own, so that one can be erased alone.
            sealed = await self._contacts.seal_reporter(
                supporter_key_id(report_id, self.recipient_keys.of(report_id, supporter.email)),
                supporter,
                "supporter",
            )
        event = domain.supported(report, sealed, self.clock())
        if await self.repository.add_supporter(report_id, key, supporter, event):
            self.on_events_pending(report_id)
        return await self.public_report(report_id)

    async def record_routing(self, event: ReportRouted) -> bool:
        """The department's SLA starts when the report is routed; False if seen before."""
        due_at = event.due_at or self._due_at(event.department, event.category, event.occurred_at)
        if event.works:
            # Before the status: a redelivery after a crash in between links them again.
            await self.repository.link_works(event.report_id, event.works)
        return await self.repository.record_status(
            event.report_id, domain.routed_change(event), due_at=due_at
        )

    async def record_unroutable(self, event: ReportUnroutable) -> bool:
        """No rule matched: the report waits in the triage queue; False if seen before."""
        change = domain.StatusChange(
            "triage", event.occurred_at, event.event_id, department=event.department
        )
        due_at = self._due_at(event.department, event.category, event.occurred_at)
        return await self.repository.record_status(event.report_id, change, due_at=due_at)

    async def record_notice(self, event: CitizenNotified) -> bool:
        """Notify told a citizen about a step: it joins the report's history; False if seen."""
        notice = Notice(event.event_id, event.notification, event.channel, event.occurred_at)
        return await self.repository.record_notice(event.report_id, notice)

    def _due_at(
        self, department: DepartmentRef, category: CategoryRef, since: datetime
    ) -> datetime | None:
        known = self.directory.get(department.id) if self.directory else None
        return known.due_at(category.code, since) if known else None


def _announce_with(new: NewReport, **update: object) -> None:
    """The report's ReportSubmitted with `update` set, before it is stored."""
    new.report.pending_events[:] = [
        (topic, event.model_copy(update=update))
        if isinstance(event, ReportSubmitted)
        else (topic, event)
        for topic, event in new.report.pending_events
    ]
