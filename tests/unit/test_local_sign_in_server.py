"""The local stack starts its OpenID Provider beside the services and points the reports
service's staff sign-in at it, on ports that shift with the test profile's offset."""

from pathlib import Path

from tests.system import load_stack

stack = load_stack()


def profile(name: str, shift: int = 0) -> object:
    base = stack.PROFILES[name]
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    ports = {f: v + shift for f, v in fields.items() if f.endswith("_port")}
    return stack.Profile(**{**fields, **ports, "state_dir": Path("/tmp/unused")})


def test_the_test_stack_signs_staff_in_at_its_own_provider_shifted_by_the_offset() -> None:
    shifted = profile("test", shift=3200)
    oidc = stack.components(shifted, {})["oidc"]

    env = stack.service_environment(shifted, {})

    # The test profile is itself shifted by STADTMELDER_TEST_PORT_OFFSET when that is set.
    reports_port = stack.PROFILES["test"].reports_port + 3200
    assert oidc.port == reports_port + 10
    assert env["REPORTS_OIDC_ISSUER"] == f"http://127.0.0.1:{oidc.port}"
    assert env["REPORTS_OIDC_CLIENT_ID"] == "stadtmelder-local"
    assert env["REPORTS_STAFF_DEVELOPMENT_TOKENS"] == "true"
    assert "--client-base" in oidc.argv
    assert oidc.argv[oidc.argv.index("--client-base") + 1] == f"http://127.0.0.1:{reports_port}"
    assert stack.ORDER.index("oidc") < stack.ORDER.index("reports")


def test_make_run_pointed_at_the_citys_provider_starts_no_local_one() -> None:
    city = {"REPORTS_OIDC_ISSUER": "https://login.duisburg.example/realms/stadt"}
    run = stack.PROFILES["run"]

    env = stack.service_environment(run, city)

    assert stack.components(run, city)["oidc"].replaced_by == "REPORTS_OIDC_ISSUER"
    assert env["REPORTS_OIDC_ISSUER"] == city["REPORTS_OIDC_ISSUER"]
    assert "REPORTS_OIDC_CLIENT_ID" not in env
