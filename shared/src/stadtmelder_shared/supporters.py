"""The supporters' double opt-in as reports and notify both keep it: how long a confirmation
link works, and how soon supporting again repeats the request."""

from datetime import timedelta

# An address not confirmed within this is forgotten (erased like on request, so its sealed
# copies in Kafka never open again); the same period as area alerts' `CONFIRM_WITHIN`.
CONFIRM_SUPPORT_WITHIN = timedelta(days=7)
# Supporting again with an unconfirmed address repeats the confirmation mail, at most this
# often: a lost mail can be asked for again, a form sent in a loop floods nobody.
ASK_AGAIN_AFTER = timedelta(minutes=15)
