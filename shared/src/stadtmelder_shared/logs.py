"""JSON logs on stdout; pass `extra={"report_id": ..., "event_id": ...}` to correlate lines."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_json_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            static_fields={"service": service},
            timestamp="time",  # ISO 8601 in UTC
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiokafka logs every reconnect attempt at ERROR; keep them, but not its chatter.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
