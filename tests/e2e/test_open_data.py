"""Open data and statistics on the running system: a new report appears in the GeoJSON, CSV and
daily files (which validate) without its reporter's contact data and in the statistics once its
events went through Kafka; a report staff hid leaves both; the catalogue parses as DCAT."""

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from geojson_pydantic import FeatureCollection
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.statistics.domain import month_of
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.system import staff_headers, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
# A category no other test reports in, so the counts move only by this test's report.
CATEGORY = "traffic_sign_damaged"
CONTACT = {"email": "erika.open@example.org", "name": "Erika Offen", "phone": "+49 203 555 0199"}


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=60) as client:
        yield client


async def submitted(api: httpx.AsyncClient, text: str) -> str:
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
    return str(response.json()["id"])


async def counted(api: httpx.AsyncClient) -> int | None:
    """This month's reports of the category, or None while the figures are being built."""
    month = month_of(datetime.now(UTC))
    query = {"from": month, "to": month, "category": CATEGORY}
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
    api: httpx.AsyncClient,
) -> None:
    before = await wait_until(lambda: _known(counted(api)), what="the statistics")
    text = f"Verkehrsschild verbogen {uuid.uuid4().hex[:6]}"
    report_id = await submitted(api, text)

    await wait_until(
        lambda: _equals(counted(api), before[0] + 1), timeout=60, what="the report counted"
    )
    live = await geojson(api, "/open-data/reports.geojson")
    today = datetime.now(UTC).date().isoformat()
    daily = await geojson(api, f"/open-data/daily/{today}.geojson")
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
    await wait_until(lambda: _equals(counted(api), before[0]), timeout=60, what="hidden uncounted")
    assert report_id not in ids(await geojson(api, "/open-data/reports.geojson"))
    assert report_id not in (await api.get("/open-data/reports.csv")).text


async def _known(count: Any) -> tuple[int] | None:
    found = await count
    return None if found is None else (found,)


async def _equals(count: Any, wanted: int) -> bool:
    return bool(await count == wanted)
