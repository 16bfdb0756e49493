"""The open-data files over HTTP with in-memory stores: GeoJSON that RFC 7946 validators accept,
CSV that parses back, a DCAT-AP.de catalogue rdflib reads, and nothing the public must not see."""

import csv
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from geojson_pydantic import FeatureCollection
from litestar import Litestar
from litestar.testing import AsyncTestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Comment, Report, StatusChange
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.open_data import open_data_service
from stadtmelder_reports.open_data.service import CHUNK
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared.event_values import Actor, Location, ModerationAction, Reporter
from stadtmelder_shared.report_events import ReportModerated
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository
from tests.open_data_fakes import InMemoryDailyFiles

DUISBURG = load_jurisdiction()
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BASE = "https://melder.example"
CONTACT = ("anna@example.org", "Anna Beispiel", "+49 203 1234567")
# Contact data, an answer (free text nobody moderates) and a note for staff only.
SECRETS = (*CONTACT, "interne Notiz", "Hausnummer des Melders 7")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DL_BY_DE = URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
STAFF = Actor(role="dispatcher", user_id="dora")


def a_report(number: int, created_at: datetime, **changes: object) -> Report:
    category = DUISBURG.category("road_damage")
    assert category is not None
    report = Report(
        id=f"R{number:04d}-TEST",
        jurisdiction=DUISBURG.code,
        category=category.ref(),
        description=f"Schlagloch Nummer {number}; Kennzeichen HH-AB 123",
        location=Location(lat=51.43 + number / 100_000, lon=6.76 + number / 100_000),
        language="de",
        reporter=Reporter(email=CONTACT[0], name=CONTACT[1], phone=CONTACT[2]),
        created_at=created_at,
        address="Königstraße 40",
        answers={"note": "Hausnummer des Melders 7"},
        comments=[Comment("c1", "internal", "interne Notiz", created_at, STAFF)],
        history=[StatusChange("submitted", created_at, f"e{number}")],
    )
    for name, value in changes.items():
        setattr(report, name, value)
    return report


def moderated(action: ModerationAction, text: str | None = None) -> ReportModerated:
    return ReportModerated(
        report_id="x",
        jurisdiction=DUISBURG.code,
        occurred_at=NOW,
        action=action,
        reason="Schutz",
        actor=STAFF,
        public_description=text,
    )


@dataclass
class Site:
    client: AsyncTestClient[Litestar]
    repository: InMemoryReportRepository
    files: InMemoryDailyFiles


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    repository = InMemoryReportRepository()
    service = ReportService(repository, DUISBURG, clock=lambda: NOW, data_keys=InMemoryDataKeys())
    files = InMemoryDailyFiles()
    settings = ReportsSettings(public_base_url=BASE, NOTIFY_LINK_SECRET="x" * 40)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.open_data = open_data_service(service, files, settings, lambda: NOW)
        yield

    app = build_app(lifespan, ApiSettings(BASE, 200_000), SubmissionLimiter(50))
    async with AsyncTestClient(app) as client:
        yield Site(client, repository, files)


async def stored(site: Site, *reports: Report) -> None:
    for report in reports:
        await site.repository.add(report)


def parsed_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_live_geojson_is_a_valid_rfc_7946_collection_with_every_public_report(
    site: Site,
) -> None:
    # More than one chunk, so the file is written from several reads.
    count = CHUNK + 3
    await stored(site, *(a_report(n, NOW - timedelta(minutes=n)) for n in range(count)))

    response = await site.client.get("/open-data/reports.geojson")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    assert 'rel="license"' in response.headers["link"]
    body = response.json()
    collection: FeatureCollection = FeatureCollection.model_validate(body)  # type: ignore[type-arg]
    assert "crs" not in body
    assert len(collection.features) == count
    assert len({f.id for f in collection.features}) == count
    first = body["features"][0]
    # RFC 7946 §3.1.1: longitude first, in WGS84.
    assert first["geometry"]["coordinates"] == [6.76, 51.43]
    assert first["properties"]["url"] == f"{BASE}/reports/R0000-TEST"


async def test_live_csv_parses_back_to_the_same_reports_as_the_geojson(site: Site) -> None:
    await stored(site, *(a_report(n, NOW - timedelta(hours=n)) for n in range(5)))

    response = await site.client.get("/open-data/reports.csv?lang=en")
    features = (await site.client.get("/open-data/reports.geojson?lang=en")).json()["features"]

    assert response.headers["content-type"].startswith("text/csv")
    rows = parsed_csv(response.text)
    assert [row["id"] for row in rows] == [f["id"] for f in features]
    row, feature = rows[0], features[0]
    assert (float(row["lon"]), float(row["lat"])) == tuple(feature["geometry"]["coordinates"])
    assert row["description"] == feature["properties"]["description"]
    assert row["category_name"] == DUISBURG.category("road_damage").names["en"]  # type: ignore[union-attr]
    assert datetime.fromisoformat(row["created_at"]) == NOW


async def test_no_export_carries_contact_data_answers_or_internal_notes(site: Site) -> None:
    await stored(site, a_report(1, NOW - timedelta(hours=1)))
    today = NOW.date().isoformat()

    paths = [
        "/open-data/reports.geojson",
        "/open-data/reports.csv",
        f"/open-data/daily/{today}.geojson",
        f"/open-data/daily/{today}.csv",
    ]
    for path in paths:
        text = (await site.client.get(path)).text
        assert "Schlagloch Nummer 1" in text, path
        for secret in SECRETS:
            assert secret not in text, (path, secret)


async def test_hidden_reports_are_absent_and_redacted_ones_published_redacted(
    site: Site,
) -> None:
    hidden = a_report(1, NOW - timedelta(hours=1), moderation=[moderated("hidden")])
    shown_again = a_report(
        2, NOW - timedelta(hours=2), moderation=[moderated("hidden"), moderated("shown")]
    )
    redacted = a_report(
        3, NOW - timedelta(hours=3), moderation=[moderated("redacted", "Schlagloch, geschwärzt")]
    )
    await stored(site, hidden, shown_again, redacted)
    today = NOW.date().isoformat()

    for path in ("/open-data/reports.geojson", f"/open-data/daily/{today}.geojson"):
        features = (await site.client.get(path)).json()["features"]
        assert [f["id"] for f in features] == [shown_again.id, redacted.id], path
        assert features[1]["properties"]["description"] == "Schlagloch, geschwärzt"
    rows = parsed_csv((await site.client.get("/open-data/reports.csv")).text)
    assert [row["id"] for row in rows] == [shown_again.id, redacted.id]
    assert "HH-AB 123" not in rows[1]["description"]


async def test_a_daily_file_holds_that_days_reports_and_follows_later_moderation(
    site: Site,
) -> None:
    day = date(2026, 12, 1)
    noon = datetime(2026, 12, 1, 12, tzinfo=UTC)
    await stored(
        site,
        a_report(1, noon),
        a_report(2, datetime(2026, 12, 1, 23, 59, 59, 999_000, tzinfo=UTC)),
        a_report(3, datetime(2026, 12, 2, 0, 0, tzinfo=UTC)),
        a_report(4, datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)),
    )
    path = f"/open-data/daily/{day.isoformat()}.geojson"

    first = await site.client.get(path)
    again = await site.client.get(path, headers={"if-none-match": first.headers["etag"]})
    writes_before_hiding = site.files.writes
    report = site.repository.reports["R0001-TEST"]
    report.moderation.append(moderated("hidden"))
    report.revision += 1
    after_hiding = await site.client.get(path)

    assert {f["id"] for f in first.json()["features"]} == {"R0001-TEST", "R0002-TEST"}
    assert again.status_code == 304
    assert writes_before_hiding == 1
    assert [f["id"] for f in after_hiding.json()["features"]] == ["R0002-TEST"]
    assert after_hiding.headers["etag"] != first.headers["etag"]
    FeatureCollection.model_validate(after_hiding.json())
    csv_rows = parsed_csv((await site.client.get(f"/open-data/daily/{day}.csv")).text)
    assert [row["id"] for row in csv_rows] == ["R0002-TEST"]


@pytest.mark.parametrize(
    "name", ["2026-12-08.geojson", "2019-12-31.csv", "2026-13-01.csv", "yesterday.csv", "x.json"]
)
async def test_a_daily_file_for_a_future_or_malformed_day_is_not_found(
    site: Site, name: str
) -> None:
    response = await site.client.get(f"/open-data/daily/{name}")

    assert response.status_code == 404
    assert response.json()["status_code"] == 404


# rdflib 7.6's JSON-LD parser uses its own deprecated ConjunctiveGraph inside.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
async def test_the_catalogue_is_dcat_ap_de_with_a_distribution_per_format_and_the_licence(
    site: Site,
) -> None:
    await stored(site, a_report(1, NOW - timedelta(hours=1)))

    response = await site.client.get("/open-data/catalog.jsonld")

    assert response.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.text, format="json-ld")
    (catalogue,) = graph.subjects(RDF.type, DCAT.Catalog)
    (dataset,) = graph.objects(catalogue, DCAT.dataset)
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert graph.value(dataset, DCTERMS.title, any=True) is not None
    assert (dataset, DCTERMS.modified, None) in graph
    assert (dataset, DCAT.contactPoint, None) in graph
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert (publisher, URIRef("http://xmlns.com/foaf/0.1/name"), Literal("Stadt Duisburg")) in graph
    distributions = list(graph.objects(dataset, DCAT.distribution))
    formats = {str(graph.value(d, DCTERMS.format)).rsplit("/", 1)[1] for d in distributions}
    assert formats == {"GEOJSON", "CSV"}
    for distribution in distributions:
        assert (distribution, RDF.type, DCAT.Distribution) in graph
        assert (distribution, DCTERMS.license, DL_BY_DE) in graph
        assert (distribution, DCATDE.licenseAttributionByText, None) in graph
        assert (distribution, DCAT.accessURL, None) in graph
    downloads = {str(u) for d in distributions for u in graph.objects(d, DCAT.downloadURL)}
    assert downloads == {f"{BASE}/open-data/reports.geojson", f"{BASE}/open-data/reports.csv"}


async def test_the_licence_is_a_setting(site: Site) -> None:
    repository = InMemoryReportRepository()
    service = ReportService(repository, DUISBURG, data_keys=InMemoryDataKeys())
    zero = "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    settings = ReportsSettings(
        public_base_url=BASE, NOTIFY_LINK_SECRET="x" * 40, open_data_licence=zero
    )
    open_data = open_data_service(service, InMemoryDailyFiles(), settings, lambda: NOW)

    document = json.dumps(await open_data.catalogue())

    assert zero in document
    assert str(DL_BY_DE) not in document


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
async def test_the_catalogue_names_the_contributor_id_for_govdata_once_it_is_set(
    site: Site,
) -> None:
    unset = Graph().parse(
        data=(await site.client.get("/open-data/catalog.jsonld")).text, format="json-ld"
    )
    assert list(unset.objects(None, DCATDE.contributorID)) == []

    contributor = "http://dcat-ap.de/def/contributors/openNRW"
    settings = ReportsSettings(
        public_base_url=BASE, NOTIFY_LINK_SECRET="x" * 40, open_data_contributor_id=contributor
    )
    service = ReportService(InMemoryReportRepository(), DUISBURG, data_keys=InMemoryDataKeys())
    open_data = open_data_service(service, InMemoryDailyFiles(), settings, lambda: NOW)
    graph = Graph().parse(data=json.dumps(await open_data.catalogue()), format="json-ld")
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    assert graph.value(dataset, DCATDE.contributorID) == URIRef(contributor)


async def test_the_open_data_page_links_files_catalogue_and_licence_in_each_language(
    site: Site,
) -> None:
    german = await site.client.get("/open-data?lang=de", headers={"accept": "text/html"})
    turkish = await site.client.get("/open-data?lang=tr", headers={"accept": "text/html"})

    assert german.status_code == 200
    for link in ("/open-data/reports.geojson", "/open-data/reports.csv", "/open-data/catalog"):
        assert link in german.text
    assert f"/open-data/daily/{NOW.date().isoformat()}.csv" in german.text
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in german.text
    assert "<h1>Offene Daten</h1>" in german.text
    assert "<h1>Açık veri</h1>" in turkish.text
