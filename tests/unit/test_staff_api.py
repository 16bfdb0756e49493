"""The staff API with in-memory stores: the authorization matrix and the work on a report."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.moderation.service import ModerationService
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, LocalKeys, Role, StaffMember, TokenVerifier
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared import topics
from stadtmelder_shared.departments import Department, load_directory
from stadtmelder_shared.event_values import Location, Reporter
from stadtmelder_shared.report_events import ReportRouted, ReportStatusChanged, ReportUnroutable
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
AUDIENCE = "stadtmelder-staff"
BASE = "/api/v1/staff"
ROADS, GREEN = "wbd-strasse", "wbd-gruen"
REPORTER_EMAIL = "anna@example.org"
REPORTER = Reporter(email=REPORTER_EMAIL, name="Anna Beispiel", phone="+49 203 1234567")


def known_department(department_id: str) -> Department:
    found = DIRECTORY.get(department_id)
    assert found is not None, department_id
    return found


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Staff:
    """The running app with its stores, and a signed token per kind of caller."""

    client: AsyncTestClient[Litestar]
    reports: InMemoryReportRepository
    audit: InMemoryAuditLog
    roster: InMemoryStaffRoster
    service: ReportService
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        token = self.tokens.get(caller)
        return {"authorization": f"Bearer {token}"} if token else {}

    async def get(self, caller: str, path: str, **params: Any) -> Any:
        return await self.client.get(f"{BASE}{path}", headers=self.headers(caller), params=params)

    async def post(self, caller: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await self.client.post(f"{BASE}{path}", headers=self.headers(caller), json=body)

    async def routed(self, category: str, department: str, hours_ago: float = 0) -> str:
        """A report of `category`, routed to `department` `hours_ago` hours before now."""
        self.clock.now -= timedelta(hours=hours_ago)
        try:
            new = await self.service.submit_report(
                Submission(
                    category,
                    "Etwas ist kaputt.",
                    Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]),
                    answers=valid_answers(DUISBURG.category(category)),
                    contact=REPORTER,
                )
            )
            report = new.report
            routed = ReportRouted(
                report_id=report.id,
                jurisdiction=report.jurisdiction,
                occurred_at=self.clock.now,
                category=report.category,
                department=known_department(department).ref(),
                rule="test",
                caused_by=report.pending_events[0][1].event_id,
            )
            await self.service.record_routing(routed)
        finally:
            self.clock.now += timedelta(hours=hours_ago)
        return report.id

    async def in_triage(self) -> str:
        new = await self.service.submit_report(
            Submission(
                "other",
                "Unklar, wer zuständig ist.",
                Location(lat=51.43, lon=6.76),
                contact=REPORTER,
            )
        )
        report = new.report
        await self.service.record_unroutable(
            ReportUnroutable(
                report_id=report.id,
                jurisdiction=report.jurisdiction,
                occurred_at=self.clock.now,
                category=report.category,
                department=DIRECTORY.triage.ref(),
                reason="no rule",
                caused_by=report.pending_events[0][1].event_id,
            )
        )
        return report.id

    def events(self, report_id: str, topic: str) -> list[Any]:
        return [e for t, e in self.reports.reports[report_id].pending_events if t == topic]


CALLERS: dict[str, tuple[str, list[Role], str | None]] = {
    "clerk_a": ("anna.clerk", ["clerk"], ROADS),
    "colleague_a": ("ben.clerk", ["clerk"], ROADS),
    "clerk_b": ("cem.clerk", ["clerk"], GREEN),
    "dispatcher": ("dora.dispatch", ["dispatcher"], None),
    "admin": ("ali.admin", ["admin"], None),
}


@pytest.fixture
async def staff(tmp_path: Path) -> AsyncIterator[Staff]:
    key_file = tmp_path / "staff-key.pem"
    key = ensure_signing_key(key_file)
    clock = Clock()
    reports, audit, roster = InMemoryReportRepository(), InMemoryAuditLog(), InMemoryStaffRoster()
    service = ReportService(
        reports, DUISBURG, clock=clock, directory=DIRECTORY, data_keys=InMemoryDataKeys()
    )
    work = WorkService(reports, audit, roster, DIRECTORY, DUISBURG.code, clock=clock)
    verifier = TokenVerifier(LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, DIRECTORY)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.work = work
        app.state.moderation = ModerationService(reports, audit, clock=clock)
        app.state.staff_verifier = verifier
        app.state.api_keys = None
        yield

    app = build_app(
        lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(100)
    )
    async with AsyncTestClient(app) as client:
        tokens = {
            name: issue_token(key, sub, roles, department, AUDIENCE, now=datetime.now(UTC))
            for name, (sub, roles, department) in CALLERS.items()
        }
        staff = Staff(client, reports, audit, roster, service, clock, tokens)
        # Staff become assignable once they have signed in.
        for sub, roles, department in CALLERS.values():
            await roster.remember(StaffMember(sub, frozenset(roles), department), clock.now)
        yield staff


# --- the authorization matrix -------------------------------------------------------------------

ANON, CITIZEN, CLERK_A, CLERK_B, DISPATCHER, ADMIN = (
    "anonymous",
    "citizen",
    "clerk_a",
    "clerk_b",
    "dispatcher",
    "admin",
)
CALLER_ORDER = (ANON, CITIZEN, CLERK_A, CLERK_B, DISPATCHER, ADMIN)


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # as Litestar lists it
    path: str  # {road} is a report of department A, {triage} one waiting in triage
    statuses: tuple[int, int, int, int, int, int]  # in CALLER_ORDER
    body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/me", "/me", (401, 401, 200, 200, 200, 200)),
    Endpoint(
        "GET",
        "/departments/{department_id:str}/queue",
        f"/departments/{ROADS}/queue",
        (401, 401, 200, 403, 200, 200),
    ),
    Endpoint("GET", "/triage", "/triage", (401, 401, 403, 403, 200, 200)),
    Endpoint("GET", "/reports/{report_id:str}", "/reports/{road}", (401, 401, 200, 404, 200, 200)),
    Endpoint(
        "GET",
        "/reports/{report_id:str}/contact",
        "/reports/{road}/contact",
        (401, 401, 200, 404, 200, 200),
    ),
    Endpoint(
        "POST",
        "/reports/{report_id:str}/claim",
        "/reports/{road}/claim",
        (401, 401, 200, 404, 403, 403),
    ),
    Endpoint(
        "POST",
        "/reports/{report_id:str}/assign",
        "/reports/{road}/assign",
        (401, 401, 200, 404, 200, 200),
        {"user_id": "ben.clerk"},
    ),
    Endpoint(
        "POST",
        "/reports/{report_id:str}/transitions",
        "/reports/{road}/transitions",
        (401, 401, 200, 404, 200, 200),
        {"to": "acknowledged", "public_comment": "Wir kümmern uns."},
    ),
    Endpoint(
        "POST",
        "/reports/{report_id:str}/transitions",
        "/reports/{triage}/transitions",
        (401, 401, 404, 404, 200, 200),
        {"to": "forwarded", "forward_to": ROADS, "reason": "Straßenschaden"},
    ),
    Endpoint(
        "POST",
        "/reports/{report_id:str}/comments",
        "/reports/{road}/comments",
        (401, 401, 201, 404, 201, 201),
        {"visibility": "internal", "text": "Kolonne 3 fragen"},
    ),
    Endpoint(
        "GET",
        "/reports/{report_id:str}/audit",
        "/reports/{road}/audit",
        (401, 401, 403, 404, 200, 200),
    ),
    Endpoint(
        "GET",
        "/reports/{report_id:str}/moderation",
        "/reports/{road}/moderation",
        (401, 401, 403, 403, 200, 200),
    ),
    Endpoint(
        "POST",
        "/reports/{report_id:str}/moderation",
        "/reports/{road}/moderation",
        (401, 401, 403, 403, 200, 200),
        {"action": "hide", "reason": "Beleidigung in der Beschreibung"},
    ),
]
MATRIX = [
    pytest.param(endpoint, caller, status, id=f"{endpoint}-{caller}")
    for endpoint in ENDPOINTS
    for caller, status in zip(CALLER_ORDER, endpoint.statuses, strict=True)
]


def test_every_staff_route_is_in_the_authorization_matrix(staff: Staff) -> None:
    app = staff.client.app
    routes = {
        (method, route.path.removeprefix(BASE))
        for route in app.routes
        if route.path.startswith(BASE)
        for method in route.methods
        if method not in {"OPTIONS", "HEAD"}
    }
    assert routes == {(e.method, e.route) for e in ENDPOINTS}


@pytest.mark.parametrize(("endpoint", "caller", "expected"), MATRIX)
async def test_authorization_matrix(
    staff: Staff, endpoint: Endpoint, caller: str, expected: int
) -> None:
    road = await staff.routed("road_damage", ROADS)
    triage = await staff.in_triage()
    citizen_token = (
        await staff.service.submit_report(
            Submission("street_light_out", "Laterne dunkel", Location(lat=51.43, lon=6.76))
        )
    ).tracking_token
    if caller == CITIZEN:
        staff.tokens[CITIZEN] = citizen_token
    path = endpoint.path.format(road=road, triage=triage)
    before = {
        rid: (r.status, r.assignee, len(r.comments)) for rid, r in staff.reports.reports.items()
    }

    if endpoint.method == "GET":
        response = await staff.get(caller, path)
    else:
        response = await staff.post(caller, path, endpoint.body)

    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    if expected >= 400:
        assert REPORTER.email not in response.text
        assert "Etwas ist kaputt" not in response.text
        after = {
            rid: (r.status, r.assignee, len(r.comments)) for rid, r in staff.reports.reports.items()
        }
        assert after == before, "a refused request changes nothing"
        assert staff.audit.entries == {}, "and records nothing, since nothing happened"
    else:
        assert staff.audit.entries or endpoint.method == "GET"


async def test_a_broken_expired_or_foreign_token_gets_401_with_a_bearer_challenge(
    staff: Staff, tmp_path: Path
) -> None:
    other_key = ensure_signing_key(tmp_path / "other.pem")
    sub, roles, department = CALLERS["clerk_a"]
    long_ago = datetime.now(UTC) - timedelta(hours=13)
    for token in (
        "not-a-jwt",
        issue_token(other_key, sub, roles, department, AUDIENCE),
        issue_token(other_key, sub, roles, department, AUDIENCE, now=long_ago),
    ):
        response = await staff.client.get(
            f"{BASE}/me", headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == (
            'Bearer realm="stadtmelder-staff", error="invalid_token"'
        )
        assert response.json()["code"] == "not_authenticated"


async def test_a_refused_request_is_answered_before_its_body_is_read(staff: Staff) -> None:
    road = await staff.routed("road_damage", ROADS)
    response = await staff.client.post(
        f"{BASE}/reports/{road}/transitions", content=b"{not json", headers={}
    )
    assert response.status_code == 401


async def test_me_names_the_roles_and_the_department(staff: Staff) -> None:
    body = (await staff.get(CLERK_A, "/me")).json()
    assert body == {
        "user_id": "anna.clerk",
        "roles": ["clerk"],
        "department": {"id": ROADS, "name": known_department(ROADS).name()},
    }


# --- working a report ---------------------------------------------------------------------------


async def test_a_clerk_works_a_report_to_resolved_and_the_public_sees_each_step(
    staff: Staff,
) -> None:
    report_id = await staff.routed("road_damage", ROADS)
    for to, comment in (
        ("acknowledged", "Danke, wir schauen es uns an."),
        ("in_progress", None),
        ("resolved", "Das Schlagloch ist geflickt."),
    ):
        staff.clock.now += timedelta(hours=1)
        body = {"to": to, "reason": "intern: Kolonne 3"}
        if comment:
            body["public_comment"] = comment
        response = await staff.post(CLERK_A, f"/reports/{report_id}/transitions", body)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == to
    for visibility, text in (("internal", "Geheimnotiz"), ("public", "Danke fürs Melden!")):
        staff.clock.now += timedelta(minutes=1)
        note = {"visibility": visibility, "text": text}
        response = await staff.post(CLERK_A, f"/reports/{report_id}/comments", note)
        assert response.status_code == 201

    public = await staff.client.get(f"/api/v1/reports/{report_id}")
    view = public.json()
    assert view["status"] == "resolved"
    assert [(s["status"], s["comment"]) for s in view["history"]] == [
        ("submitted", None),
        ("routed", None),
        ("acknowledged", "Danke, wir schauen es uns an."),
        ("in_progress", None),
        ("resolved", "Das Schlagloch ist geflickt."),
    ]
    times = [datetime.fromisoformat(s["at"]) for s in view["history"]]
    assert times == sorted(times)
    assert [c["text"] for c in view["comments"]] == ["Danke fürs Melden!"]
    for secret in ("Geheimnotiz", "anna.clerk", "Kolonne 3", "clerk", REPORTER_EMAIL):
        assert secret not in public.text

    changed = staff.events(report_id, topics.REPORTS_STATUS_CHANGED)
    assert [(e.previous_status, e.status) for e in changed] == [
        ("routed", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "resolved"),
    ]
    assert all(isinstance(e, ReportStatusChanged) for e in changed)
    assert changed[0].actor.user_id == "anna.clerk"
    assert changed[2].public_comment == "Das Schlagloch ist geflickt."
    commented = staff.events(report_id, topics.REPORTS_COMMENTED)
    assert [(e.visibility, e.text) for e in commented] == [
        ("internal", "Geheimnotiz"),
        ("public", "Danke fürs Melden!"),
    ]
    trail = (await staff.get(ADMIN, f"/reports/{report_id}/audit")).json()
    assert [entry["action"] for entry in trail] == ["transition"] * 3 + ["comment"] * 2
    assert trail[0]["actor"] == {"role": "clerk", "user_id": "anna.clerk", "department_id": ROADS}


async def test_an_invalid_step_is_409_naming_the_allowed_ones(staff: Staff) -> None:
    report_id = await staff.routed("road_damage", ROADS)

    response = await staff.post(CLERK_A, f"/reports/{report_id}/transitions", {"to": "resolved"})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["allowed"] == ["acknowledged", "rejected", "duplicate", "forwarded"]
    assert "acknowledged, rejected, duplicate, forwarded" in body["detail"]
    assert staff.events(report_id, topics.REPORTS_STATUS_CHANGED) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "rejected"}, "reason"),
        ({"to": "duplicate"}, "duplicate_of"),
        ({"to": "duplicate", "duplicate_of": "NOPE0-00000"}, "duplicate_of"),
        ({"to": "forwarded", "reason": "falsch"}, "forward_to"),
        ({"to": "forwarded", "forward_to": "nope", "reason": "falsch"}, "forward_to"),
        ({"to": "submitted"}, "to"),
    ],
)
async def test_a_step_lacking_what_it_needs_is_400_naming_the_field(
    staff: Staff, body: dict[str, Any], field: str
) -> None:
    report_id = await staff.routed("road_damage", ROADS)

    response = await staff.post(CLERK_A, f"/reports/{report_id}/transitions", body)

    assert response.status_code == 400, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert staff.reports.reports[report_id].status == "routed"


async def test_a_duplicate_names_its_original_publicly(staff: Staff) -> None:
    original = await staff.routed("road_damage", ROADS)
    copy = await staff.routed("road_damage", ROADS)

    response = await staff.post(
        CLERK_A, f"/reports/{copy}/transitions", {"to": "duplicate", "duplicate_of": original}
    )

    assert response.status_code == 200
    view = (await staff.client.get(f"/api/v1/reports/{copy}")).json()
    assert view["status"] == "duplicate"
    assert view["history"][-1]["duplicate_of"] == original


async def test_forwarding_moves_the_report_to_the_other_departments_queue(staff: Staff) -> None:
    report_id = await staff.routed("road_damage", ROADS, hours_ago=100)
    await staff.post(CLERK_A, f"/reports/{report_id}/claim")
    assert staff.reports.reports[report_id].is_overdue(staff.clock.now)

    response = await staff.post(
        DISPATCHER,
        f"/reports/{report_id}/transitions",
        {
            "to": "forwarded",
            "forward_to": GREEN,
            "reason": "liegt im Park",
            "public_comment": "Zuständig ist die Grünflächenpflege.",
        },
    )

    assert response.status_code == 200, response.text
    staff_view = response.json()
    assert staff_view["status"] == "routed"
    assert staff_view["department"]["id"] == GREEN
    assert staff_view["assignee"] is None
    assert staff_view["overdue"] is False
    green = known_department(GREEN)
    assert datetime.fromisoformat(staff_view["due_at"]) == green.due_at(
        "road_damage", staff.clock.now
    )
    assert [(s["status"], s["department"]["id"]) for s in staff_view["steps"][-2:]] == [
        ("forwarded", GREEN),
        ("routed", GREEN),
    ]
    assert staff_view["steps"][-2]["reason"] == "liegt im Park"
    changed = staff.events(report_id, topics.REPORTS_STATUS_CHANGED)
    assert [(e.previous_status, e.status, e.department.id) for e in changed] == [
        ("routed", "forwarded", ROADS),
        ("forwarded", "routed", GREEN),
    ]
    assert changed[0].forwarded_to.id == GREEN

    roads_queue = (await staff.get(CLERK_A, f"/departments/{ROADS}/queue")).json()
    green_queue = (await staff.get(CLERK_B, f"/departments/{GREEN}/queue")).json()
    assert report_id not in [item["id"] for item in roads_queue["items"]]
    assert [item["id"] for item in green_queue["items"]] == [report_id]
    assert (await staff.get(CLERK_A, f"/reports/{report_id}")).status_code == 404
    assert (await staff.get(CLERK_B, f"/reports/{report_id}")).status_code == 200
    public = (await staff.client.get(f"/api/v1/reports/{report_id}")).json()
    assert public["history"][-2]["comment"] == "Zuständig ist die Grünflächenpflege."
    assert "liegt im Park" not in str(public)


async def test_the_triage_queue_is_worked_by_forwarding(staff: Staff) -> None:
    report_id = await staff.in_triage()
    queue = (await staff.get(DISPATCHER, "/triage")).json()
    assert [item["id"] for item in queue["items"]] == [report_id]
    assert queue["items"][0]["status"] == "triage"

    refused = await staff.post(
        DISPATCHER, f"/reports/{report_id}/transitions", {"to": "acknowledged"}
    )
    assert refused.status_code == 409
    assert refused.json()["allowed"] == ["forwarded"]
    forwarded = await staff.post(
        DISPATCHER,
        f"/reports/{report_id}/transitions",
        {"to": "forwarded", "forward_to": ROADS, "reason": "Straßenschaden"},
    )
    assert forwarded.status_code == 200
    assert (await staff.get(DISPATCHER, "/triage")).json()["items"] == []
    roads = (await staff.get(CLERK_A, f"/departments/{ROADS}/queue")).json()
    assert report_id in [item["id"] for item in roads["items"]]


async def test_contact_data_only_on_its_own_endpoint_and_each_read_is_audited(
    staff: Staff,
) -> None:
    report_id = await staff.routed("road_damage", ROADS)

    shown = await staff.get(CLERK_A, f"/reports/{report_id}")
    assert shown.json()["has_contact"] is True
    assert REPORTER.email not in shown.text
    assert REPORTER.phone not in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert staff.audit.entries == {}

    for _ in range(2):
        contact = await staff.get(CLERK_A, f"/reports/{report_id}/contact")
        assert contact.json()["email"] == REPORTER.email
    reads = [e for e in staff.audit.entries.values() if e.action == "contact_read"]
    assert len(reads) == 2
    assert {(e.actor.user_id, e.actor.role, e.actor.department_id) for e in reads} == {
        ("anna.clerk", "clerk", ROADS)
    }
    assert reads[0].details == {"fields": "email,name,phone"}


async def test_claim_and_assign_within_the_department_only(staff: Staff) -> None:
    report_id = await staff.routed("road_damage", ROADS)

    claimed = await staff.post(CLERK_A, f"/reports/{report_id}/claim")
    assert claimed.json()["assignee"] == "anna.clerk"
    assert (await staff.post(CLERK_A, f"/reports/{report_id}/claim")).status_code == 200
    taken = await staff.post("colleague_a", f"/reports/{report_id}/claim")
    assert taken.status_code == 409
    assert taken.json()["assignee"] == "anna.clerk"
    moved = await staff.post(CLERK_A, f"/reports/{report_id}/assign", {"user_id": "ben.clerk"})
    assert moved.json()["assignee"] == "ben.clerk"
    for outsider in ("cem.clerk", "nobody"):
        refused = await staff.post(
            DISPATCHER, f"/reports/{report_id}/assign", {"user_id": outsider}
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["field"] == "user_id"
    cleared = await staff.post(DISPATCHER, f"/reports/{report_id}/assign", {"user_id": None})
    assert cleared.json()["assignee"] is None
    actions = [(e.action, e.details.get("assignee")) for e in staff.audit.entries.values()]
    assert actions == [
        ("assignment", "anna.clerk"),
        ("assignment", "anna.clerk"),
        ("assignment", "ben.clerk"),
        ("assignment", None),
    ]


async def test_queue_puts_overdue_first_filters_and_pages(staff: Staff) -> None:
    # road_damage at the roads department: 48 h to fix; graffiti has no rule there: 96 h.
    fresh = await staff.routed("road_damage", ROADS)
    overdue = await staff.routed("road_damage", ROADS, hours_ago=50)
    older_overdue = await staff.routed("road_damage", ROADS, hours_ago=70)
    other_category = await staff.routed("pavement_damage", ROADS, hours_ago=1)
    elsewhere = await staff.routed("road_damage", GREEN)
    await staff.post(CLERK_A, f"/reports/{overdue}/claim")

    async def ids(**params: Any) -> list[str]:
        response = await staff.get(CLERK_A, f"/departments/{ROADS}/queue", **params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [older_overdue, overdue, fresh, other_category]
    assert elsewhere not in await ids()
    assert await ids(overdue="true") == [older_overdue, overdue]
    assert await ids(assigned="me") == [overdue]
    assert await ids(assigned="none") == [older_overdue, fresh, other_category]
    assert await ids(category="pavement_damage") == [other_category]
    items = (await staff.get(CLERK_A, f"/departments/{ROADS}/queue")).json()["items"]
    assert [item["overdue"] for item in items] == [True, True, False, False]

    first = (await staff.get(CLERK_A, f"/departments/{ROADS}/queue", limit=3)).json()
    rest = (
        await staff.get(
            CLERK_A, f"/departments/{ROADS}/queue", limit=3, cursor=first["next_cursor"]
        )
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == await ids()
    assert rest["next_cursor"] is None

    await staff.post(
        CLERK_A, f"/reports/{fresh}/transitions", {"to": "rejected", "reason": "privat"}
    )
    assert fresh not in await ids()
    assert await ids(status="rejected") == [fresh]
    bad = await staff.get(CLERK_A, f"/departments/{ROADS}/queue", assigned="someone")
    assert bad.status_code == 400
    unknown = await staff.get(ADMIN, "/departments/nope/queue")
    assert unknown.status_code == 404


async def test_a_citizen_reopens_a_resolved_report_and_staff_work_it_again(
    staff: Staff,
) -> None:
    report_id = await staff.routed("road_damage", ROADS)
    for to in ("acknowledged", "in_progress", "resolved"):
        await staff.post(CLERK_A, f"/reports/{report_id}/transitions", {"to": to})
    work: WorkService = staff.client.app.state.work

    assert await work.reopen(report_id, "Immer noch kaputt", caused_by="feedback-1") is True
    assert await work.reopen(report_id, "Immer noch kaputt", caused_by="feedback-1") is False

    view = (await staff.get(CLERK_A, f"/reports/{report_id}")).json()
    assert view["status"] == "reopened"
    citizen = {"role": "citizen", "user_id": None, "department_id": None}
    assert view["steps"][-1]["actor"] == citizen
    [note] = view["notes"]
    assert (note["visibility"], note["text"], note["actor"]) == (
        "internal",
        "Immer noch kaputt",
        citizen,
    )
    # Notify mails status changes to supporters: the reporter's words must not travel there.
    [reopened] = staff.events(report_id, topics.REPORTS_STATUS_CHANGED)[-1:]
    assert (reopened.status, reopened.reason, reopened.public_comment) == ("reopened", None, None)
    # Only as the note for staff, which routing mails to the department that works it again.
    assert reopened.staff_note == "Immer noch kaputt"
    assert datetime.fromisoformat(view["due_at"]) > staff.clock.now
    public = (await staff.client.get(f"/api/v1/reports/{report_id}")).json()
    assert "Immer noch kaputt" not in str(public)
    again = await staff.post(CLERK_A, f"/reports/{report_id}/transitions", {"to": "in_progress"})
    assert again.status_code == 200
