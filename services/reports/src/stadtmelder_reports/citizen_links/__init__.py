"""Links in citizens' mails: feedback on a resolved report, unsubscribe and the mail's language.

`domain.py` holds the rules (whose link, who may answer), `service.py` the use case that spans
reports, `feedback_api.py` and `preferences_api.py` the routes (pages for people, JSON for apps,
from `web/templates/links_*.html.j2`), and `routes.py` the one `register(...)` of the feature.
"""
