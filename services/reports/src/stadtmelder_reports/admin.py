"""Operator commands: `python -m stadtmelder_reports.admin create-api-key|set-app-webhook|...`.

python -m stadtmelder_reports.admin import-playgrounds FILE   (GeoJSON or CSV, see README)
python -m stadtmelder_reports.admin import-works FILE... [--example]   (GeoJSON or CSV)
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from stadtmelder_reports.core.catalogue import DEFAULT_DIRECTORY, load_jurisdiction
from stadtmelder_reports.core.repository import connect
from stadtmelder_reports.errors import NotAllowed
from stadtmelder_reports.integrations.api_keys import MongoApiKeyStore
from stadtmelder_reports.integrations.webhook_store import MongoAppWebhookStore
from stadtmelder_reports.integrations.webhooks import local_deployment, url_problem
from stadtmelder_reports.playgrounds.files import PlaygroundFileError
from stadtmelder_reports.playgrounds.service import import_playgrounds
from stadtmelder_reports.playgrounds.store import MongoPlaygroundStore
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.works import commands as works
from stadtmelder_shared.webhook_signatures import app_webhook_secret


async def create_api_key(settings: ReportsSettings, name: str, per_minute: int) -> int:
    client = connect(settings.mongodb_url)
    try:
        store = MongoApiKeyStore(client[settings.mongodb_database])
        api_client, api_key = await store.create(name, per_minute, datetime.now(UTC))
    finally:
        await client.close()
    print(f"client id: {api_client.id}\nname:      {api_client.name}")
    print(f"api_key:   {api_key}\n(shown once; only its hash is stored)")
    return 0


async def revoke_api_key(settings: ReportsSettings, client_id: str) -> int:
    client = connect(settings.mongodb_url)
    try:
        revoked = await MongoApiKeyStore(client[settings.mongodb_database]).revoke(client_id)
    finally:
        await client.close()
    print(f"{client_id}: revoked" if revoked else f"{client_id}: no such client")
    return 0 if revoked else 1


async def set_app_webhook(settings: ReportsSettings, client_id: str, url: str) -> int:
    """What `PUT /api/v1/apps/webhook` does, for an operator setting up an app."""
    problem = url_problem(url, allow_plain_http=local_deployment(settings.public_base_url))
    if problem is not None:
        print(f"url: {problem}")
        return 2
    client = connect(settings.mongodb_url)
    try:
        store = MongoAppWebhookStore(client[settings.mongodb_database])
        webhook = await store.register(client_id, url)
    except NotAllowed:
        print(f"{client_id}: no such client")
        return 1
    finally:
        await client.close()
    secret = app_webhook_secret(
        settings.link_secret.get_secret_value().encode(), client_id, webhook.secret_version
    )
    print(f"webhook: {webhook.url}\nsecret:  {secret}\n(shown once; registering again replaces it)")
    return 0


async def import_playground_file(settings: ReportsSettings, path: Path) -> int:
    """All of the file or none of it; importing the same file again changes nothing."""
    client = connect(settings.mongodb_url)
    try:
        store = MongoPlaygroundStore(client[settings.mongodb_database])
        outcome = await import_playgrounds(store, path)
    except (PlaygroundFileError, OSError) as error:
        print(f"import-playgrounds: {error}", file=sys.stderr)
        return 1
    finally:
        await client.close()
    print(
        f"{path.name}: {outcome.added} playgrounds added, {outcome.changed} changed, "
        f"{outcome.unchanged} unchanged"
    )
    return 0


def check_jurisdiction(settings: ReportsSettings) -> int:
    """Load the configured catalogue and boundary, as the service will, and summarise them."""
    jurisdiction = load_jurisdiction(
        settings.jurisdiction_dir or DEFAULT_DIRECTORY, settings.boundary_file
    )
    boundary = jurisdiction.boundary
    kind = "approximate" if boundary.approximate else "official"
    count = len(jurisdiction.categories)
    print(f"{jurisdiction.code} ({jurisdiction.open311_id}): {count} categories")
    print(f"boundary: {boundary.name}, {kind}, bounds {boundary.geometry.bounds}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stadtmelder_reports.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-api-key", help="issue an API key for an app")
    create.add_argument("--name", required=True, help="who uses the key, e.g. 'Duisburg App'")
    create.add_argument("--per-minute", type=int, default=60, help="submissions per minute")
    revoke = commands.add_parser("revoke-api-key", help="stop accepting a client's key")
    revoke.add_argument("client_id")
    webhook = commands.add_parser("set-app-webhook", help="where an app hears about its reports")
    webhook.add_argument("client_id")
    webhook.add_argument("url", help="the app's https:// endpoint")
    commands.add_parser("check-jurisdiction", help="load and summarise catalogue and boundary")
    playgrounds = commands.add_parser("import-playgrounds", help="import playgrounds (GeoJSON/CSV)")
    playgrounds.add_argument("file", type=Path)
    imports = commands.add_parser("import-works", help="import known works (GeoJSON or CSV)")
    imports.add_argument("files", nargs="*", type=Path, metavar="FILE")
    imports.add_argument("--example", action="store_true", help="the example works of Duisburg")
    arguments = parser.parse_args(argv)
    settings = ReportsSettings()
    match arguments.command:
        case "create-api-key":
            return asyncio.run(create_api_key(settings, arguments.name, arguments.per_minute))
        case "revoke-api-key":
            return asyncio.run(revoke_api_key(settings, arguments.client_id))
        case "set-app-webhook":
            return asyncio.run(set_app_webhook(settings, arguments.client_id, arguments.url))
        case "import-playgrounds":
            return asyncio.run(import_playground_file(settings, arguments.file))
        case "import-works":
            files = [*arguments.files, *([works.EXAMPLE_FILE] if arguments.example else [])]
            return asyncio.run(works.import_works(settings, files))
        case _:
            return check_jurisdiction(settings)


if __name__ == "__main__":
    sys.exit(main())
