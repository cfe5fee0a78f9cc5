"""Server-side TLS on a connection's bytes: OpenSSL (``ssl.SSLObject``) over memory buffers.

The listener does TLS itself rather than through ``create_server(ssl=...)`` or ``loop.start_tls``
so that it keeps hold of every connection from its first byte: the connection limits apply before
the handshake, a failed handshake is counted and logged with the peer's address (asyncio logs it
only in debug mode), and the same code runs on asyncio's loop and on uvloop (which starts reading
a connection before ``start_tls`` could take it over). No cryptography is written here: the
:mod:`ssl` module's ``SSLObject`` does the protocol; this only moves bytes between it and the socket.
"""

from __future__ import annotations

import asyncio
import ssl

_READ = 65536


class TlsSession:
    """One connection's TLS, server side: feed it what arrives, write through it what leaves."""

    __slots__ = ("_in", "_out", "_ssl", "_transport", "closed", "established")

    def __init__(self, context: ssl.SSLContext, transport: asyncio.WriteTransport) -> None:
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(self._in, self._out, server_side=True)
        self._transport = transport
        self.established = False
        """The handshake completed (the peer's certificate, if required, was verified)."""
        self.closed = False
        """The peer ended TLS with close_notify: no more data will come."""

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the peer; return the plaintext they complete (often none).

        Raises :class:`ssl.SSLError` when the handshake fails (no or a wrong client certificate,
        not TLS at all) or a record is bad; the alert OpenSSL wrote for the peer is sent first.
        """
        self._in.write(data)
        try:
            if not self.established:
                try:
                    self._ssl.do_handshake()
                except ssl.SSLWantReadError:
                    return b""
                self.established = True
            return self._read_all()
        finally:
            self._flush()

    def send(self, data: bytes) -> None:
        """Encrypt ``data`` and write it to the transport."""
        self._ssl.write(data)  # a memory buffer never asks to wait
        self._flush()

    def _read_all(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            try:
                chunk = self._ssl.read(_READ)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.closed = True
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def _flush(self) -> None:
        pending = self._out.read()
        if pending and not self._transport.is_closing():
            self._transport.write(pending)
