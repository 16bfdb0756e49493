"""Refuses request bodies that are too large, too many-fielded or too deeply nested while they
arrive, so nothing ever parses a bomb: the handler's first read of the body raises instead."""

import re
from dataclasses import dataclass
from typing import Protocol

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.params import BodyKwarg
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

# The multipart parser Litestar runs on form bodies (a dependency of Litestar): watching the
# body with the same parser sees the same parts, file names and text fields it will.
from multipart import (  # type: ignore[import-untyped]
    MultipartSegment,
    ParserError,
    PushMultipartParser,
)

from stadtmelder_reports.core.domain import MAX_PHOTOS
from stadtmelder_reports.errors import ClientDisconnected, RequestTooComplex, RequestTooLarge

# JSON and url-encoded bodies of this API are a few KB: a report's texts are at most 4000
# characters, and even escaped as \uXXXX that stays far below this.
MAX_BODY_BYTES = 64 * 1024
# A report has about a dozen fields, plus one per answer; Open311 one per attribute value.
MAX_FIELDS = 100
MAX_JSON_DEPTH = 32
# A text part of a multipart form (a description, the answers as JSON) is held in memory and
# parsed on the event loop; the largest a report needs is a few KB.
MAX_TEXT_PART_BYTES = 64 * 1024
# Routes that take photos, and so multipart bodies at the photo limit. Every other body,
# multipart included, is held to MAX_BODY_BYTES. A test checks that each of these exists.
PHOTO_ROUTES = frozenset(
    {
        ("POST", "/api/v1/reports/form"),
        ("POST", "/open311/v2/requests.json"),
        ("POST", "/open311/v2/requests.xml"),
        ("POST", "/report"),
    }
)
MULTIPART = "multipart/form-data"
URL_ENCODED = "application/x-www-form-urlencoded"
JSON = "application/json"


def photo_body_bytes(max_photo_bytes: int) -> int:
    """The most photos a report may carry at the per-photo limit, plus the form's text fields."""
    return MAX_PHOTOS * max_photo_bytes + 1024 * 1024


class BodyScanner(Protocol):
    def feed(self, chunk: bytes) -> None:
        """Look at the next piece of the body; raise RequestTooComplex once over a limit."""
        ...


class FieldCounter:
    """Url-encoded fields are separated by `&`: counting them needs no parsing."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._fields = 1

    def feed(self, chunk: bytes) -> None:
        self._fields += chunk.count(b"&")
        if self._fields > self._limit:
            raise RequestTooComplex(
                f"The form has more than {self._limit} fields; a report needs far fewer. "
                "Send only the fields the API describes."
            )


class PartCounter:
    """Follows multipart parts with the parser Litestar itself runs on them, counting parts and
    the size of each text part: a text part is read whole into memory (and `answers` parsed as
    JSON), so only file parts, which go to disk, may be large."""

    def __init__(self, boundary: bytes, limit: int, text_bytes: int = MAX_TEXT_PART_BYTES) -> None:
        self._parser: PushMultipartParser | None = PushMultipartParser(boundary)
        self._limit = limit
        self._text_bytes = text_bytes
        self._parts = 0
        self._is_text = False
        self._text = 0
        self._name = ""

    def feed(self, chunk: bytes) -> None:
        if self._parser is None:
            return
        try:
            for piece in self._parser.parse(chunk):
                if isinstance(piece, MultipartSegment):
                    self._begin(piece)
                elif piece and self._is_text:
                    self._text += len(piece)
                    if self._text > self._text_bytes:
                        raise RequestTooComplex(
                            f"The form field {_shown(self._name)} is longer than "
                            f"{self._text_bytes // 1024} KB; only photos may be that large."
                        )
        except ParserError:
            # Malformed: Litestar's own parse of it refuses the request with a 400.
            self._parser = None

    def _begin(self, segment: MultipartSegment) -> None:
        self._parts += 1
        if self._parts > self._limit:
            raise RequestTooComplex(
                f"The form has more than {self._limit} parts; send at most {MAX_PHOTOS} photos "
                "and the report's fields."
            )
        # Litestar reads a part with an empty file name as text, as the parser does.
        self._is_text = not segment.filename
        self._name = str(segment.name)
        self._text = 0


def _shown(name: str) -> str:
    return repr(name[:40])


_JSON_STRUCTURE = re.compile(rb'[\[\]{}"\\]')
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


class JsonDepth:
    """Counts open brackets outside strings, as a JSON parser would nest, without parsing."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._depth = 0
        self._in_string = False
        self._escaped = False

    def feed(self, chunk: bytes) -> None:
        # The position of a character escaped by a backslash: it neither ends nor starts a string.
        skip = 0 if self._escaped else -1
        self._escaped = False
        for match in _JSON_STRUCTURE.finditer(chunk):
            at = match.start()
            if at == skip:
                continue
            char = chunk[at]
            if self._in_string:
                if char == _BACKSLASH:
                    skip = at + 1
                    self._escaped = skip == len(chunk)
                elif char == _QUOTE:
                    self._in_string = False
            elif char == _QUOTE:
                self._in_string = True
            elif char in _OPENERS:
                self._depth += 1
                if self._depth > self._limit:
                    raise RequestTooComplex(
                        f"The JSON is nested more than {self._limit} levels deep; no request "
                        "of this API needs that. Send the object the API describes."
                    )
            elif char in _CLOSERS:
                self._depth -= 1


@dataclass(frozen=True)
class BodyLimits:
    photo_body_bytes: int
    body_bytes: int = MAX_BODY_BYTES
    fields: int = MAX_FIELDS
    json_depth: int = MAX_JSON_DEPTH


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    media_type, *parameters = content_type.split(";")
    options = {}
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        options[key.strip().lower()] = value.strip().strip('"')
    return media_type.strip().lower(), options


def _parsed_as(scope: Scope, declared: str) -> str:
    """How the route will parse the body. A handler's `data` is parsed as its `Body` says (JSON
    unless it names a form encoding) whatever Content-Type the client declared; a handler that
    reads `request.form()` or the raw body itself goes by the declared type."""
    data = getattr(scope.get("route_handler"), "parsed_data_field", None)
    if data is None:
        return declared
    body = data.kwarg_definition
    if isinstance(body, BodyKwarg) and body.media_type in (MULTIPART, URL_ENCODED):
        return MULTIPART if body.media_type == MULTIPART else URL_ENCODED
    return JSON


class BodyWatch:
    """One request's body as it arrives: its size so far and the scanner for its kind."""

    def __init__(self, scope: Scope, receive: Receive, limits: BodyLimits) -> None:
        self._receive = receive
        declared, options = _media_type(_header(scope, b"content-type"))
        media_type = _parsed_as(scope, declared)
        route = (scope.get("method", ""), scope.get("path_template", ""))
        boundary = options.get("boundary", "")
        takes_photos = media_type == MULTIPART and bool(boundary) and route in PHOTO_ROUTES
        self._max_bytes = limits.photo_body_bytes if takes_photos else limits.body_bytes
        self._announced = _header(scope, b"content-length")
        self._received = 0
        self._complete = False
        self._scanner: BodyScanner
        if media_type == URL_ENCODED:
            self._scanner = FieldCounter(limits.fields)
        elif media_type == MULTIPART and boundary:
            self._scanner = PartCounter(boundary.encode("latin-1"), limits.fields)
        else:
            # Litestar reads a JSON body whatever its declared type, so any other body is JSON.
            self._scanner = JsonDepth(limits.json_depth)

    async def receive(self) -> ReceiveMessage:
        if not self._received and self._announced.isdigit():
            self._check_size(int(self._announced))
        message = await self._receive()
        if message["type"] == "http.disconnect" and not self._complete:
            raise ClientDisconnected(
                "The client closed the connection before its request was complete."
            )
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self._received += len(chunk)
            self._check_size(self._received)
            self._scanner.feed(chunk)
            self._complete = not message.get("more_body", False)
        return message

    def _check_size(self, size: int) -> None:
        if size > self._max_bytes:
            raise RequestTooLarge(
                f"The request body may be at most {_readable(self._max_bytes)} here, and this "
                "one is larger. Shorten it; photos go only to the forms that take them, "
                f"at most {MAX_PHOTOS}."
            )


def _readable(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


class RequestLimits(ASGIMiddleware):
    """Wraps `receive` of every HTTP request; requests whose handlers never read a body pay
    nothing."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, limits: BodyLimits) -> None:
        self.limits = limits

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await next_app(scope, BodyWatch(scope, receive, self.limits).receive, send)
