"""Open311 GeoReport v2 under /open311/v2/, in JSON and XML, for apps and back offices."""
