"""Runs the reports service: `python -m stadtmelder_reports`."""

import uvicorn

from stadtmelder_reports.app import create_app
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared.logs import configure_json_logging


def main() -> None:
    settings = ReportsSettings()
    configure_json_logging("reports", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


if __name__ == "__main__":
    main()
