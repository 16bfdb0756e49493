"""Open311 GeoReport v2: the form of the service request and what counts as delivered."""

from urllib.parse import parse_qs

import httpx
import pytest

from stadtmelder_routing.sending.methods import PermanentSendError, SendError
from stadtmelder_routing.sending.open311 import Open311Sender, open311_form
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.work_item_events import WorkItemQueued
from tests.sending_fakes import a_work_item

METHOD = SendMethod(
    "open311",
    url="https://backoffice.example/open311/v2/requests.json",
    service_code="LIGHT-01",
    secret_env="BACKOFFICE_API_KEY",
)


def a_sender(respond: httpx.Response, requests: list[httpx.Request]) -> Open311Sender:
    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return respond

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return Open311Sender(client, environ={"BACKOFFICE_API_KEY": "key-123"})


def test_form_holds_service_code_place_description_and_attributes() -> None:
    form = open311_form(a_work_item(), "LIGHT-01")

    assert form == [
        ("service_code", "LIGHT-01"),
        ("lat", "51.434408"),
        ("long", "6.762329"),
        ("address_string", "Königstraße 12, 47051 Duisburg"),
        (
            "description",
            "Laterne vor Hausnummer 12 ist seit Tagen dunkel.\n\n(Stadtmelder-Meldung R7KQ2M9XA)",
        ),
        ("attribute[height_m]", "6.5"),
        ("attribute[lamp_state][]", "dark"),
        ("attribute[lamp_state][]", "flickering"),
        ("attribute[pole_number]", "DU-4711"),
    ]


def test_form_without_place_leaves_out_coordinates_and_keeps_description_in_limit() -> None:
    item = WorkItemQueued.model_validate(
        a_work_item().model_dump() | {"location": None, "address": None, "description": "x" * 5000}
    )

    fields = dict(open311_form(item, "LIGHT-01"))

    assert "lat" not in fields
    assert "long" not in fields
    assert "address_string" not in fields
    assert len(fields["description"]) == 4000
    assert fields["description"].endswith("(Stadtmelder-Meldung R7KQ2M9XA)")


async def test_request_is_form_encoded_with_the_api_key_and_returns_the_request_id() -> None:
    requests: list[httpx.Request] = []
    sender = a_sender(httpx.Response(201, json=[{"service_request_id": "BO-991"}]), requests)

    receipt = await sender.send(a_work_item(), METHOD)

    assert receipt == "BO-991"
    [request] = requests
    assert request.method == "POST"
    assert str(request.url) == METHOD.url
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(request.content.decode())
    assert form["api_key"] == ["key-123"]
    assert form["service_code"] == ["LIGHT-01"]
    assert form["attribute[lamp_state][]"] == ["dark", "flickering"]


async def test_a_deferred_answer_with_a_token_counts_as_delivered() -> None:
    sender = a_sender(httpx.Response(200, json=[{"token": "tok-5"}]), [])

    assert await sender.send(a_work_item(), METHOD) == "tok-5"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json=[{"service_notice": "thanks"}]),
        httpx.Response(200, text="<html>ok</html>"),
        httpx.Response(400, json=[{"code": 400, "description": "service_code not found"}]),
        httpx.Response(403, json=[{"code": 403, "description": "api_key invalid"}]),
    ],
)
async def test_answers_that_retrying_cannot_fix_are_permanent(response: httpx.Response) -> None:
    with pytest.raises(PermanentSendError):
        await a_sender(response, []).send(a_work_item(), METHOD)


async def test_server_errors_are_retryable() -> None:
    with pytest.raises(SendError) as raised:
        await a_sender(httpx.Response(503), []).send(a_work_item(), METHOD)
    assert not isinstance(raised.value, PermanentSendError)


async def test_method_without_service_code_is_a_permanent_failure() -> None:
    method = SendMethod("open311", url=METHOD.url)

    with pytest.raises(PermanentSendError, match="no service_code configured"):
        await a_sender(httpx.Response(201), []).send(a_work_item(), method)
