"""JSON logs on stdout; every line handled for a Kafka record or inside a trace carries
`report_id`, `event_id` and `trace_id` (pass `extra={...}` to set them where no record is)."""

import logging
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from faststream import BaseMiddleware
from faststream.message import StreamMessage
from pythonjsonlogger.json import JsonFormatter

from stadtmelder_shared.tracing import current_trace_id

_report_id: ContextVar[str | None] = ContextVar("report_id", default=None)
_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)


class CorrelationFilter(logging.Filter):
    """Adds the ids of the record being handled and of the active trace to each log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (
            ("report_id", _report_id.get()),
            ("event_id", _event_id.get()),
            ("trace_id", current_trace_id()),
        ):
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class LogContextMiddleware(BaseMiddleware):
    """Takes report and event id from a record's CloudEvents headers for its handling's logs."""

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        report = _report_id.set(msg.headers.get("ce_subject"))
        event = _event_id.set(msg.headers.get("ce_id"))
        try:
            return await call_next(msg)
        finally:
            _event_id.reset(event)
            _report_id.reset(report)


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
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiokafka logs every reconnect attempt at ERROR; keep them, but not its chatter.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
