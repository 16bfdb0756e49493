"""Liveness and readiness of the reports service for Kubernetes' probes."""

from typing import Any

from litestar import Controller, Request, Response, get


class HealthController(Controller):
    path = "/health"
    include_in_schema = False

    @get("/live")
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready")
    async def ready(self, request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        checks = await request.app.state.readiness()
        ok = all(value == "ok" for value in checks.values())
        body = {"status": "ok" if ok else "unavailable", **checks}
        return Response(body, status_code=200 if ok else 503)
