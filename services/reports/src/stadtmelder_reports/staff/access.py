"""Who may do what on the staff side: decisions only, no I/O.

Clerks see and work their own department's reports; dispatchers and admins every department's.
A report the caller may not see is answered as missing (404), so its existence is not revealed;
a visible report or a queue the caller's role does not permit is answered 403.
"""

from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.staff.auth import StaffMember


def may_see_department(member: StaffMember, department_id: str) -> bool:
    return member.has("admin", "dispatcher") or (
        member.has("clerk") and member.department_id == department_id
    )


def may_see_report(member: StaffMember, report: Report) -> bool:
    """Also decides who may work on it: whoever sees a report may move it on."""
    if member.has("admin", "dispatcher"):
        return True
    return report.department is not None and may_see_department(member, report.department.id)


def may_triage(member: StaffMember) -> bool:
    return member.has("admin", "dispatcher")


def may_edit_works(member: StaffMember) -> bool:
    """Known works are the city's register: dispatchers and admins keep it."""
    return member.has("admin", "dispatcher")


def may_read_audit(member: StaffMember) -> bool:
    return member.has("admin", "dispatcher")


def may_claim(member: StaffMember, report: Report) -> bool:
    """Only someone of the report's department can take it on themselves."""
    return report.department is not None and member.department_id == report.department.id
