"""Refuses a submission before its body is read when its client is over its limit or names an
unknown API key: such a client costs no reading and no parsing.

The handlers still count each submission they accept; this guard only looks (see
`SubmissionLimiter.refuse_if_exhausted`). The web pages are left out: they answer a client over
its limit with the form and what was typed, which needs the body.
"""

from collections.abc import Callable
from typing import Any, cast

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import client_address
from stadtmelder_reports.integrations.api_keys import ApiKeyStore
from stadtmelder_reports.open311.errors import forbidden

AnyConnection = ASGIConnection[Any, Any, Any, Any]


def _address(connection: AnyConnection) -> str:
    return client_address(cast("Request[Any, Any, Any]", connection))


def _alerts_address(connection: AnyConnection) -> str:
    return f"alerts:{_address(connection)}"


# Routes that count submissions per client address, with the key their handler counts under.
# Keyed by the path template as Litestar puts it in the scope: parameters without their types.
ADDRESS_COUNTED: dict[tuple[str, str], Callable[[AnyConnection], str]] = {
    ("POST", "/api/v1/reports"): _address,
    ("POST", "/api/v1/reports/form"): _address,
    ("POST", "/api/v1/reports/{report_id}/support"): _address,
    ("POST", "/api/v1/alerts"): _alerts_address,
}
# Open311 counts per API key; a key in the query can be checked before the body arrives, and
# the handler, too, prefers it to one in the body, so the guard refuses only what it would.
KEY_COUNTED = frozenset(
    {("POST", "/open311/v2/requests.json"), ("POST", "/open311/v2/requests.xml")}
)


async def refuse_before_body(connection: AnyConnection, _: BaseRouteHandler) -> None:
    route = (str(connection.scope.get("method", "")), connection.scope.get("path_template", ""))
    limiter: SubmissionLimiter = connection.app.state.limiter
    if (key_of := ADDRESS_COUNTED.get(route)) is not None:
        await limiter.refuse_if_exhausted(key_of(connection))
    elif route in KEY_COUNTED and (api_key := connection.query_params.get("api_key")):
        api_keys: ApiKeyStore = connection.app.state.api_keys
        client = await api_keys.authenticate(api_key)
        if client is None:
            raise forbidden("api_key: missing or not valid; ask the operators for a key.")
        await limiter.refuse_if_exhausted(f"api:{client.id}", client.submissions_per_minute)
