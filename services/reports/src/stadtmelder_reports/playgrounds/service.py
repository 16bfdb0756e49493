"""Use cases of playgrounds: import the register, find the one a report belongs to, show each
with its state, defects and ratings, rate one, and staff's closure and comment moderation."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from uuid import uuid4

from stadtmelder_reports.core.domain import OPEN_STATUSES, Report
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.service import SubmissionLimit, utc_now
from stadtmelder_reports.errors import NotAllowed
from stadtmelder_reports.moderation.domain import may_moderate
from stadtmelder_reports.playgrounds.domain import (
    CommentState,
    Playground,
    PlaygroundMap,
    PlaygroundState,
    Rating,
    RatingSummary,
    belongs_to_playgrounds,
    new_rating,
    recently_fixed,
    state_of,
)
from stadtmelder_reports.playgrounds.files import read_playground_file
from stadtmelder_reports.playgrounds.store import ImportOutcome, PlaygroundStore
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_shared.event_values import CategoryRef, Location, PlaygroundRef
from stadtmelder_shared.translations import N_

# Reports of one playground on its page and card: enough for any real playground, bounded for a
# request; the cap is per playground so a busy one never hides another's defects.
REPORTS_SHOWN = 500
COMMENTS_SHOWN = 5
# A fix counts as recent for 30 days; reports created this long ago may still have been fixed.
FIXED_REPORTS_CREATED_WITHIN = timedelta(days=365)


class PlaygroundNotFound(LookupError):
    def __init__(self, playground_id: str) -> None:
        super().__init__(f"There is no playground with the id {playground_id!r}.")


class PublicReports(Protocol):
    async def list_reports(self, query: ReportQuery) -> list[Report]: ...


@dataclass(frozen=True)
class PlaygroundView:
    playground: Playground
    state: PlaygroundState
    open_defects: list[Report]
    recently_fixed: list[Report]
    rating: RatingSummary
    comments: list[Rating]


async def import_playgrounds(store: PlaygroundStore, path: Path) -> ImportOutcome:
    """The whole file or nothing: it is read and checked before anything is written."""
    return await store.save_imported(read_playground_file(path))


@dataclass
class PlaygroundLocator:
    """Finds the playground of a place in a map of the register kept in memory."""

    store: PlaygroundStore
    _map: tuple[str | None, PlaygroundMap] = field(default=(None, PlaygroundMap([])))

    async def playground_of(
        self, category: CategoryRef, location: Location | None
    ) -> PlaygroundRef | None:
        """The playground a new report belongs to, for the report intake."""
        if location is None or not belongs_to_playgrounds(category):
            return None
        found = await self.near(location)
        return None if found is None else found.ref

    async def near(self, location: Location) -> Playground | None:
        stamp = await self.store.stamp()
        if stamp != self._map[0]:
            # Reloaded only when an import changed the register, not for every report.
            self._map = (stamp, PlaygroundMap(await self.store.all()))
        return self._map[1].nearest(location)


@dataclass(frozen=True)
class PlaygroundService:
    """What the pages and the API do with playgrounds; the reports are read as the public sees
    them, so a hidden report is under no playground either."""

    locator: PlaygroundLocator
    reports: PublicReports
    jurisdiction: str
    # The citizens' limit of submissions per minute, which ratings count against too.
    limit: SubmissionLimit | None = None
    clock: Callable[[], datetime] = utc_now

    @property
    def store(self) -> PlaygroundStore:
        return self.locator.store

    async def near(self, location: Location) -> Playground | None:
        return await self.locator.near(location)

    async def overview(self) -> list[PlaygroundView]:
        playgrounds = await self.store.all()
        summaries = await self.store.summaries()
        # Each playground's reports and comments by their own capped query, so one playground's
        # hundreds of reports never push another's out of a city-wide cap.
        found = await asyncio.gather(*(self._own(p.id) for p in playgrounds))
        views = [
            self._view(p, reports, summaries, comments)
            for p, (reports, comments) in zip(playgrounds, found, strict=True)
        ]
        return sorted(views, key=lambda v: ((v.playground.name or "~").casefold(), v.playground.id))

    async def detail(self, playground_id: str) -> PlaygroundView:
        playground = await self._playground(playground_id)
        summaries = await self.store.summaries()
        reports, comments = await self._own(playground_id)
        return self._view(playground, reports, summaries, comments)

    async def rate(
        self,
        playground_id: str,
        stars: int | str | None,
        comment: str | None,
        client: str = "",
    ) -> Rating:
        """Counted against the client's limit of submissions, then stored at once; its comment
        waits for a moderator before anyone sees it."""
        if self.limit is not None:
            await self.limit.check(client)
        await self._playground(playground_id)
        rating = new_rating(str(uuid4()), playground_id, stars, comment, self.clock())
        await self.store.add_rating(rating)
        return rating

    async def set_closed(self, member: StaffMember, playground_id: str, closed: bool) -> None:
        """Any staff member may close a playground for repair or open it again."""
        if not await self.store.set_closed(playground_id, closed, member.user_id, self.clock()):
            raise PlaygroundNotFound(playground_id)

    async def pending_comments(self, member: StaffMember) -> list[Rating]:
        _check(member)
        return await self.store.pending_comments(100)

    async def decide_comment(self, member: StaffMember, rating_id: str, approve: bool) -> bool:
        _check(member)
        decided: CommentState = "approved" if approve else "rejected"
        return await self.store.decide_comment(rating_id, decided, member.user_id)

    async def _playground(self, playground_id: str) -> Playground:
        found = await self.store.get(playground_id)
        if found is None:
            raise PlaygroundNotFound(playground_id)
        return found

    async def _own(self, playground_id: str) -> tuple[list[Report], list[Rating]]:
        reports = await self._reports_of((playground_id,))
        return reports, await self.store.recent_comments(playground_id, COMMENTS_SHOWN)

    async def _reports_of(self, ids: tuple[str, ...]) -> list[Report]:
        now = self.clock()
        open_ones = await self.reports.list_reports(
            ReportQuery(
                self.jurisdiction,
                playgrounds=ids,
                statuses=tuple(sorted(OPEN_STATUSES)),
                limit=REPORTS_SHOWN,
            )
        )
        fixed = await self.reports.list_reports(
            ReportQuery(
                self.jurisdiction,
                playgrounds=ids,
                statuses=("resolved",),
                since=now - FIXED_REPORTS_CREATED_WITHIN,
                limit=REPORTS_SHOWN,
            )
        )
        return open_ones + [report for report in fixed if recently_fixed(report, now)]

    def _view(
        self,
        playground: Playground,
        reports: Sequence[Report],
        summaries: dict[str, RatingSummary],
        comments: list[Rating],
    ) -> PlaygroundView:
        own = [r for r in reports if r.playground is not None and r.playground.id == playground.id]
        open_defects = [r for r in own if r.is_open]
        return PlaygroundView(
            playground,
            state_of(playground, len(open_defects)),
            open_defects,
            [r for r in own if not r.is_open],
            summaries.get(playground.id, RatingSummary(0, 0)),
            comments[:COMMENTS_SHOWN],
        )


def _check(member: StaffMember) -> None:
    if not may_moderate(member):
        raise NotAllowed(
            "Only dispatchers and admins moderate what the public sees.",
            N_("not_allowed_moderation"),
        )
