"""Known works (the Baustellenkataster): imported or entered by staff, shown on a public map and
in the API, named in the report form, and announced on `works.changed` for routing."""
