"""A lean HTTP/1.1 keep-alive client on asyncio streams, for the hot delivery path.

httpx builds a Request, a Response, header multi-dicts, URL objects and an httpcore exchange for
every call: over a millisecond of CPU per delivery on the project's machine class. This client
does one exchange with a few byte joins and a pre-parsed origin, which is all a destination that
POSTs to one URL needs:

- a pool per origin (scheme, host, port) of at most ``max_connections`` connections, idle ones
  reused most recent first; a caller waits for a free one at most the timeout (``PoolTimeout``);
- ``Content-Length``, chunked and read-until-close bodies; interim 1xx answers skipped;
- ``timeout`` seconds for connecting, for writing the request and for each read of the answer
  (every byte received restarts the read clock), as httpx's single-number timeout does;
- credentials in the URL (``https://user:pass@host``) sent as Basic authorization, as httpx does;
- ``https`` through an :class:`ssl.SSLContext` made by :func:`httpx.create_ssl_context`, so
  certificate verification (certifi, ``SSL_CERT_FILE``/``SSL_CERT_DIR``) is httpx's own;
- a kept-alive connection that the server closed while idle is detected before reuse, and an
  exchange on a reused connection that fails before any byte of the answer arrived is sent once
  more on a fresh connection (the race every keep-alive client has; careweave's deliveries carry
  an Idempotency-Key, which makes the second send safe).

Failures are raised as httpx's own exception types (``ConnectError``, ``ReadTimeout``,
``RemoteProtocolError``...), so :func:`~careweave.connectors.http_boundary.error_for_exception`
judges them exactly as it judges httpx's. No proxies: :func:`uses_proxy` tells a caller when the
environment asks for one, and the caller should use httpx then.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import urllib.request
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

HEAD_LIMIT = 64 * 1024
"""Most bytes of a status line plus headers (or of one chunk-size line) accepted."""

_NO_BODY_STATUSES = frozenset({204, 304})
_FORBIDDEN = ("\r", "\n", "\0")
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, reason, headers (names lower-cased, in order) and body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower-case), or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def text(self) -> str:
        """The body decoded by its declared charset, UTF-8 otherwise (undecodable bytes replaced)."""
        if not self.body:
            return ""
        charset = "utf-8"
        for part in (self.header("content-type") or "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"'")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", errors="replace")

    def to_httpx(self, method: str, url: str, headers: Mapping[str, str]) -> httpx.Response:
        """The same answer as an httpx Response (with its request), for the shared boundary's
        judgement of an unsuccessful answer."""
        return httpx.Response(
            self.status,
            headers=self.headers,
            content=self.body,
            request=httpx.Request(method, url, headers=headers),
            extensions={"reason_phrase": self.reason.encode("latin-1", errors="replace")},
        )


@dataclass(frozen=True, slots=True)
class Origin:
    """Where requests to a URL go, and the request target to name in them."""

    scheme: str
    host: str
    port: int
    host_header: str
    target: str
    authorization: str | None = None
    """``Basic`` credentials from the URL's user info, which httpx would send too."""

    @classmethod
    def of(cls, url: str) -> Origin:
        """Parse ``url`` (``http`` or ``https``); raise httpx's URL errors otherwise."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise httpx.InvalidURL(f"invalid URL {url!r}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"request URL has an unsupported protocol {scheme!r}")
        if not parts.hostname:
            raise httpx.UnsupportedProtocol(f"request URL {url!r} is missing a host")
        default = 443 if scheme == "https" else 80
        host = parts.hostname
        shown = f"[{host}]" if ":" in host else host
        host_header = shown if port in (None, default) else f"{shown}:{port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        authorization = None
        if parts.username or parts.password:
            pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        return cls(scheme, host, port or default, host_header, target, authorization)


def uses_proxy(url: str) -> bool:
    """Whether the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``)
    sends requests to ``url`` through a proxy, as httpx would honour it."""
    proxies = urllib.request.getproxies()
    parts = urlsplit(url)
    if not ({parts.scheme.lower(), "all"} & proxies.keys()):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")


class _Connection:
    """One open connection; ``reused`` once it has carried an exchange."""

    __slots__ = ("reader", "reused", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.reused = False

    def alive(self) -> bool:
        """False when the peer closed it while it sat idle (as far as the loop has seen)."""
        return not (self.writer.transport.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        self.writer.close()


class _Pool:
    """At most ``limit`` connections to one origin."""

    def __init__(self, origin: Origin, limit: int, timeout: float, tls: ssl.SSLContext | None):
        self.origin, self.limit, self.timeout, self.tls = origin, limit, timeout, tls
        self.idle: list[_Connection] = []
        self.opened = 0
        self.waiters: deque[asyncio.Future[_Connection | None]] = deque()
        self.closed = False

    async def acquire(self) -> _Connection:
        """A connection to use: an idle one, a new one, or one a finished exchange hands over."""
        while self.idle:
            conn = self.idle.pop()
            if conn.alive():
                return conn
            self._discard(conn)
        if self.opened < self.limit:
            self.opened += 1
            return await self._open_reserved()
        waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(self.timeout):
                handed = await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():  # handed over just as we gave up
                if (got := waiter.result()) is None:
                    self.opened -= 1
                    self._wake()
                else:
                    self.release(got, reusable=True)
            else:
                waiter.cancel()  # skipped by release and _wake
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout("no free connection within the timeout") from None
            raise
        return handed if handed is not None else await self._open_reserved()

    async def _open_reserved(self) -> _Connection:
        """Open a connection in a slot already counted in ``opened``."""
        try:
            return await self._connect()
        except BaseException:
            self.opened -= 1
            self._wake()
            raise

    async def _connect(self) -> _Connection:
        origin = self.origin
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(
                    origin.host,
                    origin.port,
                    ssl=self.tls,
                    server_hostname=origin.host if self.tls else None,
                    limit=HEAD_LIMIT,
                )
        except TimeoutError:
            message = f"connecting to {origin.host}:{origin.port} timed out"
            raise httpx.ConnectTimeout(message) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return _Connection(reader, writer)

    def release(self, conn: _Connection, *, reusable: bool) -> None:
        """Give ``conn`` back: to a waiter, to the idle list, or closed."""
        if not reusable or self.closed:  # after close, a connection in use closes when done
            self._discard(conn)
            return
        conn.reused = True
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    def _discard(self, conn: _Connection) -> None:
        conn.close()
        self.opened -= 1
        self._wake()

    def _wake(self) -> None:
        """A slot came free: let the first waiter open a connection of its own in it."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                self.opened += 1  # reserved for the waiter, which opens the connection
                waiter.set_result(None)
                return

    def close(self) -> None:
        self.closed = True
        for conn in self.idle:
            conn.close()
        self.opened -= len(self.idle)
        self.idle.clear()


class KeepAliveClient:
    """HTTP/1.1 requests over pooled keep-alive connections (see the module docstring)."""

    def __init__(
        self,
        *,
        timeout: float,
        max_connections: int,
        tls: ssl.SSLContext | None = None,
        user_agent: str = "careweave",
    ) -> None:
        self.timeout = timeout
        self.max_connections = max_connections
        self._tls = tls
        self._user_agent = user_agent
        self._pools: dict[tuple[str, str, int], _Pool] = {}
        self._origins: dict[str, Origin] = {}

    def _pool(self, origin: Origin) -> _Pool:
        key = (origin.scheme, origin.host, origin.port)
        pool = self._pools.get(key)
        if pool is None:
            tls = None
            if origin.scheme == "https":
                tls = self._tls = self._tls or httpx.create_ssl_context()
            pool = self._pools[key] = _Pool(origin, self.max_connections, self.timeout, tls)
        return pool

    async def request(
        self, method: str, url: str, *, headers: Mapping[str, str], content: bytes = b""
    ) -> Answer:
        """Send one request and read its whole answer."""
        origin = self._origins.get(url)
        if origin is None:
            origin = self._origins[url] = Origin.of(url)
        head = self._head(method, origin, headers, len(content))
        pool = self._pool(origin)
        while True:
            conn = await pool.acquire()
            reused = conn.reused
            try:
                answer, reusable = await self._exchange(conn, head, content, method)
            except _Stale:
                pool.release(conn, reusable=False)
                if reused:
                    continue  # the server had closed the idle connection: once more, fresh
                raise httpx.RemoteProtocolError("server disconnected without answering") from None
            except BaseException:
                pool.release(conn, reusable=False)
                raise
            pool.release(conn, reusable=reusable)
            return answer

    def _head(self, method: str, origin: Origin, headers: Mapping[str, str], length: int) -> bytes:
        given = {name.lower() for name in headers}
        lines = [f"{method} {origin.target} HTTP/1.1"]
        if "host" not in given:  # a Host header given is sent as given, as httpx does
            lines.append(f"Host: {origin.host_header}")
        if "user-agent" not in given:
            lines.append(f"User-Agent: {self._user_agent}")
        if "accept" not in given:
            lines.append("Accept: */*")
        skipped = _FRAMING
        if origin.authorization is not None:
            lines.append(f"Authorization: {origin.authorization}")
            skipped = _FRAMING | {"authorization"}  # the URL's credentials win, as in httpx
        for name, value in headers.items():
            if name.lower() not in skipped:  # framing is this client's business
                lines.append(f"{name}: {value}")
        if length or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            lines.append(f"Content-Length: {length}")
        probe = "".join(lines)  # a CR, LF or NUL in a name or value would split the head
        if any(c in probe for c in _FORBIDDEN) or ":" in method or " " in method:
            raise httpx.LocalProtocolError("a header or the method holds a forbidden character")
        try:
            return "\r\n".join(lines).encode("ascii") + b"\r\n\r\n"
        except UnicodeEncodeError:
            raise httpx.LocalProtocolError("a header value is not ASCII") from None

    async def _exchange(
        self, conn: _Connection, head: bytes, content: bytes, method: str
    ) -> tuple[Answer, bool]:
        writer, reader = conn.writer, conn.reader
        try:
            writer.write(head + content if len(content) < 65536 else head)
            if len(content) >= 65536:
                writer.write(content)
            if writer.transport.get_write_buffer_size():
                async with asyncio.timeout(self.timeout):
                    await writer.drain()
        except TimeoutError:
            raise httpx.WriteTimeout("writing the request timed out") from None
        except OSError as exc:
            raise _Stale from exc
        try:
            async with asyncio.timeout(self.timeout) as clock:
                while True:
                    try:
                        raw = await reader.readuntil(b"\r\n\r\n")
                    except asyncio.IncompleteReadError as exc:
                        if not exc.partial:
                            raise _Stale from exc
                        raise httpx.RemoteProtocolError("the answer's head was cut off") from exc
                    except ConnectionError as exc:
                        raise _Stale from exc
                    status, reason, headers, version = _parse_head(raw)
                    if not 100 <= status < 200 or status == 101:
                        break  # an interim 1xx (100 Continue, 103 Early Hints) is skipped
                progress = _Progress(clock, self.timeout)
                progress.moved()
                body, to_close = await _read_body(reader, method, status, headers, progress)
        except TimeoutError:
            raise httpx.ReadTimeout("reading the answer timed out") from None
        except asyncio.LimitOverrunError as exc:
            raise httpx.RemoteProtocolError("the answer's head is too long") from exc
        except asyncio.IncompleteReadError as exc:
            raise httpx.RemoteProtocolError("the server closed the connection mid-answer") from exc
        except ConnectionError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        connection = (_find(headers, "connection") or "").lower()
        keep = version == "HTTP/1.1" and "close" not in connection
        keep = keep or (version == "HTTP/1.0" and "keep-alive" in connection)
        return Answer(status, reason, headers, body), keep and not to_close

    async def aclose(self) -> None:
        """Close every idle connection (those in use close when their exchange ends)."""
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


class _Progress:
    """Restarts the read clock whenever bytes arrive: the timeout bounds each wait, not the
    whole answer."""

    __slots__ = ("clock", "loop", "seconds")

    def __init__(self, clock: asyncio.Timeout, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds
        self.loop = asyncio.get_running_loop()

    def moved(self) -> None:
        self.clock.reschedule(self.loop.time() + self.seconds)


class _Stale(Exception):
    """The connection failed before any byte of the answer: it may be sent again."""


def _find(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def _parse_head(raw: bytes) -> tuple[int, str, list[tuple[str, str]], str]:
    """Status, reason, headers (lower-cased names) and version of an answer's head."""
    try:
        lines = raw[:-4].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        status = int(code)
    except ValueError:
        raise httpx.RemoteProtocolError(f"malformed status line {raw[:60]!r}") from None
    if not version.startswith("HTTP/1.") or not 100 <= status <= 999:
        raise httpx.RemoteProtocolError(f"malformed status line {raw[:60]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise httpx.RemoteProtocolError(f"malformed header line {line[:60]!r}")
        headers.append((name.lower(), value.strip()))
    return status, reason, headers, version


async def _read_body(
    reader: asyncio.StreamReader,
    method: str,
    status: int,
    headers: list[tuple[str, str]],
    progress: _Progress,
) -> tuple[bytes, bool]:
    """The body and whether the connection must close after it."""
    if method == "HEAD" or status in _NO_BODY_STATUSES:
        return b"", False
    encoding = (_find(headers, "transfer-encoding") or "").lower()
    if encoding:
        if encoding.rsplit(",", 1)[-1].strip() != "chunked":
            return await _until_close(reader, progress), True
        return await _chunked(reader, progress), False
    length = _find(headers, "content-length")
    if length is not None:
        try:
            size = int(length.split(",")[0])
        except ValueError:
            raise httpx.RemoteProtocolError(f"bad Content-Length {length!r}") from None
        if size < 0:
            raise httpx.RemoteProtocolError(f"bad Content-Length {length!r}")
        return (await reader.readexactly(size) if size else b""), False
    return await _until_close(reader, progress), True


async def _chunked(
    reader: asyncio.StreamReader,
    progress: _Progress,
) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise httpx.RemoteProtocolError(f"bad chunk size line {line[:40]!r}") from None
        progress.moved()
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, ignored
                pass
            return b"".join(parts)
        chunk = await reader.readexactly(size + 2)
        if chunk[-2:] != b"\r\n":
            raise httpx.RemoteProtocolError("a chunk does not end with CRLF")
        parts.append(chunk[:-2])
        progress.moved()


async def _until_close(
    reader: asyncio.StreamReader,
    progress: _Progress,
) -> bytes:
    parts: list[bytes] = []
    while chunk := await reader.read(65536):
        parts.append(chunk)
        progress.moved()
    return b"".join(parts)
