"""Where the jurisdiction's district outlines are: routing decides with them, alerts match them."""

from pathlib import Path

DEFAULT_AREAS_FILE = Path(__file__).parent / "jurisdictions" / "duisburg" / "areas.geojson"
