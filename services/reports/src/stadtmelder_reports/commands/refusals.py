"""A reports error raised by a report's owner, carried back to the replica that asked, and
raised there again, so a command's refusal answers as the write in place would have."""

import json

from stadtmelder_reports.commands.domain import Refusal
from stadtmelder_reports.errors import ReportChangedMeanwhile, ReportsError


def refusal_of(error: ReportsError) -> Refusal:
    try:
        arguments = json.loads(json.dumps(list(error.made_of)))
    except (TypeError, ValueError):
        arguments = None  # made of something JSON cannot carry: not rebuilt, see `error_of`
    name = _name(type(error))
    return Refusal(error=name if arguments is not None else "", arguments=arguments or [])


def error_of(refusal: Refusal, report_id: str) -> ReportsError:
    """The error `refusal` names, made again; one that cannot be: the report changed meanwhile
    (409, reload and try again), which is what happened from the asker's view."""
    kind = _kinds().get(refusal.error)
    if kind is not None:
        try:
            return kind(*refusal.arguments)
        except TypeError:
            pass
    return ReportChangedMeanwhile(report_id)


def _name(kind: type[ReportsError]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _kinds() -> dict[str, type[ReportsError]]:
    found: dict[str, type[ReportsError]] = {}
    waiting: list[type[ReportsError]] = [ReportsError]
    while waiting:
        kind = waiting.pop()
        found[_name(kind)] = kind
        waiting.extend(kind.__subclasses__())
    return found
