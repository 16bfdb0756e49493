"""The scheduled side of area alerts: daily digests and forgetting what is no longer news."""

import logging

from stadtmelder_notify.alerts.service import AlertService
from stadtmelder_shared.timers import Leadership, Timers

log = logging.getLogger(__name__)


class DigestJob:
    """Every `interval_seconds`: send the digests that are due, then clear out old data.

    Once across replicas: the delivery log's claim alone would not keep two replicas from
    sending one digest twice, as FerretDB makes no claim atomic (docs/scale-out.md).
    """

    def __init__(self, alerts: AlertService, interval_seconds: float = 300.0) -> None:
        self._alerts = alerts
        self._interval = interval_seconds

    async def run_once(self) -> int:
        sent = await self._alerts.send_due_digests()
        await self._alerts.forget_old()
        if sent:
            log.info("%d daily digests sent", sent)
        return sent

    def schedule(self, timers: Timers, once: Leadership | None = None) -> None:
        timers.every(self._interval, "area-alert-digests", self.run_once, once=once)
