"""The alerts and the dashboard read series the services really export, and every alert's
runbook link leads to a section of docs/runbooks.md."""

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_shared.metrics import ServiceMetrics
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy/k8s/base/monitoring"
SERIES = re.compile(r"\b((?:stadtmelder|faststream|process)_[a-z_]+)")
# Prometheus adds `up` itself for every scrape target.
FROM_PROMETHEUS = {"up"}


def alert_rules() -> list[dict[str, Any]]:
    rule = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    return [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def sample_names(text: str) -> set[str]:
    """The names of the samples a family has or will have once it is used."""
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        for suffix in SUFFIXES.get(family.type, ("",))
    }


@pytest.fixture(scope="module")
async def exported() -> set[str]:
    """Every series name a service can export: ours, FastStream's and Litestar's HTTP ones."""
    metrics = ServiceMetrics("routing")
    metrics.kafka_middleware()
    metrics.consumer_lag.labels(topic="t").set(0)
    metrics.outbox_backlog.labels(outbox="reports").set(0)
    metrics.sla_overdue.labels(department="d").set(0)
    metrics.notifications.labels(channel="email", outcome="sent").inc()
    metrics.department_sends.labels(method="kafka", outcome="sent").inc()
    names = sample_names((await metrics.exposition()).decode())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = ReportService(
            InMemoryReportRepository(), load_jurisdiction(), data_keys=InMemoryDataKeys()
        )
        yield

    app = build_app(
        lifespan,
        ApiSettings("https://melder.example", max_photo_bytes=200_000),
        SubmissionLimiter(anonymous_per_minute=20),
    )
    async with AsyncTestClient(app) as client:
        await client.get("/api/v1/categories")
        names |= sample_names((await client.get("/metrics")).text)
    return names


def test_every_alert_has_a_severity_a_summary_and_a_runbook_section() -> None:
    headings = {
        line.removeprefix("## ").strip().lower()
        for line in (ROOT / "docs/runbooks.md").read_text().splitlines()
        if line.startswith("## ")
    }
    rules = alert_rules()

    assert {r["alert"] for r in rules} >= {
        "StadtmelderConsumerLagHigh",
        "StadtmelderDeadLettersGrowing",
        "StadtmelderOutboxBacklog",
        "StadtmelderReportsOverdue",
        "StadtmelderNotificationsFailing",
        "StadtmelderDepartmentSendsFailing",
    }
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        document, anchor = rule["annotations"]["runbook_url"].split("#")
        assert document == "docs/runbooks.md"
        assert anchor == rule["alert"].lower()
        assert anchor in headings, f"docs/runbooks.md has no section {rule['alert']}"


async def test_alerts_and_dashboard_read_only_series_the_services_export(
    exported: set[str],
) -> None:
    expressions = [r["expr"] for r in alert_rules()] + dashboard_expressions()

    read = {name for expr in expressions for name in SERIES.findall(expr)}
    assert read - exported - FROM_PROMETHEUS == set()
    # The listed series of the issue each feed the dashboard.
    assert read >= {
        "stadtmelder_http_request_duration_seconds_bucket",
        "faststream_received_processed_messages_total",
        "faststream_received_processed_messages_exceptions_total",
        "stadtmelder_consumer_lag",
        "stadtmelder_outbox_backlog",
        "stadtmelder_notifications_total",
        "stadtmelder_sla_overdue_work_items",
    }
