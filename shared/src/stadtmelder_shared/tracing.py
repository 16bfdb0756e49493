"""OpenTelemetry tracing of one service: the tracer provider, its exporters, W3C trace context."""

import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import context, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)
_PROPAGATOR = TraceContextTextMapPropagator()
# What a request span shows until routing names its route, and where no route matched.
UNROUTED = "/{unrouted}"


class JsonLinesSpanExporter(SpanExporter):
    """Appends each finished span as one JSON line to a file: traces on one machine without a
    collector, readable with `jq`, and checkable by the end-to-end tests."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(span), default=_text) + "\n" for span in spans)
        with self._lock, self._path.open("a", encoding="utf-8") as file:
            file.write(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """A span as a flat JSON object with ids in W3C hex, as trace backends show them."""
    own = span.get_span_context()
    return {
        "name": span.name,
        "service": span.resource.attributes.get(SERVICE_NAME),
        "trace_id": trace.format_trace_id(own.trace_id) if own else None,
        "span_id": trace.format_span_id(own.span_id) if own else None,
        "parent_span_id": trace.format_span_id(span.parent.span_id) if span.parent else None,
        "kind": span.kind.name,
        "start_unix_nano": span.start_time,
        "end_unix_nano": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
    }


def _text(value: object) -> str:
    # Kafka keys arrive as bytes; everything else unknown to JSON is shown as text.
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def configure_tracing(service: str, traces_dir: Path | None = None) -> TracerProvider:
    """Install the process's tracer provider, exporting as the standard OTEL_* variables say.

    `OTEL_TRACES_EXPORTER` lists exporters (`otlp`, `console`, `none`); unlike the SDK's own
    default it is `none` unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set, so a local run does not
    retry an absent collector. `traces_dir` adds a JSON-lines file per process.
    """
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    default = "otlp" if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else "none"
    for name in os.environ.get("OTEL_TRACES_EXPORTER", default).split(","):
        match name.strip():
            case "otlp":
                # Imported here: the exporter reads its OTEL_EXPORTER_OTLP_* settings itself.
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            case "console":
                provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
            case "none" | "":
                pass
            case unknown:
                log.warning("unknown trace exporter %r in OTEL_TRACES_EXPORTER; ignored", unknown)
    if traces_dir is not None:
        exporter = JsonLinesSpanExporter(traces_dir / f"{service}-{os.getpid()}.jsonl")
        # Written at once, so a test finds a span as soon as it ended.
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def http_span_details(scope: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """A request span's name and URL attributes from its route template, never its path.

    Paths carry secrets: the reporter's tracking token and every signed mail link
    (`/api/v1/track/{token}/contact`, `/api/v1/erasure/{token}`, ...). The ASGI instrumentation
    records the raw path and URL; what this returns replaces them, in the old and the stable
    semantic conventions alike. No route takes a secret in its query, so none is shown either.
    """
    template = str(scope.get("path_template") or "") or UNROUTED
    method = str(scope.get("method") or "").strip()
    host, port = scope.get("server") or ("", None)
    origin = f"{scope.get('scheme', 'http')}://{host}{f':{port}' if port else ''}"
    url = f"{origin}{scope.get('root_path', '')}{template}"
    attributes = {
        "http.route": template,
        "http.target": template,
        "http.url": url,
        "url.path": template,
        "url.full": url,
    }
    return (f"{method} {template}" if method else template), attributes


def name_span_by_route(scope: Mapping[str, Any]) -> None:
    """Name the active request span by the route the request matched: the HTTP framework
    opens the span before routing, when only the raw path (not shown) is known."""
    span = trace.get_current_span()
    if span.is_recording():
        name, attributes = http_span_details(scope)
        span.update_name(name)
        span.set_attributes(attributes)


def kafka_middleware() -> KafkaTelemetryMiddleware:
    """FastStream's spans for publish and process; puts `traceparent` on every record sent
    and continues the trace of every record received."""
    return KafkaTelemetryMiddleware()


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the active span, to continue its trace later (the outbox)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def continued(traceparent: str | None) -> Iterator[None]:
    """Make the span named by `traceparent` the parent of what runs inside."""
    if not traceparent:
        yield
        return
    token = context.attach(_PROPAGATOR.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        context.detach(token)


def current_trace_id() -> str | None:
    """The active trace's id as 32 hex digits, for log lines; None outside any trace."""
    span_context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(span_context.trace_id) if span_context.is_valid else None
