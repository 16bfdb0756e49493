"""Property-based fuzzing of the public HTTP API from its own OpenAPI document (schemathesis).

Every check schemathesis has runs on every answer: no server error, every status and body as
documented, schema-valid requests accepted and schema-invalid ones refused, methods and auth as
declared. Bounded per operation and derandomized, so it fits `make test` on a small machine.
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.openapi import from_url
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.formats import unregister_string_format

from tests.conftest import LocalSystem

pytestmark = pytest.mark.e2e
# Per operation and mode; both modes of all operations take about a minute on two cores.
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
EXAMPLES = {POSITIVE: 8, NEGATIVE: 6}

# A schema-valid request may still be refused for a reason of the domain, which the operation
# documents in the description of that status. Schemathesis' own default for
# positive_data_acceptance (2xx, 3xx, 401, 403, 404, 409, 429, 5xx) covers the rest.
DOMAIN_REFUSALS: dict[str, dict[str, str]] = {
    "POST /api/v1/reports": {
        "400": "a category not offered, a place outside the city, a required answer missing",
        "422": "an answer says there is danger: the report is stopped with advice",
    },
    "POST /api/v1/reports/form": {
        "400": "as POST /reports, or `answers` that are not a JSON object",
        "422": "an answer says there is danger: the report is stopped with advice",
    },
    "GET /api/v1/reports": {"400": "a cursor not from a page, a jurisdiction not served"},
    "GET /api/v1/statistics": {"400": "`from` after `to`"},
    "GET /api/v1/works": {
        "400": "a bbox not of four numbers, a day that does not exist, `until` before `from`"
    },
    "POST /api/v1/alerts": {"400": "both or neither of place and district, outside the city"},
    "POST /api/v1/push/subscriptions": {"400": "not a push service's URL, not a P-256 key"},
    "PUT /api/v1/apps/webhook": {"400": "not an absolute https:// URL"},
}
DEFAULT_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


# JSON Schema's `email` format allows reserved domains such as .test; the API refuses them, as
# each 400 description with an `email` says. Valid data means addresses that can receive mail.
DELIVERABLE_EMAILS = st.from_regex(r"\A[a-z0-9]{1,20}@[a-z0-9]{1,20}\.(de|org|com)\Z")


def fuzz_config() -> SchemathesisConfig:
    operations = [
        {
            "include-name": name,
            "checks": {
                "positive_data_acceptance": {"expected-statuses": [*DEFAULT_ACCEPTED, *refusals]}
            },
        }
        for name, refusals in DOMAIN_REFUSALS.items()
    ]
    return SchemathesisConfig.from_dict({"operations": operations})


def fuzz(operation: Any, mode: schemathesis.GenerationMode) -> str | None:
    """None when every example passed, else the first failure, described."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate()  # no `checks`: every check the config enables, i.e. all

    try:
        run()
    except FailureGroup as failure:  # one error describing every failed check
        return f"{mode.value} {operation.method.upper()} {operation.path}: {failure}"
    except Unsatisfiable:
        # An operation without parameters or body has nothing that could be made invalid.
        if mode is POSITIVE:
            raise
    return None


Operation = APIOperation[Any, Any, Any, Any]


def readable(result: Ok[Operation] | Err[InvalidSchema]) -> Operation:
    """The operation, or the test fails with why schemathesis could not read it."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def disabled_checks(schema: Any) -> list[str]:
    load_all_checks()
    config = schema.config.checks_config_for()
    return [name for name in CHECKS.get_all_names() if not config.get_by_name(name=name).enabled]


def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    running_system: LocalSystem, request: pytest.FixtureRequest
) -> None:
    schema = from_url(f"{running_system.reports_url}/schema/openapi.json", config=fuzz_config())
    schemathesis.openapi.format("email", DELIVERABLE_EMAILS)
    request.addfinalizer(lambda: unregister_string_format("email"))
    assert disabled_checks(schema) == []
    operations = [readable(result) for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operations"

    failures = [
        failure
        for operation in operations
        for mode in EXAMPLES
        if (failure := fuzz(operation, mode))
    ]

    assert not failures, "\n\n".join(failures)
