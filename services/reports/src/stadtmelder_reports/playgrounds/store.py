"""Where playgrounds and their ratings are kept: a Protocol and its MongoDB adapter."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import uuid4

import shapely
from pymongo.asynchronous.database import AsyncDatabase
from shapely.geometry.base import BaseGeometry

from stadtmelder_reports.playgrounds.domain import (
    CommentState,
    Playground,
    Rating,
    RatingSummary,
)

Document = dict[str, Any]
PLAYGROUNDS = "playgrounds"
RATINGS = "playground_ratings"
# One document whose stamp changes with every import that changed something: the report intake
# reloads its map of playgrounds only then.
REGISTER = "playground_register"


@dataclass(frozen=True)
class ImportOutcome:
    added: int
    changed: int
    unchanged: int


class PlaygroundStore(Protocol):
    async def all(self) -> list[Playground]: ...

    async def get(self, playground_id: str) -> Playground | None: ...

    async def stamp(self) -> str | None:
        """Changes whenever the register changed; None before the first import."""
        ...

    async def save_imported(self, playgrounds: Sequence[Playground]) -> ImportOutcome:
        """Add or update by id; what the file says as stored already is not written again."""
        ...

    async def set_closed(self, playground_id: str, closed: bool, by: str, at: datetime) -> bool: ...

    async def add_rating(self, rating: Rating) -> None: ...

    async def summaries(self) -> dict[str, RatingSummary]: ...

    async def recent_comments(self, playground_id: str | None, limit: int) -> list[Rating]:
        """Approved comments, newest first; of every playground when `playground_id` is None."""
        ...

    async def pending_comments(self, limit: int) -> list[Rating]: ...

    async def decide_comment(self, rating_id: str, state: CommentState, by: str) -> bool: ...


def imported_fields(playground: Playground) -> Document:
    """What an import sets; staff's closure is not among them, so a re-import keeps it."""
    return {
        "name": playground.name,
        "operator": playground.operator,
        # FerretDB 1.24 refuses nested arrays, so an outline is kept as GeoJSON text.
        "geometry": shapely.to_geojson(playground.geometry),
    }


class MongoPlaygroundStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._playgrounds = database[PLAYGROUNDS]
        self._ratings = database[RATINGS]
        self._register = database[REGISTER]

    async def all(self) -> list[Playground]:
        return [_playground(d) async for d in self._playgrounds.find({}).sort("_id", 1)]

    async def get(self, playground_id: str) -> Playground | None:
        document = await self._playgrounds.find_one({"_id": playground_id})
        return None if document is None else _playground(document)

    async def stamp(self) -> str | None:
        document = await self._register.find_one({"_id": "register"})
        return None if document is None else str(document["stamp"])

    async def save_imported(self, playgrounds: Sequence[Playground]) -> ImportOutcome:
        ids = [playground.id for playground in playgrounds]
        stored = {
            d["_id"]: {key: d.get(key) for key in ("name", "operator", "geometry")}
            async for d in self._playgrounds.find({"_id": {"$in": ids}})
        }
        added = changed = 0
        for playground in playgrounds:
            fields = imported_fields(playground)
            if stored.get(playground.id) == fields:
                continue
            if playground.id in stored:
                changed += 1
            else:
                added += 1
                fields["closed_for_repair"] = False
            await self._playgrounds.update_one(
                {"_id": playground.id}, {"$set": fields}, upsert=True
            )
        if added or changed:
            await self._new_stamp()
        return ImportOutcome(added, changed, len(playgrounds) - added - changed)

    async def set_closed(self, playground_id: str, closed: bool, by: str, at: datetime) -> bool:
        result = await self._playgrounds.update_one(
            {"_id": playground_id},
            {"$set": {"closed_for_repair": closed, "closure_by": by, "closure_at": at}},
        )
        return result.matched_count == 1

    async def add_rating(self, rating: Rating) -> None:
        await self._ratings.insert_one(
            {
                "_id": rating.id,
                "playground_id": rating.playground_id,
                "stars": rating.stars,
                "comment": rating.comment,
                "at": rating.at,
                "comment_state": rating.comment_state,
            }
        )

    async def summaries(self) -> dict[str, RatingSummary]:
        # FerretDB 1.24 sums only constants in `$group` (a `$sum` of "$stars" comes back 0), so
        # the database counts the ratings of each number of stars and the stars are added here.
        grouped = await self._ratings.aggregate(
            [{"$group": {"_id": {"p": "$playground_id", "s": "$stars"}, "n": {"$sum": 1}}}]
        )
        found: dict[str, RatingSummary] = {}
        async for group in grouped:
            key, count = group["_id"], group["n"]
            was = found.get(key["p"], RatingSummary(0, 0))
            found[key["p"]] = RatingSummary(was.ratings + count, was.stars + count * key["s"])
        return found

    async def recent_comments(self, playground_id: str | None, limit: int) -> list[Rating]:
        query: Document = {"comment_state": "approved"}
        if playground_id is not None:
            query["playground_id"] = playground_id
        found = self._ratings.find(query).sort([("at", -1), ("_id", -1)]).limit(limit)
        return [_rating(d) async for d in found]

    async def pending_comments(self, limit: int) -> list[Rating]:
        found = self._ratings.find({"comment_state": "pending"}).sort("at", 1).limit(limit)
        return [_rating(d) async for d in found]

    async def decide_comment(self, rating_id: str, state: CommentState, by: str) -> bool:
        result = await self._ratings.update_one(
            {"_id": rating_id, "comment_state": "pending"},
            {"$set": {"comment_state": state, "decided_by": by}},
        )
        return result.modified_count == 1

    async def _new_stamp(self) -> None:
        await self._register.update_one(
            {"_id": "register"}, {"$set": {"stamp": uuid4().hex}}, upsert=True
        )


def _playground(document: Document) -> Playground:
    geometry: BaseGeometry = shapely.from_geojson(str(document["geometry"]))
    return Playground(
        id=document["_id"],
        name=document.get("name"),
        geometry=geometry,
        operator=document.get("operator"),
        closed_for_repair=bool(document.get("closed_for_repair")),
    )


def _rating(document: Document) -> Rating:
    return Rating(
        id=document["_id"],
        playground_id=document["playground_id"],
        stars=document["stars"],
        comment=document.get("comment"),
        at=document["at"],
        comment_state=document.get("comment_state", "none"),
    )
