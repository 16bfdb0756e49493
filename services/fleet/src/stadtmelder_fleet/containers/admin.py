"""Operator command: `python -m stadtmelder_fleet.containers.admin FILE...` imports containers
(CSV or GeoJSON points; see duisburg-containers.example.csv) into the fleet database."""

import argparse
import asyncio
import sys
from pathlib import Path

from pymongo import AsyncMongoClient

from stadtmelder_fleet.containers.domain import ContainerImportError
from stadtmelder_fleet.containers.importing import read_container_file
from stadtmelder_fleet.containers.store import MongoContainerStore
from stadtmelder_fleet.settings import FleetSettings


async def import_files(settings: FleetSettings, files: list[Path]) -> int:
    containers = [c for path in files for c in read_container_file(path)]
    if len({c.id for c in containers}) != len(containers):
        raise ContainerImportError("the files share container ids; each id may occur only once")
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(settings.mongodb_url)
    try:
        await MongoContainerStore(client[settings.mongodb_database]).save_containers(containers)
    finally:
        await client.close()
    return len(containers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stadtmelder_fleet.containers.admin")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    arguments = parser.parse_args(argv)
    settings = FleetSettings()
    try:
        count = asyncio.run(import_files(settings, arguments.files))
    except (ContainerImportError, OSError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"imported {count} containers into {settings.mongodb_database}.containers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
