"""Runs the reports service: `python -m stadtmelder_reports`."""

from stadtmelder_reports.app import create_app
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared.logs import configure_json_logging
from stadtmelder_shared.serve import serve
from stadtmelder_shared.tracing import configure_tracing


def main() -> None:
    settings = ReportsSettings()
    configure_json_logging("reports", settings.log_level)
    configure_tracing("reports", settings.traces_dir)
    serve(
        create_app(settings),
        settings.host,
        settings.port,
        settings.metrics_port,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


if __name__ == "__main__":
    main()
