"""The system's notes and steps on existing reports (from the fleet's findings), applied by each
report's owner, the one writer of its document: as commands when there is an owner to ask."""

from dataclasses import dataclass

from stadtmelder_reports.commands.domain import (
    ReportCommandRequested,
    SystemNote,
    SystemStep,
    Visibility,
)
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_shared.event_envelope import derived_event_id

# The kinds of action the owner's `Commands` hands to `apply_system_command`.
SYSTEM_ACTIONS = ("system-note", "system-step")


@dataclass(frozen=True)
class SystemWrites:
    work: WorkService
    # None applies here (tests, tools: no owner to ask).
    commands: Commands | None = None

    async def note(self, report_id: str, note_id: str, visibility: Visibility, text: str) -> bool:
        """`WorkService.note_by_system` by the report's owner; False if noted before."""
        action = SystemNote(note_id=note_id, visibility=visibility, text=text)
        return await self._run(report_id, derived_event_id(note_id, "command"), action)

    async def step(
        self, report_id: str, to: str, cause_id: str, public_comment: str | None = None
    ) -> bool:
        """`WorkService.step_by_system` by the report's owner; False if taken before."""
        action = SystemStep(to=to, cause_id=cause_id, public_comment=public_comment)
        return await self._run(report_id, derived_event_id(cause_id, f"{to}-command"), action)

    async def _run(self, report_id: str, command_id: str, action: SystemNote | SystemStep) -> bool:
        # The command's id follows from the cause: a redelivered finding sends the same one,
        # which its owner applies once.
        command = ReportCommandRequested(
            event_id=command_id,
            report_id=report_id,
            jurisdiction=self.work.jurisdiction,
            action=action,
        )
        if self.commands is None:
            return await apply_system_command(self.work, command)
        return await self.commands.run(command)


async def apply_system_command(work: WorkService, command: ReportCommandRequested) -> bool:
    """Apply the system's note or step to its report; False if applied before."""
    action = command.action
    if isinstance(action, SystemNote):
        return await work.note_by_system(
            command.report_id, action.note_id, action.visibility, action.text
        )
    if isinstance(action, SystemStep):
        return await work.step_by_system(
            command.report_id, action.to, action.cause_id, action.public_comment
        )
    raise TypeError(f"{action.kind} is no system step")
