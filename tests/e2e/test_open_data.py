"""Open data and statistics on the running system: a new report appears in the GeoJSON, CSV and
daily files (which validate) without its reporter's contact data and in the statistics once its
events went through Kafka; a report staff hid leaves both; the catalogue parses as DCAT."""

import csv
import functools
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from geojson_pydantic import FeatureCollection
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.statistics.domain import month_of
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import group_for
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.system import caught_up, staff_headers, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
# A category few tests report in; the Open311 test sends one of every category, and its
# report may still be on its way into the statistics: `settled` waits for it first.
CATEGORY = "traffic_sign_damaged"
# The topics whose events move a category's count: a submission adds, a hiding takes away.
# The statistics count a report from routing's answer: routing first, then their consumers.
COUNTING = (
    ("routing", topics.REPORTS_SUBMITTED),
    ("reports.statistics", topics.REPORTS_ROUTED),
    ("reports.statistics", topics.REPORTS_UNROUTABLE),
    ("reports.statistics", topics.REPORTS_MODERATED),
)
CONTACT = {"email": "erika.open@example.org", "name": "Erika Offen", "phone": "+49 203 555 0199"}


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=60) as client:
        yield client


async def submitted(api: httpx.AsyncClient, text: str) -> dict[str, Any]:
    body = {
        "category": CATEGORY,
        "description": text,
        "lat": KOENIGSTRASSE[0],
        "lon": KOENIGSTRASSE[1],
        "answers": valid_answers(DUISBURG.category(CATEGORY)),
        **CONTACT,
    }
    response = await api.post("/api/v1/reports", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def settled(system: LocalSystem) -> None:
    """The statistics have read every submission and hiding that earlier tests published."""
    for service, topic in COUNTING:
        group = group_for(service, topic)
        probe = functools.partial(caught_up, system.kafka, group, topic)
        await wait_until(probe, timeout=60, what=f"{group} caught up")


def months_around_now() -> tuple[str, str]:
    """The city's months a day before and after now: a report sent in the next minutes counts
    in them even if the month turns meanwhile, and so does every count the test compares."""
    now = datetime.now(UTC)
    return month_of(now - timedelta(days=1)), month_of(now + timedelta(days=1))


async def counted(api: httpx.AsyncClient, months: tuple[str, str]) -> int | None:
    """The category's reports of `months`, or None while the figures are being built."""
    query = {"from": months[0], "to": months[1], "category": CATEGORY}
    response = await api.get("/api/v1/statistics", params=query)
    return int(response.json()["total"]["reports"]) if response.status_code == 200 else None


async def geojson(api: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await api.get(path)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    FeatureCollection.model_validate(body)
    return body


def ids(collection: dict[str, Any]) -> set[str]:
    return {feature["id"] for feature in collection["features"]}


# rdflib 7.6's JSON-LD parser uses its own deprecated ConjunctiveGraph inside.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
async def test_a_report_is_open_data_and_counted_until_staff_hide_it(
    api: httpx.AsyncClient, running_system: LocalSystem
) -> None:
    await settled(running_system)
    months = months_around_now()
    before = await wait_until(lambda: _known(counted(api, months)), what="the statistics")
    text = f"Verkehrsschild verbogen {uuid.uuid4().hex[:6]}"
    report = await submitted(api, text)
    report_id = str(report["id"])

    await wait_until(
        lambda: _equals(counted(api, months), before[0] + 1), timeout=60, what="the report counted"
    )
    live = await geojson(api, "/open-data/reports.geojson")
    # The report's own day (UTC), even if midnight passed since it was sent.
    day = datetime.fromisoformat(report["created_at"]).astimezone(UTC).date().isoformat()
    daily = await geojson(api, f"/open-data/daily/{day}.geojson")
    rows = list(csv.DictReader(io.StringIO((await api.get("/open-data/reports.csv")).text)))
    catalogue = await api.get("/open-data/catalog.jsonld")
    page = await api.get("/statistics", headers={"accept": "text/html"})

    assert report_id in ids(live)
    assert report_id in ids(daily)
    (row,) = [row for row in rows if row["id"] == report_id]
    assert row["description"] == text
    everything = json.dumps(live) + json.dumps(daily) + json.dumps(rows)
    assert not [value for value in CONTACT.values() if value in everything]
    graph = Graph().parse(data=catalogue.text, format="json-ld")
    assert len(list(graph.subjects(RDF.type, DCAT.Distribution))) == 4
    assert page.status_code == 200
    assert 'role="img"' in page.text

    hidden = await api.post(
        f"/api/v1/staff/reports/{report_id}/moderation",
        json={"action": "hide", "reason": "Test"},
        headers=staff_headers("e2e-open-data", ["dispatcher"]),
    )
    assert hidden.status_code == 200, hidden.text
    await wait_until(
        lambda: _equals(counted(api, months), before[0]), timeout=60, what="hidden uncounted"
    )
    assert report_id not in ids(await geojson(api, "/open-data/reports.geojson"))
    assert report_id not in (await api.get("/open-data/reports.csv")).text


async def _known(count: Any) -> tuple[int] | None:
    found = await count
    return None if found is None else (found,)


async def _equals(count: Any, wanted: int) -> bool:
    return bool(await count == wanted)
