"""The scheduled side of area alerts: daily digests and forgetting what is no longer news."""

import asyncio
import contextlib
import logging

from stadtmelder_notify.alerts.service import AlertService

log = logging.getLogger(__name__)


class DigestJob:
    """Every `interval_seconds`: send the digests that are due, then clear out old data.

    Every replica may run it: the delivery log lets only one of them send each digest.
    """

    def __init__(self, alerts: AlertService, interval_seconds: float = 300.0) -> None:
        self._alerts = alerts
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        sent = await self._alerts.send_due_digests()
        await self._alerts.forget_old()
        if sent:
            log.info("%d daily digests sent", sent)
        return sent

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="area-alert-digests")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                # MongoDB or SMTP away: nothing is lost, the next run tries again.
                log.exception("daily digests failed; trying again in %.0f s", self._interval)
            await asyncio.sleep(self._interval)
