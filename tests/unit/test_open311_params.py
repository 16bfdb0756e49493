"""What Open311 clients send: attributes, jurisdiction, languages, date ranges, filters, forms."""

from datetime import UTC, datetime, timedelta

import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.open311.errors import Open311Error
from stadtmelder_reports.open311.params import (
    check_jurisdiction,
    language,
    parse_attributes,
    parse_filters,
    parse_new_request,
    parse_window,
    split_format,
)

DUISBURG = load_jurisdiction()
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_single_and_list_attributes_become_answers() -> None:
    answers = parse_attributes(
        [
            ("attribute[size]", "large"),
            ("attribute[found][]", "broken_glass"),
            ("attribute[found][]", "needles"),
            ("description", "ignored"),
        ]
    )

    assert answers == {"size": "large", "found": ["broken_glass", "needles"]}


def test_a_code_sent_twice_without_brackets_collects_a_list() -> None:
    answers = parse_attributes([("attribute[found]", "litter"), ("attribute[found]", "other")])

    assert answers == {"found": ["litter", "other"]}


def test_empty_attribute_counts_as_not_given() -> None:
    assert parse_attributes([("attribute[spot]", " "), ("attribute[found][]", "")]) == {}


@pytest.mark.parametrize("name", ["attribute", "attribute[]", "attribute[a][b]", "attribute[a"])
def test_malformed_attribute_name_is_400_naming_it(name: str) -> None:
    with pytest.raises(Open311Error) as raised:
        parse_attributes([(name, "x")])

    assert raised.value.status_code == 400
    assert raised.value.descriptions[0].startswith(f"{name}: ")


@pytest.mark.parametrize("given", [None, "", "duisburg.de", "duisburg"])
def test_jurisdiction_id_is_optional_and_both_our_ids_are_accepted(given: str | None) -> None:
    check_jurisdiction(given, DUISBURG)


def test_other_jurisdiction_is_404() -> None:
    with pytest.raises(Open311Error) as raised:
        check_jurisdiction("sfgov.org", DUISBURG)

    assert raised.value.status_code == 404
    assert "duisburg.de" in raised.value.descriptions[0]


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        ((None, None), "de"),
        (("en_US", None), "en"),
        (("", "tr"), "tr"),
        (("fr", "en-GB"), "en"),
        (("fr", None), "de"),
    ],
)
def test_language_comes_from_locale_or_lang_else_german(
    preferences: tuple[str | None, str | None], expected: str
) -> None:
    assert language(*preferences) == expected


def test_resource_names_split_into_name_and_format() -> None:
    assert split_format("road_damage.json") == ("road_damage", "json")
    assert split_format("ABCDE-12345.xml") == ("ABCDE-12345", "xml")


@pytest.mark.parametrize("name", ["road_damage", "road_damage.yaml", ".json"])
def test_resource_without_our_formats_is_404(name: str) -> None:
    with pytest.raises(Open311Error) as raised:
        split_format(name)

    assert raised.value.status_code == 404


def test_window_defaults_to_the_last_90_days() -> None:
    assert parse_window(None, "", NOW) == (NOW - timedelta(days=90), NOW)


def test_window_with_one_end_spans_90_days_from_it() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)

    assert parse_window("2026-01-01T00:00:00Z", None, NOW) == (start, start + timedelta(days=90))
    assert parse_window(None, "2026-01-01T00:00:00+00:00", NOW) == (
        start - timedelta(days=90),
        start,
    )


@pytest.mark.parametrize(
    ("start", "end", "named"),
    [
        ("2026-01-01T00:00:00", None, "start_date"),
        ("soon", None, "start_date"),
        ("2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z", "end_date"),
        ("2026-01-01T00:00:00Z", "2026-04-02T00:00:00Z", "90 days"),
    ],
)
def test_bad_window_is_400_saying_what_to_fix(start: str, end: str | None, named: str) -> None:
    with pytest.raises(Open311Error) as raised:
        parse_window(start, end, NOW)

    assert raised.value.status_code == 400
    assert named in raised.value.descriptions[0]


def test_filters_split_comma_lists_and_fold_open_plus_closed_into_all() -> None:
    filters = parse_filters(
        DUISBURG,
        NOW,
        {
            "service_code": "road_damage, graffiti",
            "status": "open,closed",
            "bbox": "6.7,51.4,6.8,51.5",
            "page": "2",
            "page_size": "50",
            "extensions": "true",
        },
    )

    assert filters.service_codes == ("road_damage", "graffiti")
    assert filters.statuses == frozenset()
    assert filters.bbox is not None
    assert filters.bbox.min_lon == 6.7
    assert (filters.page, filters.page_size, filters.extensions) == (2, 50, True)
    assert (filters.start, filters.end) == (NOW - timedelta(days=90), NOW)


def test_service_request_id_overrides_every_other_filter() -> None:
    filters = parse_filters(
        DUISBURG,
        NOW,
        {"service_request_id": "A,B,A", "status": "closed", "service_code": "graffiti"},
    )

    assert filters.ids == ("A", "B")
    assert filters.statuses == frozenset()
    assert filters.service_codes == ()
    assert filters.start is None
    assert filters.page_size == 2


def test_new_request_maps_open311_fields_to_ours() -> None:
    new = parse_new_request(
        [
            ("service_code", "road_damage"),
            ("lat", "51.43"),
            ("long", "6.76"),
            ("address_string", "Königstraße 40"),
            ("email", "anna@example.org"),
            ("first_name", "Anna"),
            ("last_name", "Beispiel"),
            ("phone", "0203 123"),
            ("description", "Loch"),
            ("media_url", "http://example.org/a.jpg"),
            ("attribute[size]", "large"),
        ]
    )

    assert (new.service_code, new.lat, new.lon, new.address) == (
        "road_damage",
        51.43,
        6.76,
        "Königstraße 40",
    )
    assert (new.email, new.name, new.phone) == ("anna@example.org", "Anna Beispiel", "0203 123")
    assert new.answers == {"size": "large"}
    assert new.media_url_given


def test_new_request_tells_every_problem_at_once() -> None:
    with pytest.raises(Open311Error) as raised:
        parse_new_request([("lat", "91"), ("email", "nobody"), ("attribute[x", "1")])

    fields = [text.split(":", 1)[0] for text in raised.value.descriptions]
    assert raised.value.status_code == 400
    assert set(fields) == {"service_code", "long", "lat", "email", "attribute[x"}


def test_address_id_alone_is_400_as_we_keep_no_address_register() -> None:
    with pytest.raises(Open311Error) as raised:
        parse_new_request([("service_code", "road_damage"), ("address_id", "4711")])

    assert raised.value.descriptions[0].startswith("address_id: ")
