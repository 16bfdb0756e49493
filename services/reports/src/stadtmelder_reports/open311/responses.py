"""Open311 answers in the format the path asks for: `.json` or `.xml` after the resource."""

import json
from typing import Any, Literal

from litestar import Response

from stadtmelder_reports.open311.xml import render_xml

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json; charset=utf-8",
    # Litestar adds "; charset=utf-8" to text types itself.
    "xml": "text/xml",
}


def format_of(path: str) -> Format:
    """The format a path asks for; JSON when it names none we serve (errors need some format)."""
    return "xml" if path.endswith(".xml") else "json"


def open311_response(
    content: Any, format: Format, root: str, status_code: int = 200
) -> Response[bytes]:
    """`content` as JSON, or as XML under the `root` element the spec names."""
    if format == "xml":
        body = render_xml(root, content)
    else:
        body = json.dumps(content, ensure_ascii=False).encode()
    return Response(body, status_code=status_code, media_type=MEDIA_TYPES[format])
