"""Open311 XML: element names as the spec writes them, readable by any XML parser."""

from xml.etree import ElementTree

import pytest

from stadtmelder_reports.open311.responses import open311_response
from stadtmelder_reports.open311.xml import render_xml


def parse(document: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(document)


def test_document_starts_with_a_utf8_declaration() -> None:
    document = render_xml("services", [])

    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert parse(document).tag == "services"


def test_lists_become_containers_of_singular_elements() -> None:
    document = render_xml(
        "service_definition",
        {
            "service_code": "road_damage",
            "attributes": [{"code": "size", "values": [{"key": "s", "name": "Klein"}]}],
        },
    )

    root = parse(document)
    assert root.findtext("attributes/attribute/values/value/key") == "s"
    assert root.findtext("attributes/attribute/values/value/name") == "Klein"


def test_null_is_an_empty_element_and_booleans_are_lowercase() -> None:
    root = parse(render_xml("services", [{"metadata": True, "group": None, "x": False}]))

    service = root.find("service")
    assert service is not None
    assert service.findtext("metadata") == "true"
    assert service.findtext("x") == "false"
    assert service.find("group") is not None
    assert service.findtext("group") == ""


def test_text_is_escaped_and_characters_xml_cannot_carry_are_dropped() -> None:
    root = parse(render_xml("service_requests", [{"description": "a < b & \x0bc ü"}]))

    assert root.findtext("request/description") == "a < b & c ü"


def test_a_list_without_a_known_item_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown_things"):
        render_xml("discovery", {"unknown_things": [1]})


def test_errors_in_both_formats() -> None:
    content = [{"code": 400, "description": "lat: give a number"}]

    as_json = open311_response(content, "json", "errors", 400)
    as_xml = open311_response(content, "xml", "errors", 400)

    assert as_json.status_code == as_xml.status_code == 400
    assert as_json.media_type == "application/json; charset=utf-8"
    assert as_xml.media_type == "text/xml"  # Litestar adds the charset once, in the header
    assert isinstance(as_xml.content, bytes)
    root = parse(as_xml.content)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    assert root.findtext("error/description") == "lat: give a number"
