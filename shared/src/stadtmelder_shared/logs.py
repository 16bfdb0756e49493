"""JSON logs on stdout; pass `extra={"report_id": ..., "event_id": ...}` to correlate lines."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_json_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiokafka logs every reconnect attempt at ERROR; keep them, but not its chatter.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
