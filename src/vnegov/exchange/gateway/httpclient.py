"""The gateway's HTTP/1.1 client: keep-alive connections to providers and peer gateways, pooled.

Why not aiohttp (which this replaced): forwarding is the gateway's hot path, and aiohttp's general
machinery (request and response objects, payload registry, streams, per-request timers) cost about a
third of the gateway's CPU per call. A gateway only ever sends a whole body it already holds and reads a
whole answer into memory, so this client does only that: the request goes out in one write, llhttp
(`httptools`, the parser uvicorn uses) frames the answer — Content-Length, chunked, or up to the close —
and the connection goes back to its pool when the answer was complete and the server keeps it open.

Reuse is careful, as in Go's `net/http`: a pooled connection the server has closed is never handed out;
one idle longer than `idle_seconds` is dropped (servers close idle connections, uvicorn after 5 s); and
when a reused connection dies before a single byte of the answer, the request is sent again on a new
connection only if it was idempotent — a POST that may have reached the provider is never repeated.
A request that is cancelled (the caller's timeout) closes its connection: half a conversation is never
pooled.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from vnegov.kernel.loops import running_loop

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_FRAMING = frozenset({"content-length", "transfer-encoding"})


class ConnectFailed(Exception):
    """No connection could be opened (refused, unreachable, TLS handshake refused, DNS)."""


class ResponseFailed(Exception):
    """The connection broke, or the answer was malformed or too large."""


class TooLarge(ResponseFailed):
    """The answer is larger than the client accepts."""


class TimedOut(Exception):
    """No complete answer within the time given (the connection is closed, the call never retried)."""


@dataclass(frozen=True, slots=True)
class Response:
    """An answer; header names lower-cased (HTTP/1.1 names are case-insensitive, RFC 9110 §5.1)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


Origin = tuple[str, str, int]  # scheme, host, port


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection, one request at a time."""

    def __init__(self, origin: Origin, max_bytes: int, drop: frozenset[str] = frozenset()) -> None:
        self.origin = origin
        self.max_bytes = max_bytes
        self.drop = drop  # header names the caller never wants to see (lower case)
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.open = False
        self.used = 0  # requests sent on it
        self.idle_since = 0.0
        self._done: asyncio.Future[Response] | None = None
        self._head = False
        self._reset()

    def _reset(self) -> None:
        self._headers: list[tuple[str, str]] = []
        self._chunks: list[bytes] = []
        self._size = 0
        self._received = False  # any byte of the current answer
        self._headers_done = False
        self._framed = False  # Content-Length or chunked seen (else: the body ends with the connection)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are not asyncio.Transport
        self.open = True

    def data_received(self, data: bytes) -> None:
        self._received = True
        if self._done is None:  # nothing asked: a server must not talk now
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ResponseFailed("the server switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(ResponseFailed(f"malformed answer: {exc}"))
        if self._size > self.max_bytes:
            self._fail(TooLarge(f"the answer is larger than {self.max_bytes} bytes"))

    def eof_received(self) -> bool:
        self._ended()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._ended(exc)

    # llhttp callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        if key in _FRAMING:
            self._framed = True
        if key not in self.drop:
            self._headers.append((key, value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        status = self.parser.get_status_code()
        if self._head or status in (204, 304):  # no body follows, whatever the headers say
            self._complete(reusable=False)

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size <= self.max_bytes:  # beyond: dropped, and refused once this data is parsed
            self._chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.parser.get_status_code() < 200:  # an interim answer (100 Continue): skip it
            self._reset()
            return
        self._complete(reusable=self.parser.should_keep_alive())

    # the request

    async def request(self, head: bytes, body: bytes, head_only: bool) -> Response:
        """Send `head` and `body`, and wait for the answer (its deadline is watched by the client)."""
        assert self.transport is not None
        self._done = running_loop().create_future()
        self._head = head_only
        self._reset()
        self.used += 1
        self.transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.transport.write(body)
        try:
            return await self._done
        finally:
            if self._done is not None:  # cancelled or failed half-way: never pooled again
                self._done = None
                self.close()

    @property
    def received(self) -> bool:
        return self._received

    def _complete(self, *, reusable: bool) -> None:
        if self._size > self.max_bytes:
            self._fail(TooLarge(f"the answer is larger than {self.max_bytes} bytes"))
            return
        done, self._done = self._done, None
        if done is None or done.done():
            return
        if not reusable:
            self.close()
        status = self.parser.get_status_code()
        done.set_result(Response(status, self._headers, b"".join(self._chunks)))

    def _ended(self, exc: Exception | None = None) -> None:
        self.open = False
        if self._done is None:
            return
        if self._headers_done and not self._framed:  # the body ran until the close
            self._complete(reusable=False)
            return
        reason = f": {exc}" if exc else ""
        self._fail(ResponseFailed(f"the connection closed before the answer was complete{reason}"))

    def time_out(self) -> None:
        self._fail(TimedOut("no complete answer in time"))

    def _fail(self, exc: Exception) -> None:
        done, self._done = self._done, None
        self.close()
        if done is not None and not done.done():
            done.set_exception(exc)

    def close(self) -> None:
        self.open = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class _Pool:
    """Idle connections to one origin, most recently used first."""

    __slots__ = ("idle",)

    def __init__(self) -> None:
        self.idle: deque[_Connection] = deque()


class HttpClient:
    """Pooled HTTP/1.1 client for one event loop: at most `connections` open at once, in all.

    Answers carry their headers but those named in `drop_headers` (lower case): a proxy's hop-by-hop
    headers are never read into a list only to be filtered out of it again."""

    def __init__(
        self,
        *,
        connections: int,
        ssl_context: ssl.SSLContext | None = None,
        max_response_bytes: int = 64 * 1024 * 1024,
        idle_seconds: float = 4.0,
        drop_headers: frozenset[str] = frozenset(),
    ) -> None:
        self.limit = connections
        self.drop_headers = drop_headers
        self.ssl_context = ssl_context
        self.max_response_bytes = max_response_bytes
        self.idle_seconds = idle_seconds
        self._pools: dict[Origin, _Pool] = {}
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False
        # Deadlines of the requests in flight, and one timer for the earliest: a timer made and
        # cancelled per request cost ≈ 7,000 instructions a call (callgrind); with one timeout per
        # service, later requests' deadlines are later, and the timer is rarely moved.
        self._deadlines: dict[_Connection, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    async def request(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        timeout: float | None = None,
    ) -> Response:
        """Send one request and read its answer; `TimedOut` after `timeout` seconds in all."""
        origin, target = _split(url)
        head = _head(method, target, origin, headers, body)
        deadline = None if timeout is None else running_loop().time() + timeout
        for attempt in (1, 2):
            connection = self._idle(origin)
            if connection is None:  # connect, or wait for a free slot: within the same time
                try:
                    async with asyncio.timeout_at(deadline):
                        connection = await self._acquire(origin)
                except TimeoutError:
                    raise TimedOut("no connection in time") from None
            reused = connection.used > 0
            if deadline is not None:
                self._watch(connection, deadline)
            try:
                response = await connection.request(head, body, method == "HEAD")
            except ResponseFailed:
                self._release(connection)
                if attempt == 1 and reused and not connection.received and method in IDEMPOTENT:
                    continue  # the server had closed this idle connection: a new one, once
                raise
            except BaseException:
                self._release(connection)
                raise
            finally:
                self._deadlines.pop(connection, None)
            self._release(connection)
            return response
        raise AssertionError("unreachable")

    # deadlines

    def _watch(self, connection: _Connection, deadline: float) -> None:
        self._deadlines[connection] = deadline
        if self._timer is None or deadline < self._timer_at:
            self._arm(deadline)

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = running_loop().call_at(at, self._expire)

    def _expire(self) -> None:
        """Fail the requests whose time is up; wait for the next deadline."""
        self._timer = None
        now = running_loop().time() + 0.001  # the loop's timers are in milliseconds: never early by one
        for connection, deadline in list(self._deadlines.items()):
            if deadline <= now:
                del self._deadlines[connection]
                connection.time_out()
        if self._deadlines:
            self._arm(min(self._deadlines.values()))

    async def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for pool in self._pools.values():
            while pool.idle:
                pool.idle.pop().close()
        self._pools.clear()

    # the pool

    def _idle(self, origin: Origin) -> _Connection | None:
        """A pooled connection to `origin` still fit for use, if there is one."""
        pool = self._pools.get(origin)
        if pool is None or self._closed:
            return None
        now = time.monotonic()
        while pool.idle:
            connection = pool.idle.popleft()
            if connection.open and now - connection.idle_since < self.idle_seconds:
                return connection
            self._drop(connection)
        return None

    async def _acquire(self, origin: Origin) -> _Connection:
        if self._closed:
            raise ConnectFailed("the client is closed")
        self._pools.setdefault(origin, _Pool())
        connection = self._idle(origin)
        if connection is not None:
            return connection
        while self._open >= self.limit:
            if not self._evict_idle():
                waiter = running_loop().create_future()
                self._waiters.append(waiter)
                try:
                    await waiter
                except BaseException:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)
                    elif waiter.done() and not waiter.cancelled():
                        self._wake()  # woken, then cancelled: pass the turn on
                    raise
                connection = self._idle(origin)  # one came back while we waited
                if connection is not None:
                    return connection
        self._open += 1
        try:
            return await self._connect(origin)
        except BaseException:
            self._open -= 1
            self._wake()
            raise

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = self.ssl_context or ssl.create_default_context()
        loop = running_loop()
        try:
            _transport, connection = await loop.create_connection(
                lambda: _Connection(origin, self.max_response_bytes, self.drop_headers),
                host,
                port,
                ssl=context,
                server_hostname=host if context is not None else None,
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailed(f"{exc.__class__.__name__}: {exc}") from exc
        return connection

    def _release(self, connection: _Connection) -> None:
        if connection.open and connection._done is None and not self._closed:
            connection.idle_since = time.monotonic()
            pool = self._pools.get(connection.origin)
            if pool is not None:
                pool.idle.appendleft(connection)
                self._wake()
                return
        self._drop(connection)

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._open -= 1
        self._wake()

    def _evict_idle(self) -> bool:
        """At the limit: close an idle connection to some other origin to make room."""
        for pool in self._pools.values():
            if pool.idle:
                self._drop(pool.idle.pop())
                return True
        return False

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


@functools.lru_cache(maxsize=1024)
def _split(url: str) -> tuple[Origin, str]:
    """The origin and request target of `url` (its fragment dropped); remembered, as a gateway calls
    the same few services' addresses over and over (a refusal is not remembered)."""
    scheme, sep, rest = url.partition("://")
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    if not sep:
        raise ConnectFailed(f"not an http(s) address: {url!r}")
    origin = _origin(f"{scheme}://{rest[:cut]}")
    target = rest[cut:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    return origin, target


@functools.lru_cache(maxsize=1024)
def _origin(prefix: str) -> Origin:
    """Scheme, host and port of `scheme://authority`; remembered, as a gateway calls a few origins
    over and over (a refusal is not remembered)."""
    parts = urlsplit(prefix)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise ConnectFailed(f"not an http(s) address: {prefix!r}") from None
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConnectFailed(f"not an http(s) address: {prefix!r}")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def _head(method: str, target: str, origin: Origin, headers: list[tuple[str, str]], body: bytes) -> bytes:
    scheme, host, port = origin
    default = 443 if scheme == "https" else 80
    authority = f"[{host}]" if ":" in host else host
    if port != default:
        authority = f"{authority}:{port}"
    lines = [f"{method} {target} HTTP/1.1", f"Host: {authority}"]
    for name, value in headers:
        lines.append(f"{name}: {value}")
    if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        lines.append(f"Content-Length: {len(body)}")
    flat = "".join(lines)
    if "\r" in flat or "\n" in flat or " " in target:
        raise ResponseFailed("the request line or a header holds a line break or a space where none may be")
    text = "\r\n".join(lines) + "\r\n\r\n"
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise ResponseFailed("a header holds characters outside ISO-8859-1") from None
