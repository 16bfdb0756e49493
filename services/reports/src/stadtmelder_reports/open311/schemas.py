"""Domain objects as the Open311 documents describe them; never any personal data."""

from datetime import UTC, datetime
from typing import Any

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.categories import Category, localized
from stadtmelder_reports.core.domain import OPEN_STATUSES, Report, StatusChange
from stadtmelder_reports.http.schemas import works_link_out
from stadtmelder_reports.open311.texts import status_note

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Tells clients when to refresh what they cached of the service list and definitions:
# raise it whenever this API or the shipped catalogue changes.
CHANGESET = "2026-11-27T00:00:00Z"
MEDIA_TYPES = ("text/xml", "application/json")

Document = dict[str, Any]


def w3c_datetime(at: datetime) -> str:
    """ISO 8601 to the second with the offset, the subset the spec requires (W3C note)."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


def open311_status(status: str) -> str:
    """Open311 knows two states: `open` while someone still has to act, else `closed`."""
    return "open" if status in OPEN_STATUSES else "closed"


def photo_url(base_url: str, report_id: str, number: int) -> str:
    return f"{base_url}/api/v1/reports/{report_id}/photos/{number}"


def discovery(jurisdiction: Jurisdiction, base_url: str) -> Document:
    city = localized(jurisdiction.names, "en")
    return {
        "changeset": CHANGESET,
        "contact": f"Stadtmelder of the {city}: {base_url}",
        "key_service": (
            "Reading needs no key. To submit requests, ask the operators of this Stadtmelder "
            f"installation ({base_url}) for an API key for your app."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(MEDIA_TYPES),
            }
        ],
    }


def service(category: Category, jurisdiction: Jurisdiction, language: str) -> Document:
    keywords = category.keywords.get(language) or category.keywords.get("de", ())
    group = next((g for g in jurisdiction.groups if g.code == category.group), None)
    return {
        "service_code": category.code,
        "service_name": category.name(language),
        "description": localized(category.description, language),
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": localized(group.names, language) if group else category.group,
    }


def service_definition(category: Category, language: str) -> Document:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": question.code,
                "datatype": question.datatype,
                "required": question.required,
                "datatype_description": (
                    localized(question.help, language) if question.help else None
                ),
                "order": question.order,
                "description": localized(question.text, language),
                "values": [
                    {"key": choice.key, "name": localized(choice.names, language)}
                    for choice in question.values
                ],
            }
            for question in category.questions
        ],
    }


def service_request(
    report: Report, language: str, base_url: str, extensions: bool = False
) -> Document:
    """One `request` of GET requests, in the spec's order of fields."""
    department = report.department.name if report.department else None
    document: Document = {
        "service_request_id": report.id,
        "status": open311_status(report.status),
        "status_notes": status_note(report.status, language, department),
        "service_name": report.category.name(language),
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": department,
        "service_notice": None,
        "requested_datetime": w3c_datetime(report.created_at),
        "updated_datetime": w3c_datetime(report.updated_at),
        "expected_datetime": None,
        "address": report.address,
        "address_id": None,
        "zipcode": None,
        "lat": report.location.lat if report.location else None,
        "long": report.location.lon if report.location else None,
        "media_url": photo_url(base_url, report.id, 1) if report.photos else None,
    }
    if extensions:
        document["extended_attributes"] = _extended_attributes(report, language, base_url)
    return document


def _extended_attributes(report: Report, language: str, base_url: str) -> Document:
    department = report.department.name if report.department else None
    return {
        "detailed_status": report.status,
        "status_notes": [
            {
                "status": open311_status(change.status),
                "detailed_status": change.status,
                "updated_datetime": w3c_datetime(change.at),
                "description": status_note(change.status, language, department),
            }
            for change in report.history
        ],
        "supporter_count": report.supporter_count,
        "photos": [
            {
                "media_url": photo_url(base_url, report.id, photo.number),
                "thumbnail_url": f"{photo_url(base_url, report.id, photo.number)}/thumbnail",
                "media_type": photo.media_type,
                "width": photo.width,
                "height": photo.height,
            }
            for photo in report.photos
        ],
        # Known works (Baustellen) the place lay in when it was routed.
        "works": [
            works_link_out(works, base_url).model_dump(mode="json") for works in report.works
        ],
    }


def created_request(report_id: str, token: str, service_notice: str) -> Document:
    """The answer to POST requests. `token` is also the reporter's private tracking token."""
    return {
        "service_request_id": report_id,
        "token": token,
        "service_notice": service_notice,
        "account_id": None,
    }


def token_request(report_id: str, token: str) -> Document:
    return {"service_request_id": report_id, "token": token}


def request_updates(
    report: Report, language: str, base_url: str, start: datetime, end: datetime
) -> list[Document]:
    """One `request_update` per status change between start and end (FixMyStreet's feed)."""
    department = report.department.name if report.department else None
    return [
        _update(report, change, language, base_url, department, first=number == 0)
        for number, change in enumerate(report.history)
        if start <= change.at <= end
    ]


def _update(
    report: Report,
    change: StatusChange,
    language: str,
    base_url: str,
    department: str | None,
    first: bool,
) -> Document:
    # The photos came with the report itself, so they belong to its first step.
    media_url = photo_url(base_url, report.id, 1) if first and report.photos else None
    return {
        "update_id": change.event_id,
        "service_request_id": report.id,
        "status": open311_status(change.status),
        "updated_datetime": w3c_datetime(change.at),
        "description": status_note(change.status, language, department),
        "media_url": media_url,
    }
