"""Open311 documents as XML: the JSON shapes written with ElementTree, named as the spec names them.

The spec's JSON is a mapping of its XML (the "Spark convention"): a list becomes a container
element holding one child per item, an empty or missing value becomes an empty element.
"""

import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

# The element name of the items inside each list, by the list's own name.
ITEM_NAMES: Mapping[str, str] = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "status_notes": "status_note",
    "photos": "photo",
    # Known works (Baustellen) of a report's extended attributes: "works" is its own singular.
    "works": "works",
}

# Characters XML 1.0 cannot carry at all; a citizen's text may contain them (pasted from
# somewhere), and one would make the whole document unreadable for every client.
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_xml(root: str, content: Any) -> bytes:
    """`content` (a list or mapping of the JSON answer) as a UTF-8 XML document under `root`."""
    element = ElementTree.Element(root)
    _fill(element, content)
    ElementTree.indent(element)
    body = ElementTree.tostring(element, encoding="unicode", short_empty_elements=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode() + b"\n"


def _fill(element: ElementTree.Element, content: Any) -> None:
    if content is None:
        return
    if isinstance(content, Mapping):
        for name, value in content.items():
            _fill(ElementTree.SubElement(element, name), value)
    elif isinstance(content, list | tuple):
        item_name = ITEM_NAMES.get(element.tag)
        if item_name is None:
            raise ValueError(f"No XML item name is defined for the list {element.tag!r}.")
        for item in content:
            _fill(ElementTree.SubElement(element, item_name), item)
    elif isinstance(content, bool):
        element.text = "true" if content else "false"
    else:
        element.text = _NOT_IN_XML.sub("", str(content))
