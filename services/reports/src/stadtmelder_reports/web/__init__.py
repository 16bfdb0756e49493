"""Server-rendered web pages for citizens and staff, on the same services as the API."""
