"""Operator commands: import official areas and assets into the routing database.

    python -m stadtmelder_routing.admin import-areas FILE... [--kind district] [--replace]
    python -m stadtmelder_routing.admin import-assets FILE... --type street_light [--replace]

The database comes from MONGODB_URL and ROUTING_MONGODB_DATABASE; the routing service reads the
imported areas at startup and prefers them over its shipped approximate defaults.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_routing.areas_store import load_areas, save_areas, save_assets
from stadtmelder_routing.assets import (
    ASSET_TYPES,
    Asset,
    AssetImportError,
    AssetType,
    read_asset_file,
)
from stadtmelder_routing.responsibility import (
    AREA_KINDS,
    DEFAULT_DIRECTORY,
    Area,
    AreaKind,
    ResponsibilityDataError,
    load_model,
    read_area_file,
)
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared.service_clients import connect_mongo

Document = dict[str, Any]


async def import_areas(
    database: AsyncDatabase[Document],
    files: Sequence[Path],
    *,
    kind: AreaKind | None = None,
    id_property: str = "id",
    name_property: str = "name",
    replace: bool = False,
    rules_directory: Path = DEFAULT_DIRECTORY,
) -> list[Area]:
    """Read, check and store areas; refused if the rules would then name an area that is gone."""
    areas = [
        area
        for path in files
        for area in read_area_file(
            path, kind=kind, id_property=id_property, name_property=name_property
        )
    ]
    kept = [] if replace else await load_areas(database) or []
    imported_ids = {area.id for area in areas}
    # Building the model checks duplicate ids and that every rule's area exists afterwards.
    load_model(rules_directory, areas=[*areas, *(a for a in kept if a.id not in imported_ids)])
    await save_areas(database, areas, replace=replace)
    return areas


async def import_assets(
    database: AsyncDatabase[Document],
    files: Sequence[Path],
    *,
    asset_type: AssetType | None = None,
    replace: bool = False,
) -> list[Asset]:
    assets = [asset for path in files for asset in read_asset_file(path, asset_type)]
    ids = [asset.id for asset in assets]
    if len(set(ids)) != len(ids):
        raise AssetImportError("the files share asset ids; each id may occur only once")
    await save_assets(database, assets, replace=replace)
    return assets


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        asyncio.run(_run(arguments, RoutingSettings()))
    except (ResponsibilityDataError, AssetImportError, OSError) as error:
        print(f"{arguments.command}: {error}", file=sys.stderr)
        return 1
    return 0


async def _run(arguments: argparse.Namespace, settings: RoutingSettings) -> None:
    client = connect_mongo(settings.mongodb_url)
    try:
        database = client[settings.mongodb_database]
        if arguments.command == "import-areas":
            areas = await import_areas(
                database,
                arguments.files,
                kind=arguments.kind,
                id_property=arguments.id_property,
                name_property=arguments.name_property,
                replace=arguments.replace,
            )
            for area in areas:
                vertices = shapely.get_num_coordinates(area.geometry)
                print(f"{area.id}\t{area.kind}\t{area.name}\t{vertices} vertices")
            print(f"imported {len(areas)} areas into {settings.mongodb_database}.areas")
        else:
            assets = await import_assets(
                database, arguments.files, asset_type=arguments.type, replace=arguments.replace
            )
            print(f"imported {len(assets)} assets into {settings.mongodb_database}.assets")
    finally:
        await client.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stadtmelder_routing.admin")
    commands = parser.add_subparsers(dest="command", required=True)

    areas = commands.add_parser("import-areas", help="import official area boundaries (GeoJSON)")
    areas.add_argument("files", nargs="+", type=Path, metavar="FILE")
    areas.add_argument("--kind", choices=AREA_KINDS, help="kind of every area (default: district)")
    areas.add_argument("--id-property", default="id", help="property holding the area id")
    areas.add_argument("--name-property", default="name", help="property holding the area name")
    areas.add_argument(
        "--replace", action="store_true", help="remove stored areas that this import lacks"
    )

    assets = commands.add_parser("import-assets", help="import assets (CSV or GeoJSON points)")
    assets.add_argument("files", nargs="+", type=Path, metavar="FILE")
    assets.add_argument("--type", choices=ASSET_TYPES, help="type of rows that do not name one")
    assets.add_argument(
        "--replace", action="store_true", help="remove stored assets of these types not imported"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
