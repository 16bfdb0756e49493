"""What operators watch of the reports service: request traces, HTTP metrics and `/metrics`."""

from typing import Any

from litestar import Request, Response, get
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import REGISTRY, generate_latest

from stadtmelder_shared.metrics import CONTENT_TYPE, ServiceMetrics

# Probes and scrapes every few seconds would bury the requests of people in traces and metrics.
UNWATCHED_PATHS = ["^/health", "^/metrics"]


def tracing_plugin() -> OpenTelemetryPlugin:
    """A server span per request, continuing a caller's `traceparent`; the tracer provider is
    the process's (see `stadtmelder_shared.tracing.configure_tracing`)."""
    return OpenTelemetryPlugin(
        # One span per request, without a child for each ASGI message sent or received.
        OpenTelemetryConfig(exclude=UNWATCHED_PATHS, exclude_spans=["receive", "send"])
    )


def http_metrics() -> PrometheusConfig:
    """Request counts and latency histograms labelled by route template, never by raw path:
    `/api/v1/reports/{report_id:str}`, so report ids never become series. A client that leaves
    before its body is complete is counted with status 499 (see `request_limits`), apart from
    the 5xx series and `stadtmelder_http_requests_error_total`, which only our failures reach."""
    return PrometheusConfig(
        app_name="stadtmelder-reports",
        prefix="stadtmelder_http",
        group_path=True,
        exclude_unhandled_paths=True,
        exclude=UNWATCHED_PATHS,
    )


@get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    metrics: ServiceMetrics = request.app.state.metrics
    # Litestar's HTTP series live in the process registry, the service's own in `metrics`.
    body = generate_latest(REGISTRY) + await metrics.exposition()
    return Response(body, media_type=CONTENT_TYPE)
