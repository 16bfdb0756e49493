"""Property-based fuzzing of the public HTTP API from its own OpenAPI document (schemathesis).

Every generated request must get an answer without a server error, and every answer must match
the documented schema. Bounded per operation so it fits CI.
"""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    FailureGroup,
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.openapi import from_url

from tests.conftest import LocalSystem

pytestmark = pytest.mark.e2e
EXAMPLES_PER_OPERATION = 12
# Server errors and answers that contradict the documented schema. Not "schema-valid input must
# be accepted": a bbox or cursor can be a valid string and still mean nothing, and gets a 400.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def fuzz(operation: Any) -> str | None:
    """None when every example passed, else the first failure, described."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except FailureGroup as failure:  # one error describing every failed check
        return f"{operation.method.upper()} {operation.path}: {failure}"
    return None


def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    running_system: LocalSystem,
) -> None:
    schema = from_url(f"{running_system.reports_url}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operations"

    failures = [failure for operation in operations if (failure := fuzz(operation))]

    assert not failures, "\n\n".join(failures)
