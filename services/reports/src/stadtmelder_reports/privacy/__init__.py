"""The reporter's access to their data (GDPR Art. 15) and the public page "Ihre Daten".

`domain.py` decides which messages reached the reporter and which audit entries are reads of
their contact data, `service.py` gathers them by the tracking token, `api.py` answers
GET /api/v1/track/{token}/data, `pages.py` serves /privacy (the tracking page's section is
`web/templates/privacy_section.html.j2`), and `routes.py` holds the one `register(...)`.
"""
