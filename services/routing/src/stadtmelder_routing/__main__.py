"""Runs the routing service: `python -m stadtmelder_routing`."""

import uvicorn

from stadtmelder_routing.app import create_app
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared.logs import configure_json_logging


def main() -> None:
    settings = RoutingSettings()
    configure_json_logging("routing", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
