"""What operators watch of the reports service: request traces, HTTP metrics and `/metrics`."""

from typing import Any

from litestar import Request, Response, get
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ASGIApp, Receive, Scope, Send
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, generate_latest

from stadtmelder_shared.metrics import CONTENT_TYPE, ServiceMetrics
from stadtmelder_shared.tracing import http_span_details, name_span_by_route

# Probes and scrapes every few seconds would bury the requests of people in traces and metrics.
UNWATCHED_PATHS = ["^/health", "^/metrics"]


def tracing_plugin(tracer_provider: TracerProvider | None = None) -> OpenTelemetryPlugin:
    """A server span per request, continuing a caller's `traceparent` and named by its route
    template, never its path (which may hold a token); the tracer provider is the process's
    (see `stadtmelder_shared.tracing.configure_tracing`) unless one is given."""
    return OpenTelemetryPlugin(
        OpenTelemetryConfig(
            exclude=UNWATCHED_PATHS,
            # One span per request, without a child for each ASGI message sent or received.
            exclude_spans=["receive", "send"],
            scope_span_details_extractor=http_span_details,
            tracer_provider=tracer_provider,
        )
    )


def route_named_spans(app: ASGIApp) -> ASGIApp:
    """Middleware, run once the request is routed, that names its span by the route template
    (the tracing plugin's span starts before routing, named by nothing that can hold a token)."""

    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        name_span_by_route(scope)
        await app(scope, receive, send)

    return named


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
