"""What Open311 clients send, checked and turned into our terms: names, filters, new requests."""

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.geography import BoundingBox
from stadtmelder_reports.core.report_queries import in_supported_range
from stadtmelder_reports.http.report_forms import FlatReport, submission_from
from stadtmelder_reports.open311.errors import Open311Error, bad_request, not_found
from stadtmelder_reports.open311.responses import FORMATS, Format
from stadtmelder_shared.event_values import Language

LANGUAGES: tuple[Language, ...] = ("de", "en", "tr")
MAX_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000
NAME_MAX_LENGTH = 200
PHONE_MAX_LENGTH = 40
Answer = str | list[str]

_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
_STATUSES = ("open", "closed")


def language(*preferences: str | None) -> Language:
    """The first of `locale`/`lang` we speak ("en_US" and "en-GB" count as "en"); else German."""
    for preference in preferences:
        code = (preference or "").strip()[:2].lower()
        for known in LANGUAGES:
            if code == known:
                return known
    return "de"


def check_jurisdiction(jurisdiction_id: str | None, jurisdiction: Jurisdiction) -> None:
    """An optional argument: absent or empty is fine, and so is our Open311 id or our code."""
    if jurisdiction_id and jurisdiction_id not in (jurisdiction.open311_id, jurisdiction.code):
        raise not_found(
            f"jurisdiction_id: {jurisdiction_id!r} is not served here; "
            f"use {jurisdiction.open311_id!r} or leave it out."
        )


def split_format(name: str) -> tuple[str, Format]:
    """`road_damage.json` → ("road_damage", "json"); a resource in another format is not here."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or extension not in FORMATS:
        raise not_found(f"{name!r}: end the resource name in .json or .xml.")
    return stem, extension


def _given(value: str | None) -> str | None:
    """Spec: an empty parameter means the same as a missing one."""
    value = (value or "").strip()
    return value or None


def parse_datetime(name: str, value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(
            f"{name}: {value!r} is not a W3C date and time; use e.g. 2026-01-31T08:00:00Z."
        ) from None
    if at.tzinfo is None:
        raise bad_request(
            f"{name}: add the time zone, Z or an offset, e.g. 2026-01-31T08:00:00+01:00."
        )
    if not in_supported_range(at):
        raise bad_request(
            f"{name}: give a date and time between the years 1900 and 9000, "
            "e.g. 2026-01-31T08:00:00Z."
        )
    return at


def parse_window(
    start_date: str | None, end_date: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """The spec's range: at most 90 days; without dates the most recent 90 days."""
    start = parse_datetime("start_date", value) if (value := _given(start_date)) else None
    end = parse_datetime("end_date", value) if (value := _given(end_date)) else None
    if start is None and end is None:
        return now - MAX_WINDOW, now
    if start is None:
        assert end is not None
        return end - MAX_WINDOW, end
    if end is None:
        return start, start + MAX_WINDOW
    if end < start:
        raise bad_request("end_date: must not be before start_date.")
    if end - start > MAX_WINDOW:
        raise bad_request("start_date, end_date: the range may span at most 90 days.")
    return start, end


def _positive_int(name: str, value: str | None, default: int, maximum: int) -> int:
    given = _given(value)
    if given is None:
        return default
    if not given.isdigit() or not 1 <= int(given) <= maximum:
        raise bad_request(f"{name}: give a whole number from 1 to {maximum}.")
    return int(given)


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))


@dataclass(frozen=True)
class RequestFilters:
    """GET requests: the spec's filters plus the page, page_size, bbox and extensions extensions."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    bbox: BoundingBox | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    extensions: bool = False


def parse_filters(
    jurisdiction: Jurisdiction, now: datetime, query: Mapping[str, str]
) -> RequestFilters:
    """What a GET of requests asks for in its query: `service_request_id`, `service_code`,
    `status`, `start_date`, `end_date`, `bbox`, `page`, `page_size` and `extensions`, all
    optional and read here by hand, so that each mistake is told in the spec's error shape."""
    with_extensions = (_given(query.get("extensions")) or "false").lower() in ("true", "1", "yes")
    ids = _list(query.get("service_request_id"))
    if ids:
        # The spec: service_request_id overrides all other arguments.
        if len(ids) > MAX_IDS:
            raise bad_request(f"service_request_id: ask for at most {MAX_IDS} ids at once.")
        return RequestFilters(ids=ids, page_size=len(ids), extensions=with_extensions)
    codes = _list(query.get("service_code"))
    unknown = [code for code in codes if jurisdiction.category(code) is None]
    if unknown:
        raise bad_request(
            f"service_code: unknown {', '.join(unknown)}; services.json lists the valid codes."
        )
    statuses = frozenset(_list(query.get("status")))
    if not statuses <= set(_STATUSES):
        raise bad_request("status: use open, closed or both, comma-separated.")
    try:
        box = BoundingBox.parse(given) if (given := _given(query.get("bbox"))) else None
    except ValueError as error:
        raise bad_request(f"bbox: {error}.") from None
    start, end = parse_window(query.get("start_date"), query.get("end_date"), now)
    return RequestFilters(
        service_codes=codes,
        statuses=frozenset() if statuses == set(_STATUSES) else statuses,
        start=start,
        end=end,
        bbox=box,
        page=_positive_int("page", query.get("page"), 1, 1_000_000),
        page_size=_positive_int("page_size", query.get("page_size"), MAX_PAGE_SIZE, MAX_PAGE_SIZE),
        extensions=with_extensions,
    )


def parse_attributes(fields: Iterable[tuple[str, str]]) -> dict[str, Answer]:
    """`attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2` as answers by code.

    Empty values count as not given; a code sent more than once collects a list.
    """
    answers: dict[str, Answer] = {}
    malformed = []
    for name, value in fields:
        if not name.startswith("attribute"):
            continue
        match = _ATTRIBUTE.fullmatch(name)
        if match is None:
            malformed.append(name)
            continue
        code, as_list = match.group(1), bool(match.group(2))
        if not value.strip():
            continue
        previous = answers.get(code)
        if previous is None:
            answers[code] = [value] if as_list else value
        else:
            answers[code] = [*([previous] if isinstance(previous, str) else previous), value]
    if malformed:
        raise bad_request(
            *(
                f"{name}: write attributes as attribute[code]=value, or attribute[code][]=value "
                "once per chosen value of a multivaluelist."
                for name in malformed
            )
        )
    return answers


@dataclass(frozen=True, kw_only=True)
class NewRequest(FlatReport):
    """POST requests in our terms. device_id and account_id are not kept: we need neither."""

    service_code: str
    media_url_given: bool = False

    def submission(self, language: Language, client_id: str) -> Submission:
        return submission_from(self, self.service_code, language, client_id)


def parse_new_request(fields: list[tuple[str, str]]) -> NewRequest:
    """The form of POST requests (its file parts left out); all problems are told at once."""
    first: dict[str, str] = {}
    for name, value in fields:
        first.setdefault(name, value)

    def get(name: str) -> str | None:
        return _given(first.get(name))

    problems: list[str] = []
    service_code = get("service_code")
    if service_code is None:
        problems.append("service_code: choose one of the codes that services.json lists.")
    if (get("lat") is None) != (get("long") is None):
        problems.append(f"{'long' if get('long') is None else 'lat'}: send lat and long together.")
    lat = _coordinate(get("lat"), "lat", 90, problems)
    lon = _coordinate(get("long"), "long", 180, problems)
    if get("address_id") and lat is None and get("address_string") is None:
        problems.append(
            "address_id: this server has no address register; send lat and long "
            "or an address_string instead."
        )
    email = _email(get("email"), problems)
    full_name = " ".join(part for part in (get("first_name"), get("last_name")) if part) or None
    if full_name is not None and len(full_name) > NAME_MAX_LENGTH:
        problems.append(f"first_name, last_name: please shorten to {NAME_MAX_LENGTH} characters.")
    phone = get("phone")
    if phone is not None and len(phone) > PHONE_MAX_LENGTH:
        problems.append(f"phone: please shorten to {PHONE_MAX_LENGTH} characters.")
    try:
        answers = parse_attributes(fields)
    except Open311Error as error:
        problems.extend(error.descriptions)
        answers = {}
    if problems:
        raise bad_request(*problems)
    assert service_code is not None
    return NewRequest(
        service_code=service_code,
        description=first.get("description", ""),
        lat=lat,
        lon=lon,
        address=get("address_string"),
        answers=answers,
        email=email,
        name=full_name,
        phone=phone,
        media_url_given=get("media_url") is not None,
    )


def _coordinate(value: str | None, name: str, limit: float, problems: list[str]) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or abs(number) > limit:
        problems.append(f"{name}: give a number from -{limit:g} to {limit:g} (WGS84 degrees).")
        return None
    return number


def _email(value: str | None, problems: list[str]) -> str | None:
    if value is None:
        return None
    try:
        return validate_email(value)[1]
    except PydanticCustomError:
        problems.append("email: this is not an e-mail address we can write to.")
        return None
