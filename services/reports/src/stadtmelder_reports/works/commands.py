"""The operator's import of known works: `python -m stadtmelder_reports.admin import-works FILE`
(GeoJSON or CSV; `--example` imports the example for Duisburg that ships with the project)."""

from collections.abc import Sequence
from pathlib import Path

from stadtmelder_reports.core.repository import connect
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.works.importing import WorksImportError, read_works_file
from stadtmelder_reports.works.service import WorksRegister
from stadtmelder_reports.works.store import MongoWorksStore

EXAMPLE_FILE = Path(__file__).with_name("duisburg-works.example.geojson")


async def import_works(settings: ReportsSettings, files: Sequence[Path]) -> int:
    """Every file is read and checked before anything is stored: a bad file imports nothing.
    The running service announces what changed on `works.changed` (its outbox scan)."""
    try:
        works = [item for path in files for item in read_works_file(path)]
    except (WorksImportError, OSError) as error:
        print(f"import-works: {error}")
        return 1
    ids = [item.id for item in works]
    if len(set(ids)) != len(ids):
        print("import-works: the files share works ids; each id may occur only once")
        return 1
    client = connect(settings.mongodb_url)
    try:
        register = WorksRegister(MongoWorksStore(client[settings.mongodb_database]))
        outcome = await register.import_works(works)
    finally:
        await client.close()
    print(
        f"imported {len(works)} works: {outcome.added} new, {outcome.changed} changed, "
        f"{outcome.unchanged} unchanged"
    )
    return 0
