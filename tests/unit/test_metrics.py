from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_shared.metrics import CountedSends, ServiceMetrics, metrics_route
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryReportRepository, RecordingMailer

DUISBURG = load_jurisdiction()


def samples(text: str, family: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The values of one family's samples, by their sorted labels."""
    for found in text_string_to_metric_families(text):
        if found.name == family:
            return {
                tuple(sorted(sample.labels.items())): sample.value
                for sample in found.samples
                if sample.name == f"{family}_total" or sample.name == family
            }
    return {}


async def test_sent_and_failed_messages_are_counted_by_channel() -> None:
    metrics = ServiceMetrics("notify")
    mailer = RecordingMailer()
    counted = CountedSends(mailer, metrics.notifications, channel="email")

    mail = Mail(to="anna@example.org", subject="Ihre Meldung", text="...", message_id="<1@x>")
    await counted.send(mail, "de")
    mailer.failures_left = 1
    with pytest.raises(ConnectionError):
        await counted.send(mail, "de")

    values = samples((await metrics.exposition()).decode(), "stadtmelder_notifications")
    assert values[(("channel", "email"), ("outcome", "sent"))] == 1
    assert values[(("channel", "email"), ("outcome", "failed"))] == 1


async def test_a_scrape_answers_with_the_last_value_when_a_source_is_away() -> None:
    metrics = ServiceMetrics("reports")
    backlog = iter([7])

    async def read_backlog() -> None:
        try:
            metrics.outbox_backlog.labels(outbox="reports").set(next(backlog))
        except StopIteration:
            raise ConnectionError("MongoDB is away") from None

    metrics.refresh_at_scrape(read_backlog)
    first = (await metrics.exposition()).decode()
    second = (await metrics.exposition()).decode()

    for text in (first, second):
        assert samples(text, "stadtmelder_outbox_backlog") == {(("outbox", "reports"),): 7}


async def test_the_metrics_route_serves_the_prometheus_text_format() -> None:
    metrics = ServiceMetrics("routing")
    metrics.sla_overdue.labels(department="wbd-strasse").set(3)
    path, handler = metrics_route(metrics)

    transport = httpx.ASGITransport(app=handler)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as http:
        response = await http.get(path)

    assert path == "/metrics"
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert samples(response.text, "stadtmelder_sla_overdue_work_items") == {
        (("department", "wbd-strasse"),): 3
    }
    assert "process_resident_memory_bytes" in response.text


async def test_http_latency_is_labelled_by_route_template_never_by_report_id() -> None:
    service = ReportService(InMemoryReportRepository(), DUISBURG, data_keys=InMemoryDataKeys())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.api_keys = None
        yield

    app = build_app(
        lifespan,
        ApiSettings("https://melder.example", max_photo_bytes=200_000),
        SubmissionLimiter(anonymous_per_minute=20),
        ServiceMetrics("reports", process_series=False),
    )
    async with AsyncTestClient(app) as client:
        created = await client.post(
            "/api/v1/reports",
            json={
                "category": "road_damage",
                "description": "Tiefes Schlagloch auf der Königstraße.",
                "lat": KOENIGSTRASSE[0],
                "lon": KOENIGSTRASSE[1],
                "answers": valid_answers(DUISBURG.category("road_damage")),
            },
        )
        report_id = created.json()["id"]
        assert (await client.get(f"/api/v1/reports/{report_id}")).status_code == 200
        assert (await client.get("/api/v1/reports/NOSUCH-00000")).status_code == 404
        text = (await client.get("/metrics")).text

    paths = {
        dict(labels)["path"]
        for labels in samples(text, "stadtmelder_http_requests")
        if dict(labels)["app_name"] == "stadtmelder-reports"
    }
    assert "/api/v1/reports" in paths
    assert any(path.startswith("/api/v1/reports/{") for path in paths)
    assert report_id not in text
    assert "NOSUCH" not in text
    assert not any(path.startswith(("/metrics", "/health")) for path in paths)
