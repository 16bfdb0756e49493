"""An in-memory playground store with the Mongo adapter's behaviour, for the unit tests."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from stadtmelder_reports.playgrounds.domain import CommentState, Playground, Rating, RatingSummary
from stadtmelder_reports.playgrounds.store import ImportOutcome, imported_fields


class InMemoryPlaygroundStore:
    def __init__(self) -> None:
        self.playgrounds: dict[str, Playground] = {}
        self.ratings: dict[str, Rating] = {}
        self.writes = 0
        self._stamp: str | None = None

    async def all(self) -> list[Playground]:
        return [self.playgrounds[key] for key in sorted(self.playgrounds)]

    async def get(self, playground_id: str) -> Playground | None:
        return self.playgrounds.get(playground_id)

    async def stamp(self) -> str | None:
        return self._stamp

    async def save_imported(self, playgrounds: Sequence[Playground]) -> ImportOutcome:
        added = changed = 0
        for playground in playgrounds:
            stored = self.playgrounds.get(playground.id)
            if stored is not None and imported_fields(stored) == imported_fields(playground):
                continue
            closed = stored.closed_for_repair if stored else False
            self.playgrounds[playground.id] = replace(playground, closed_for_repair=closed)
            self.writes += 1
            added, changed = (added + 1, changed) if stored is None else (added, changed + 1)
        if added or changed:
            self._stamp = uuid4().hex
        return ImportOutcome(added, changed, len(playgrounds) - added - changed)

    async def set_closed(self, playground_id: str, closed: bool, by: str, at: datetime) -> bool:
        if playground_id not in self.playgrounds:
            return False
        found = self.playgrounds[playground_id]
        self.playgrounds[playground_id] = replace(found, closed_for_repair=closed)
        return True

    async def add_rating(self, rating: Rating) -> None:
        self.ratings[rating.id] = rating

    async def summaries(self) -> dict[str, RatingSummary]:
        found: dict[str, RatingSummary] = {}
        for rating in self.ratings.values():
            was = found.get(rating.playground_id, RatingSummary(0, 0))
            found[rating.playground_id] = RatingSummary(was.ratings + 1, was.stars + rating.stars)
        return found

    async def recent_comments(self, playground_id: str | None, limit: int) -> list[Rating]:
        approved = [
            r
            for r in self.ratings.values()
            if r.comment_state == "approved" and playground_id in (None, r.playground_id)
        ]
        return sorted(approved, key=lambda r: (r.at, r.id), reverse=True)[:limit]

    async def pending_comments(self, limit: int) -> list[Rating]:
        pending = [r for r in self.ratings.values() if r.comment_state == "pending"]
        return sorted(pending, key=lambda r: r.at)[:limit]

    async def decide_comment(self, rating_id: str, state: CommentState, by: str) -> bool:
        rating = self.ratings.get(rating_id)
        if rating is None or rating.comment_state != "pending":
            return False
        self.ratings[rating_id] = replace(rating, comment_state=state)
        return True
