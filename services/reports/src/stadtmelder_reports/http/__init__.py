"""The JSON API and what every HTTP entrypoint shares: request helpers, limits, error answers."""
