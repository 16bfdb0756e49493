"""Runs the notify service: `python -m stadtmelder_notify`."""

from stadtmelder_notify.app import create_app
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.logs import configure_json_logging
from stadtmelder_shared.serve import serve
from stadtmelder_shared.tracing import configure_tracing


def main() -> None:
    settings = NotifySettings()
    configure_json_logging("notify", settings.log_level)
    configure_tracing("notify", settings.traces_dir)
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
