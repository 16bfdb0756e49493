"""Runs the notify service: `python -m stadtmelder_notify`."""

import uvicorn

from stadtmelder_notify.app import create_app
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.logs import configure_json_logging


def main() -> None:
    settings = NotifySettings()
    configure_json_logging("notify", settings.log_level)
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
