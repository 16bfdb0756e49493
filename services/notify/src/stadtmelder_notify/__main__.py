"""Runs the notify service: `python -m stadtmelder_notify`."""

import sys

from stadtmelder_notify.app import create_app
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.serve import run_service

# The mailer's thread reads the server's 250 and journals it; while the main loop computes, the
# thread waits for the GIL up to this long (5 ms by default), and a kill -9 in that wait sends
# the mail again (see delivery.mailer.SmtpMailer).
GIL_SWITCH_INTERVAL_S = 0.001


def main() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    run_service("notify", NotifySettings(), create_app)


if __name__ == "__main__":
    main()
