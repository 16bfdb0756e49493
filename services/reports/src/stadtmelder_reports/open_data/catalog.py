"""The DCAT-AP.de catalogue of the open data as JSON-LD, for open-data portals to harvest: one
catalogue, one dataset of the public reports, a distribution per format (live and daily)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stadtmelder_reports.open_data.domain import (
    FORMAT_NAMES,
    FORMATS,
    MEDIA_TYPES,
    Format,
    Licence,
)
from stadtmelder_reports.web.texts import LANGUAGE_NAMES, Words
from stadtmelder_shared.translations import N_

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
EU = "http://publications.europa.eu/resource/authority"
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding"
FILE_TYPES: dict[Format, str] = {"geojson": f"{EU}/file-type/GEOJSON", "csv": f"{EU}/file-type/CSV"}
KEYWORDS = ("Mängelmelder", "Schadensmeldung", "Bürgerbeteiligung", "Infrastruktur")


@dataclass(frozen=True)
class Publisher:
    """Who publishes the data and whom portal users ask about it."""

    name: str
    contact_email: str | None
    # The Amtlicher Gemeindeschlüssel of the city, e.g. 05112000 for Duisburg.
    municipality_key: str
    # The URI GovData files the datasets under (dcatde:contributorID), if the city has one.
    contributor_id: str | None = None


def catalogue(
    base_url: str, publisher: Publisher, licence: Licence, modified: datetime
) -> dict[str, Any]:
    """The catalogue; `modified` is when the published data last changed."""
    pages = f"{base_url}/open-data"
    agent = {"@id": f"{pages}#publisher", "@type": "foaf:Organization", "foaf:name": publisher.name}
    changed = _date_time(modified)
    place = {"@id": f"{GEOCODING}/municipalityKey/{publisher.municipality_key}"}
    dataset = {
        "@id": f"{pages}#reports",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{pages}#reports",
        "dct:title": _texts(N_("open_data_dataset_title")),
        "dct:description": _texts(N_("open_data_dataset_description")),
        "dcat:keyword": list(KEYWORDS),
        "dcat:theme": [{"@id": f"{EU}/data-theme/GOVE"}, {"@id": f"{EU}/data-theme/REGI"}],
        "dct:publisher": agent,
        "dcat:contactPoint": _contact(publisher, pages),
        "dct:modified": changed,
        "dct:accrualPeriodicity": {"@id": f"{EU}/frequency/CONT"},
        "dct:spatial": place,
        "dcatde:politicalGeocodingURI": place,
        "dcatde:politicalGeocodingLevelURI": {"@id": f"{GEOCODING}/Level/municipality"},
        "dcat:landingPage": {"@id": pages},
        "dct:license": {"@id": licence.uri},
        "dcat:distribution": [
            *(_distribution(pages, fmt, licence, changed, daily=False) for fmt in FORMATS),
            *(_distribution(pages, fmt, licence, changed, daily=True) for fmt in FORMATS),
        ],
    }
    if publisher.contributor_id:
        dataset["dcatde:contributorID"] = {"@id": publisher.contributor_id}
    return {
        "@context": CONTEXT,
        "@id": f"{pages}/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _texts(N_("open_data_catalog_title")),
        "dct:description": _texts(N_("open_data_catalog_description")),
        "dct:publisher": agent,
        "foaf:homepage": {"@id": pages},
        "dct:language": [{"@id": f"{EU}/language/{code}"} for code in ("DEU", "ENG", "TUR")],
        "dct:modified": changed,
        "dcat:dataset": [dataset],
    }


def _distribution(
    pages: str, fmt: Format, licence: Licence, changed: dict[str, str], daily: bool
) -> dict[str, Any]:
    name = FORMAT_NAMES[fmt]
    live = f"{pages}/reports.{fmt}"
    distribution: dict[str, Any] = {
        "@id": f"{pages}#{'daily' if daily else 'live'}-{fmt}",
        "@type": "dcat:Distribution",
        "dct:title": _texts(
            N_("open_data_daily_title") if daily else N_("open_data_live_title"), fmt=name
        ),
        # The daily files have a name per day: the page lists them; the live file is one URL.
        "dcat:accessURL": {"@id": f"{pages}#daily" if daily else live},
        "dct:format": {"@id": FILE_TYPES[fmt]},
        "dcat:mediaType": {
            "@id": f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[fmt]}"
        },
        "dct:license": {"@id": licence.uri},
        "dcatde:licenseAttributionByText": licence.attribution,
        "dct:modified": changed,
    }
    if not daily:
        distribution["dcat:downloadURL"] = {"@id": live}
    return distribution


def _contact(publisher: Publisher, pages: str) -> dict[str, Any]:
    contact: dict[str, Any] = {"@type": "vcard:Organization", "vcard:fn": publisher.name}
    if publisher.contact_email:
        contact["vcard:hasEmail"] = {"@id": f"mailto:{publisher.contact_email}"}
    else:
        contact["vcard:hasURL"] = {"@id": pages}
    return contact


def _texts(key: str, **values: object) -> list[dict[str, str]]:
    """The text in every language the site speaks, tagged for the portal to choose."""
    return [
        {"@value": Words(language)(key, **values), "@language": language}
        for language in LANGUAGE_NAMES
    ]


def _date_time(moment: datetime) -> dict[str, str]:
    return {"@value": moment.isoformat(), "@type": "xsd:dateTime"}
