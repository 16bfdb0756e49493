"""SMTP sink for the local system that stores every received message as one .eml file."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import signal
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("smtp_sink")


class MaildirHandler:
    """Accepts any sender and recipient and writes each message to its own file."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd hook name)
        # A sender that is gone before we commit gets nothing stored (RFC 5321 3.8: as if RSET);
        # it never heard a 250 and will send again. Stored in the loop itself and answered at
        # once, logged after (RFC 1047): a sender killed between our commit and its reading of
        # the 250 sends the message again, so that moment is kept short.
        if _peer_gone(server):
            log.warning("the sender left before its message was stored; not stored")
            return "421 Sender gone, message not stored"
        path = self.store(envelope)
        asyncio.get_running_loop().call_soon(
            functools.partial(
                log.info,
                "stored %s from %s to %s",
                path.name,
                envelope.mail_from,
                ", ".join(envelope.rcpt_tos),
            )
        )
        return "250 Message accepted for delivery"

    def store(self, envelope: Envelope) -> Path:
        """Write the message under a hidden temporary name, then rename it into place.

        The envelope goes in front as Return-Path and X-Envelope-To headers (as a final MTA would
        add them), so tests can see Bcc recipients, which the message itself does not carry.
        """
        unique = uuid.uuid4().hex[:8]
        trace = (
            f"Return-Path: <{envelope.mail_from or ''}>\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        body = envelope.original_content or b""
        temporary = self.maildir / f".{unique}.tmp"
        temporary.write_bytes(trace + body)
        # Named by the moment of the commit, the rename (bench/accept_gap.py measures from it).
        final = self.maildir / f"{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{unique}.eml"
        os.replace(temporary, final)
        return final


def _peer_gone(server: SMTP) -> bool:
    """True if the client closed or reset the connection, though we have not read that yet."""
    transport = server.transport
    if transport is None or transport.is_closing():
        return True
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    # A duplicate of the descriptor: asyncio's socket wrapper refuses recv().
    with socket.fromfd(sock.fileno(), sock.family, sock.type) as peer:
        try:
            peeked: bytes = peer.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False  # connected, nothing more sent: the usual case
        except OSError:
            return True  # reset
    return peeked == b""


async def serve(host: str, port: int, maildir: Path) -> None:
    """Serve SMTP on host:port until SIGTERM or SIGINT arrives."""
    loop = asyncio.get_running_loop()
    handler = MaildirHandler(maildir)
    server = await loop.create_server(
        # A fixed hostname avoids SMTP's default socket.getfqdn(), which can stall on DNS.
        lambda: SMTP(handler, hostname="stadtmelder-smtp-sink", enable_SMTPUTF8=True, loop=loop),
        host=host,
        port=port,
    )
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    log.info("listening on %s:%d, storing mail in %s", host, port, maildir)
    async with server:
        await stopping.wait()
    log.info("stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # aiosmtpd logs every connection and command at INFO; one line per message is enough here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    args.maildir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, args.maildir))


if __name__ == "__main__":
    main()
