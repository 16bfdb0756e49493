"""How the composition root adds the mail links: their routes and the link checker they share."""

from litestar.datastructures import State
from litestar.types import ControllerRouterHandler

from stadtmelder_reports.citizen_links.domain import LinkTokens
from stadtmelder_reports.citizen_links.feedback_api import FeedbackController
from stadtmelder_reports.citizen_links.preferences_api import PreferencesController

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (FeedbackController, PreferencesController)


def register(state: State, link_secret: bytes) -> None:
    """Check the mail links with `link_secret`, the secret notify signs them with."""
    state.link_tokens = LinkTokens(link_secret)
