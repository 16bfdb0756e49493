"""Apps and browsers that integrate with reports: API keys, app webhooks and Web Push.

Split by the spine, one module per role and topic: `api_keys.py` (keys and their store),
`webhooks.py` (rules and the use case), `webhook_store.py` (Protocol and MongoDB adapter),
`push.py` (settings and which subscriptions we accept), `webhooks_api.py` and `push_api.py`
(HTTP schemas and controllers), and `routes.py` with the one `register(...)` of the feature.
"""
