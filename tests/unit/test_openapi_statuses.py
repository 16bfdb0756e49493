"""The OpenAPI document names every error status an operation can answer, in the error shape."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar

from stadtmelder_reports.app import build_app
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings

ERROR_FIELDS = {"status_code", "code", "detail", "errors"}


@asynccontextmanager
async def nothing(_: Litestar) -> AsyncIterator[None]:
    yield


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = build_app(nothing, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(20))
    return app.openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "delete", "patch"}
    }


def statuses(document: dict[str, Any], name: str) -> set[int]:
    return {int(status) for status in operations(document)[name]["responses"]}


def error_schema(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    reference = response["content"]["application/json"]["schema"]["$ref"]
    schema: dict[str, Any] = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    return schema


def test_a_new_report_declares_refusal_duplicates_size_danger_rate_and_database(
    document: dict[str, Any],
) -> None:
    for name in ("POST /api/v1/reports", "POST /api/v1/reports/form"):
        assert statuses(document, name) >= {201, 400, 409, 413, 422, 429, 503}, name


def test_the_outside_the_city_refusal_is_stated_in_the_document(document: dict[str, Any]) -> None:
    refused = operations(document)["POST /api/v1/reports"]["responses"]["400"]["description"]

    assert "outside the city" in refused
    assert "GET /api/v1/categories" in refused


def test_the_danger_answer_is_declared_with_its_advice(document: dict[str, Any]) -> None:
    stopped = operations(document)["POST /api/v1/reports"]["responses"]["422"]

    assert {"question", "advice", "advice_text"} <= set(
        error_schema(document, stopped)["properties"]
    )


def test_every_staff_operation_declares_sign_in_and_permission(document: dict[str, Any]) -> None:
    staff = [name for name in operations(document) if " /api/v1/staff/" in name]

    assert len(staff) == 12
    for name in staff:
        assert statuses(document, name) >= {401, 403, 503}, name


def test_every_operation_with_a_body_declares_413(document: dict[str, Any]) -> None:
    with_body = [name for name, op in operations(document).items() if "requestBody" in op]

    assert "PUT /api/v1/apps/webhook" in with_body
    for name in with_body:
        assert 413 in statuses(document, name), name


def test_every_operation_with_a_key_in_its_path_declares_404(document: dict[str, Any]) -> None:
    keyed = [
        name
        for name in operations(document)
        if ("{" in name and "/staff/" not in name) or "{report_id}" in name
    ]

    assert len(keyed) >= 20
    for name in keyed:
        assert 404 in statuses(document, name), name


def test_every_error_answer_has_the_error_shape(document: dict[str, Any]) -> None:
    for name, operation in operations(document).items():
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            fields = set(error_schema(document, response)["properties"])
            assert fields >= ERROR_FIELDS, f"{name} {status}"
            assert response["description"].strip(), f"{name} {status}"


def test_rate_limited_operations_declare_429(document: dict[str, Any]) -> None:
    for name in (
        "POST /api/v1/reports",
        "POST /api/v1/reports/form",
        "POST /api/v1/reports/{report_id}/support",
        "POST /api/v1/alerts",
    ):
        assert 429 in statuses(document, name), name


def test_body_routes_state_the_bounds_a_body_is_held_to(document: dict[str, Any]) -> None:
    responses = operations(document)["POST /api/v1/reports/{report_id}/support"]["responses"]

    assert "64 KB" in responses["413"]["description"]
    assert "32 levels" in responses["400"]["description"]


def test_routes_that_read_their_body_themselves_still_document_it(
    document: dict[str, Any],
) -> None:
    feedback = operations(document)["POST /api/v1/feedback/{token}"]["requestBody"]
    preferences = operations(document)["POST /api/v1/notifications/preferences/{token}"]

    assert feedback["required"] is True
    assert set(feedback["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert feedback["content"]["application/json"]["schema"]["required"] == ["outcome"]
    assert (
        "language"
        in preferences["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )


def test_list_query_parameters_are_arrays_never_null(document: dict[str, Any]) -> None:
    parameters = operations(document)["GET /api/v1/reports"]["parameters"]
    category = next(p for p in parameters if p["name"] == "category")

    assert category["schema"] == {"type": "array", "items": {"type": "string"}}
