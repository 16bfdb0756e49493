"""Imported official areas and assets in the routing database; they replace shipped defaults."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import shapely
from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from shapely import MultiPolygon, Polygon

from stadtmelder_routing.assets import Asset, AssetType
from stadtmelder_routing.responsibility import Area, ResponsibilityDataError
from stadtmelder_shared.bulk_writes import replace_in_batches
from stadtmelder_shared.event_values import Location

Document = dict[str, Any]
AREAS = "areas"
ASSETS = "assets"


async def load_areas(database: AsyncDatabase[Document]) -> list[Area] | None:
    """The imported areas, or None when none were imported (then the shipped defaults apply)."""
    areas = [_area(document) async for document in database[AREAS].find({}).sort("_id", 1)]
    return areas or None


async def save_areas(
    database: AsyncDatabase[Document], areas: Sequence[Area], *, replace: bool = False
) -> None:
    """Insert or update the areas by id; with `replace`, areas not in this import are removed."""
    import_id, now = uuid.uuid4().hex, datetime.now(UTC)
    documents = [
        _area_document(area) | {"import_id": import_id, "imported_at": now} for area in areas
    ]
    await _upsert(database[AREAS], documents)
    if replace:
        await database[AREAS].delete_many({"import_id": {"$ne": import_id}})


async def load_assets(database: AsyncDatabase[Document]) -> list[Asset]:
    return [_asset(document) async for document in database[ASSETS].find({}).sort("_id", 1)]


async def save_assets(
    database: AsyncDatabase[Document], assets: Sequence[Asset], *, replace: bool = False
) -> None:
    """Insert or update the assets by id; with `replace`, assets of the imported types that are
    not in this import are removed (a full export replaces the previous one)."""
    import_id, now = uuid.uuid4().hex, datetime.now(UTC)
    documents = [
        _asset_document(asset) | {"import_id": import_id, "imported_at": now} for asset in assets
    ]
    await _upsert(database[ASSETS], documents)
    if replace:
        types: list[AssetType] = sorted({asset.type for asset in assets})
        await database[ASSETS].delete_many(
            {"type": {"$in": types}, "import_id": {"$ne": import_id}}
        )


async def _upsert(collection: AsyncCollection[Document], documents: list[Document]) -> None:
    await replace_in_batches(
        collection,
        [ReplaceOne({"_id": document["_id"]}, document, upsert=True) for document in documents],
    )


def _area_document(area: Area) -> Document:
    # GeoJSON text, not the coordinate arrays: FerretDB 1.x rejects nested arrays.
    return {
        "_id": area.id,
        "name": area.name,
        "kind": area.kind,
        "approximate": area.approximate,
        "geometry": shapely.to_geojson(area.geometry),
    }


def _area(document: Document) -> Area:
    geometry = shapely.from_geojson(document["geometry"])
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise ResponsibilityDataError(f"stored area {document['_id']} is not a polygon")
    return Area(
        id=document["_id"],
        name=document["name"],
        kind=document["kind"],
        geometry=geometry,
        approximate=bool(document.get("approximate")),
    )


def _asset_document(asset: Asset) -> Document:
    return {
        "_id": asset.id,
        "type": asset.type,
        "lat": asset.location.lat,
        "lon": asset.location.lon,
        "owner": asset.owner,
        "properties": dict(asset.properties),
    }


def _asset(document: Document) -> Asset:
    return Asset(
        id=document["_id"],
        type=document["type"],
        location=Location(lat=document["lat"], lon=document["lon"]),
        owner=document["owner"],
        properties=document.get("properties") or {},
    )
