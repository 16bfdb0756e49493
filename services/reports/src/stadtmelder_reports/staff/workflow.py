"""The status state machine of a report's department work: which step may follow which."""

from collections.abc import Mapping
from dataclasses import dataclass

from stadtmelder_reports.errors import InvalidTransition, InvalidWorkRequest

# The order of each list is the order in which answers name the allowed next steps.
_WORK_ENDINGS = ("rejected", "duplicate", "forwarded")
NEXT_STATUSES: Mapping[str, tuple[str, ...]] = {
    "triage": ("forwarded",),
    "routed": ("acknowledged", *_WORK_ENDINGS),
    "acknowledged": ("in_progress", *_WORK_ENDINGS),
    "in_progress": ("resolved", *_WORK_ENDINGS),
    "resolved": ("reopened",),
    "reopened": ("acknowledged", "in_progress", "resolved"),
}
# What a request may ask for; "routed" and "triage" are reached only by routing or forwarding.
TARGET_STATUSES = ("acknowledged", "in_progress", "resolved", "reopened", *_WORK_ENDINGS)
REASON_MAX_LENGTH = 2000


@dataclass(frozen=True)
class TransitionRequest:
    """What staff or a department system ask for; the same shape on HTTP and on Kafka."""

    to: str
    public_comment: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None
    forward_to: str | None = None


def allowed_next(current: str) -> list[str]:
    return list(NEXT_STATUSES.get(current, ()))


def next_status(
    report_id: str, current: str, request: TransitionRequest, department_id: str | None
) -> str:
    """The status the report takes, or a clear error; forwarding lands in "routed" again.

    Whether `duplicate_of` exists and `forward_to` is a known department needs the stores:
    the service checks that after this.
    """
    allowed = allowed_next(current)
    if request.to not in allowed:
        raise InvalidTransition(report_id, current, request.to, allowed)
    if request.duplicate_of and request.to != "duplicate":
        raise InvalidWorkRequest("duplicate_of", "Give duplicate_of only with to=duplicate.")
    if request.forward_to and request.to != "forwarded":
        raise InvalidWorkRequest("forward_to", "Give forward_to only with to=forwarded.")
    match request.to:
        case "rejected":
            _require_reason(request, "Say why the report is rejected.")
        case "duplicate":
            if not request.duplicate_of:
                raise InvalidWorkRequest(
                    "duplicate_of", "Give the id of the report this one duplicates."
                )
            if request.duplicate_of == report_id:
                raise InvalidWorkRequest("duplicate_of", "A report cannot duplicate itself.")
        case "forwarded":
            if not request.forward_to:
                raise InvalidWorkRequest(
                    "forward_to", "Give the id of the department to forward the report to."
                )
            if request.forward_to == department_id:
                raise InvalidWorkRequest(
                    "forward_to", f"The report is already with {department_id!r}."
                )
            _require_reason(request, "Say why the report goes to another department.")
            return "routed"
    return request.to


def _require_reason(request: TransitionRequest, hint: str) -> None:
    if not (request.reason or "").strip():
        raise InvalidWorkRequest("reason", hint)
