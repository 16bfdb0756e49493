"""What the pages read of the fleet service: its published HTTP read API (emptying plans, road
condition layers), asked server-side, with the signed-in staff member's own token."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx

# Fleet's HTTP contract (docs/operations.md, "The fleet service"); the paths its Ingress serves.
PLAN_PATH = "/api/v1/containers/emptying-plan"
STAFF_LAYER_PATH = "/api/v1/road/conditions"
PUBLIC_LAYER_PATH = "/road/conditions.geojson"
# Bounded before it is parsed: 10,000 road pieces with their evidence are about 6 MB.
MAX_ANSWER_BYTES = 16 * 1024 * 1024


class FleetUnavailable(Exception):
    """The fleet service did not answer usefully: down, too slow, failing or oversized."""


@dataclass(frozen=True)
class FleetAnswer:
    """Fleet's answer below 500: its status, media type and body, as fleet sent them."""

    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise FleetUnavailable(f"fleet answered no JSON: {error}") from error

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def detail(self) -> str:
        """Fleet's sentence about a refusal (the project's error shape), else nothing."""
        try:
            body = json.loads(self.body)
        except ValueError:
            return ""
        return str(body.get("detail", "")) if isinstance(body, dict) else ""


# Runtime-checkable: Litestar checks injected dependencies against their annotation.
@runtime_checkable
class FleetReader(Protocol):
    async def get(
        self, path: str, params: Mapping[str, str], token: str | None = None
    ) -> FleetAnswer:
        """Fleet's answer to a GET; raises FleetUnavailable when there is none to show."""
        ...


class HttpFleetReader:
    def __init__(
        self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # Tests hand in an ASGI or mock transport; production uses the network.
        self.transport = transport

    async def get(
        self, path: str, params: Mapping[str, str], token: str | None = None
    ) -> FleetAnswer:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        try:
            async with (
                httpx.AsyncClient(
                    base_url=self.base_url, timeout=self.timeout, transport=self.transport
                ) as client,
                client.stream("GET", path, params=dict(params), headers=headers) as response,
            ):
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise FleetUnavailable(f"fleet's answer exceeds {MAX_ANSWER_BYTES} bytes")
        except httpx.HTTPError as error:
            raise FleetUnavailable(f"fleet did not answer: {error!r}") from error
        if response.status_code >= 500:
            raise FleetUnavailable(f"fleet answered {response.status_code}")
        media = response.headers.get("content-type", "application/octet-stream")
        return FleetAnswer(response.status_code, media, bytes(body))
