"""Runs the routing service: `python -m stadtmelder_routing`."""

from stadtmelder_routing.app import create_app
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared.logs import configure_json_logging
from stadtmelder_shared.serve import serve
from stadtmelder_shared.tracing import configure_tracing


def main() -> None:
    settings = RoutingSettings()
    configure_json_logging("routing", settings.log_level)
    configure_tracing("routing", settings.traces_dir)
    serve(create_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
