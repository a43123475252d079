"""A small real SMTP server on 127.0.0.1 for the real-worker tests: it speaks enough
ESMTP for Python's smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), accepts
every message with "250" and remembers, per connection, the ``Message-ID`` of each
message it accepted and whether the client said goodbye (QUIT) or just vanished.

A connection that vanished after an acceptance is the mark of a sender killed between
the server's "250" and whatever it meant to do next."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Session:
    accepted: list[str] = field(default_factory=list)
    said_goodbye: bool = False
    ended: bool = False


class _Handler(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: SMTPServer = self.server.owner  # type: ignore[attr-defined]
        session = server.open_session()
        try:
            self.reply("220 cirs-test ESMTP ready")
            while True:
                line = self.rfile.readline()
                if not line:
                    return  # the client vanished
                verb = line.strip().split(b" ", 1)[0].upper()
                if verb == b"EHLO":
                    self.reply("250-cirs-test")
                    self.reply("250 8BITMIME")
                elif verb in {b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"}:
                    self.reply("250 OK")
                elif verb == b"DATA":
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    data = self._read_data()
                    if data is None:
                        return
                    server.accept(session, data)
                    self.reply("250 OK queued")
                elif verb == b"QUIT":
                    session.said_goodbye = True
                    self.reply("221 Bye")
                    return
                else:
                    self.reply("502 Command not implemented")
        except OSError:
            return
        finally:
            server.close_session(session)

    def _read_data(self) -> bytes | None:
        lines = []
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            if line in {b".\r\n", b".\n"}:
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPServer:
    """``with SMTPServer() as smtp:`` serves on ``smtp.port`` until the block ends."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.sessions: list[Session] = []
        self.received: list[tuple[str, bytes]] = []  # (Message-ID, message) in order

    def __enter__(self) -> SMTPServer:
        self._server = _ThreadingServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def open_session(self) -> Session:
        session = Session()
        with self._lock:
            self.sessions.append(session)
        return session

    def close_session(self, session: Session) -> None:
        with self._lock:
            session.ended = True
            self._lock.notify_all()

    def accept(self, session: Session, data: bytes) -> None:
        found = MESSAGE_ID.search(data)
        message_id = found.group(1).decode() if found else ""
        with self._lock:
            session.accepted.append(message_id)
            self.received.append((message_id, data))
            self._lock.notify_all()

    def wait_until(self, check, seconds: float):
        """Block until ``check()`` (called under the lock) is truthy; None on timeout."""
        with self._lock:
            found = self._lock.wait_for(check, timeout=seconds)
        return found or None

    def message_ids(self) -> list[str]:
        with self._lock:
            return [mid for mid, _ in self.received]

    def vanished_after_acceptance(self) -> set[str]:
        """Message-IDs accepted on a connection that ended without QUIT."""
        with self._lock:
            return {
                mid for s in self.sessions if s.ended and not s.said_goodbye for mid in s.accepted
            }

    @staticmethod
    def parse(data: bytes):
        return message_from_bytes(data)
