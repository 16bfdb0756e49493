"""GET /api/v1/track/{token}/data: the reporter's own data, found by the private tracking token."""

from datetime import UTC, datetime

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from stadtmelder_reports.http.declared_responses import BY_KEY, declared
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import AnyRequest, Links, client_address
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.privacy.schemas import DataHeldOut, data_held_out
from stadtmelder_reports.privacy.service import Privacy

# Generous for a person, and a bound on what guessing tokens can cost: each answer reads the
# report and its audit.
DATA_ANSWERS_PER_MINUTE = 30


async def count_data_answer(limiter: SubmissionLimiter, request: AnyRequest) -> None:
    """Counted apart from submissions, so reading one's data never blocks a report."""
    await limiter.check(f"data:{client_address(request)}", DATA_ANSWERS_PER_MINUTE)


class PrivacyController(Controller):
    path = "/api/v1"
    tags = ["privacy"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/track/{token:str}/data", responses=declared(*BY_KEY, 429))
    async def data_held(
        self,
        request: AnyRequest,
        privacy: Privacy,
        limiter: NamedDependency[SubmissionLimiter],
        links: Links,
        token: FromPath[str],
        lang: FromQuery[LanguageCode] = "de",
    ) -> DataHeldOut:
        """Everything stored about you as the reporter: your contact data, the report as staff
        see it, every change staff made to what the public sees of it (with reason and date),
        every message sent to you, and every time staff looked at your contact data
        (department, role, time), with how long each is kept."""
        await count_data_answer(limiter, request)
        held = await privacy.data_held(token)
        return data_held_out(held, datetime.now(UTC), lang, links.base_url)
