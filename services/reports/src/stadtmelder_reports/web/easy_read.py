"""The page explaining Stadtmelder in Leichte Sprache (BITV 2.0 § 4), and its plain English and
Turkish versions for whoever chooses them there."""

from litestar import Controller, get
from litestar.response import Template

from stadtmelder_reports.citizen_links.languages import link_language
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.web.rendering import page
from stadtmelder_shared.translations import N_

# The texts the template splits into one statement a line, named for extraction.
STATEMENTS = (
    N_("easy_intro"),
    N_("easy_examples"),
    N_("easy_defect"),
    N_("easy_danger"),
    N_("easy_danger_numbers"),
    N_("easy_happens"),
    N_("easy_how_steps"),
    N_("easy_how_free"),
    N_("easy_how_after"),
    N_("easy_public"),
    N_("easy_more_alerts"),
)


class EasyReadPage(Controller):
    include_in_schema = False

    @get("/leichte-sprache")
    async def easy_read(self, request: AnyRequest) -> Template:
        """German whatever the site's language, since the link promises Leichte Sprache; the
        language switcher on the page opens the plain versions."""
        return page(request, "leichte_sprache.html.j2", language=link_language(request, "de"))
