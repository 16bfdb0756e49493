"""The JSON API of erasure on request: the reporter deletes their contact data by tracking token."""

from datetime import datetime

from litestar import Controller, delete
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field

from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.http.declared_responses import BY_KEY, declared

Erasure = NamedDependency[ErasureService]


class ContactErasedOut(BaseModel):
    contact_erased_at: datetime = Field(
        description="When the contact data was erased; a repeated request answers the same time."
    )


class ErasureController(Controller):
    path = "/api/v1"
    tags = ["reports"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    # 200 with a body rather than 204: an app can show the date staff see, and a repeat
    # answers the same date, so the app need not know whether it asked before.
    @delete("/track/{token:str}/contact", status_code=HTTP_200_OK, responses=declared(*BY_KEY, 409))
    async def erase_contact(self, erasure: Erasure, token: FromPath[str]) -> ContactErasedOut:
        """Erase the reporter's e-mail, name and phone for good: from the report, from every
        event (their data key is destroyed), from notify's and routing's copies. The public
        report stays, anonymous; no more mail goes to the address about it."""
        return ContactErasedOut(contact_erased_at=await erasure.erase_reporter(token))
