"""Who is responsible: Duisburg's departments, the category rules and the routing decision."""

from dataclasses import dataclass

from stadtmelder_shared.events import (
    DepartmentRef,
    ReportRouted,
    ReportSubmitted,
    WorkItemQueued,
    derived_event_id,
)


@dataclass(frozen=True)
class Department:
    id: str
    name: str

    def ref(self) -> DepartmentRef:
        return DepartmentRef(id=self.id, name=self.name)


GREEN_SPACES = Department("wbd-gruen", "Wirtschaftsbetriebe Duisburg – Grünflächen und Spielplätze")
STREET_LIGHTING = Department("stadt-licht", "Stadt Duisburg – Straßenbeleuchtung")
ROADS = Department("wbd-strasse", "Wirtschaftsbetriebe Duisburg – Straßen und Gehwege")
WASTE = Department("wbd-abfall", "Wirtschaftsbetriebe Duisburg – Abfallwirtschaft")
TRIAGE = Department("triage", "Stadt Duisburg – Zentrale Meldungsannahme")

CATEGORY_RULES: dict[str, Department] = {
    "playground_damage": GREEN_SPACES,
    "playground_litter": GREEN_SPACES,
    "tree_green_damage": GREEN_SPACES,
    "street_light_out": STREET_LIGHTING,
    "street_light_damaged": STREET_LIGHTING,
    "road_damage": ROADS,
    "pavement_damage": ROADS,
    "traffic_sign_damaged": ROADS,
    "illegal_dumping": WASTE,
    "container_full": WASTE,
    "litter_bin_overflowing": WASTE,
    "graffiti": WASTE,
}


@dataclass(frozen=True)
class Decision:
    department: Department
    rule: str


def choose_department(category_code: str) -> Decision:
    """The department for a category; anything without a rule goes to triage, never nowhere."""
    department = CATEGORY_RULES.get(category_code)
    if department is None:
        return Decision(TRIAGE, "fallback:triage")
    return Decision(department, f"category:{category_code}")


def route(submitted: ReportSubmitted) -> tuple[ReportRouted, WorkItemQueued]:
    """The events that announce the decision; their ids derive from the submission's id."""
    decision = choose_department(submitted.category.code)
    department = decision.department.ref()
    routed = ReportRouted(
        event_id=derived_event_id(submitted.event_id, "routed"),
        report_id=submitted.report_id,
        jurisdiction=submitted.jurisdiction,
        category=submitted.category,
        department=department,
        rule=decision.rule,
        caused_by=submitted.event_id,
        reporter=submitted.reporter,
    )
    work_item = WorkItemQueued(
        event_id=derived_event_id(submitted.event_id, f"work:{department.id}"),
        occurred_at=routed.occurred_at,
        report_id=submitted.report_id,
        jurisdiction=submitted.jurisdiction,
        department=department,
        category=submitted.category,
        description=submitted.description,
        location=submitted.location,
        address=submitted.address,
        answers=submitted.answers,
        submitted_at=submitted.occurred_at,
    )
    return routed, work_item
