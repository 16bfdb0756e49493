"""Request spans name the route, never the path: tracking tokens and signed mail links stay out
of trace files."""

from pathlib import Path

from litestar import Litestar, delete, get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from stadtmelder_reports.http.observability import route_named_spans, tracing_plugin
from stadtmelder_shared.link_tokens import LinkPurpose, link_token
from stadtmelder_shared.tracing import UNROUTED, JsonLinesSpanExporter, http_span_details

TRACKING_TOKEN = "bcA5hULjzy3W6NmnnGy9cybUI_YEl6pH"
LINK = link_token(b"secret", LinkPurpose.ERASURE, "ABCDE-12345", "ab" * 32)


@delete("/api/v1/track/{token:str}/contact", status_code=200)
async def erase_contact(token: FromPath[str]) -> dict[str, str]:
    return {"erased": token[:2]}


@get("/api/v1/erasure/{token:str}")
async def erasure_link(token: FromPath[str]) -> dict[str, str]:
    return {"opened": token[:2]}


async def test_request_spans_carry_the_route_template_and_no_token(tmp_path: Path) -> None:
    traces = tmp_path / "reports-1.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(traces)))
    app = Litestar(
        [erase_contact, erasure_link],
        plugins=[tracing_plugin(provider)],
        middleware=[route_named_spans],
    )

    async with AsyncTestClient(app) as client:
        erased = await client.delete(f"/api/v1/track/{TRACKING_TOKEN}/contact?from=mail")
        opened = await client.get(f"/api/v1/erasure/{LINK}")
    assert (erased.status_code, opened.status_code) == (200, 200)

    written = traces.read_text()
    assert written.count('"kind": "SERVER"') == 2, written
    assert TRACKING_TOKEN not in written
    assert LINK not in written
    assert LINK.split(".")[1] not in written  # the recipient key inside the link
    assert '"name": "DELETE /api/v1/track/{token}/contact"' in written
    assert '"http.target": "/api/v1/erasure/{token}"' in written


def test_a_request_without_a_route_is_shown_as_unrouted() -> None:
    scope = {"type": "http", "method": "GET", "path": f"/track/{TRACKING_TOKEN}", "scheme": "http"}

    name, attributes = http_span_details(scope | {"server": ("127.0.0.1", 8000)})

    assert name == f"GET {UNROUTED}"
    assert attributes["http.url"] == f"http://127.0.0.1:8000{UNROUTED}"
    assert TRACKING_TOKEN not in str(attributes)
