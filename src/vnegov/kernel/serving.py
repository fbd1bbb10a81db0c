"""How our processes serve HTTP: uvicorn's httptools protocol, leaner where a gateway spends its time.

uvicorn writes a response's head and its body as two writes, each a system call (and, over TLS, each a
record of its own); on loopback and in VMs a write is among the dearest things a gateway does per call.
And for every request it builds a cycle object, an event, a keep-alive timer, and passes the request
through its middleware. `CorkedHttpToolsProtocol` (every vnegov server process uses it) keeps uvicorn's
protocol and changes this:

- The direct path: an app may name `direct_prefixes` (the exchange gateway names its call paths). A
  request on one of them whose body is small (`DIRECT_MAX_BODY`, declared by Content-Length) and that
  carries no Expect, Transfer-Encoding or X-Forwarded-* header is read whole and handed to that app
  by a `DirectCycle`: no uvicorn cycle, no proxy-headers middleware (it would have nothing to do), the
  body given in one `receive`, the answer written by `send` itself — one write for an answer given
  whole. Every other request takes uvicorn's path, and pipelined requests queue as uvicorn queues them.
- Keep-alive: one timer per connection, re-armed only when it fires early, instead of one per answer.
- `WholeAnswerCycle`, on uvicorn's path: an answer given whole (a start and one final body message,
  as most JSON endpoints answer) is checked and written at once, head and body in one write, its
  header names and values checked by two pattern searches instead of two per header. Anything else
  (a streamed or chunked body, HEAD, a write-paused connection) goes through uvicorn's own `send`.
- `CorkedTransport`, for what still arrives in pieces: it holds what is written during one step of
  the event loop and sends it as one write at the end of that step. It never holds more than
  `FLUSH_AT` bytes (beyond that it writes at once, so the real transport's flow control still
  applies), and closing sends what is held first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import unquote

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

FLUSH_AT = 64 * 1024
DIRECT_EXTENSION = "vnegov.direct"
"""The ASGI scope extension holding a direct request's `DirectCycle`: an app that knows it may take the
body (`take_body`) and give a whole answer (`answer`) without the ASGI messages' coroutines and dicts."""
# uvicorn's checks of answer headers as byte tables: 0 where its pattern (HEADER_RE for names,
# HEADER_VALUE_RE for values) matches that byte, 1 elsewhere. Translating the joined names or values
# and looking for a 0 byte is two tight C loops; the pattern's search tested each byte against a
# character set (≈ 2 % of the gateway's instructions per call, callgrind).
_NAME_BYTES = bytes(0 if HEADER_RE.match(bytes([b])) else 1 for b in range(256))
_VALUE_BYTES = bytes(0 if HEADER_VALUE_RE.match(bytes([b])) else 1 for b in range(256))
DIRECT_MAX_BODY = 256 * 1024  # larger requests stream through uvicorn's cycle, under the app's limits


class CorkedTransport:
    """A transport whose writes within one event-loop step go out as one."""

    __slots__ = ("_held", "_loop", "_scheduled", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._held: list[bytes] = []
        self._size = 0
        self._loop = loop
        self._scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self._held.append(bytes(data))
        self._size += len(data)
        if self._size >= FLUSH_AT:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush_soon)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush_soon(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held.clear()
        self._size = 0
        self._transport.abort()

    def write_now(self, data: bytes) -> None:
        """Send what is held and `data`, now, as one write."""
        self._held.append(data)
        self.flush()

    def is_closing(self) -> bool:  # asked after every answer: not through __getattr__
        return self._transport.is_closing()

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, ...
        return getattr(self._transport, name)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `CorkedTransport`, with the direct path and one keep-alive timer
    per connection (module docstring); pass as `uvicorn.run(..., http=...)`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._direct_app, self._direct_prefixes = _direct_target(self.app)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CorkedTransport(transport, self.loop))  # type: ignore[arg-type]

    # Keep-alive: uvicorn arms a timer after every answer and cancels it when the next request comes;
    # under load that is a timer made and dropped per call. Here one timer per connection checks, when
    # it fires, whether the connection has been idle long enough, and re-arms for the rest if not.
    _idle_since: float | None = None
    _idle_timer: asyncio.TimerHandle | None = None

    def on_response_complete(self) -> None:
        # uvicorn's, with the keep-alive timer above in place of a new one per answer.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self._idle_timer is None:
            self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._check_idle)

    def _unset_keepalive_if_required(self) -> None:
        self._idle_since = None  # a request is coming in (or the connection is going)
        super()._unset_keepalive_if_required()

    def _check_idle(self) -> None:
        self._idle_timer = None
        if self._idle_since is None:
            return  # busy: the next answer arms it again
        left = self._idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self._idle_timer = self.loop.call_later(left, self._check_idle)
        else:
            self.timeout_keep_alive_handler()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def on_headers_complete(self) -> None:
        if self._direct_prefixes and self.url.startswith(self._direct_prefixes) and self._direct_fits():
            self._begin_direct()
            return
        super().on_headers_complete()
        cycle = self.cycle
        if type(cycle) is RequestResponseCycle:
            # uvicorn builds its cycle inside this callback; ours only answers differently, so the
            # object (already handed to its task, or queued behind a pipelined request) changes class.
            cycle.__class__ = WholeAnswerCycle

    # The direct path (module docstring).

    def _direct_fits(self) -> bool:
        if self.cycle is not None and not self.cycle.response_complete:
            return False  # an answer is still due on this connection: uvicorn queues the request
        if self.limit_concurrency is not None or self.parser.should_upgrade() or b"#" in self.url:
            return False
        for name, value in self.headers:
            if name == b"content-length":
                if not value.isdigit() or int(value) > DIRECT_MAX_BODY:
                    return False
            elif name in (b"transfer-encoding", b"expect") or name.startswith(b"x-forwarded-"):
                return False  # streamed, 100-continue, or for the proxy-headers middleware
        return True

    def _begin_direct(self) -> None:
        """uvicorn's `on_headers_complete` for a direct request: the scope, then a `DirectCycle`."""
        scope = self.scope
        scope["method"] = self.parser.get_method().decode("ascii")
        http_version = self.parser.get_http_version()
        if http_version != "1.1":
            scope["http_version"] = http_version
        raw_path, _, query = self.url.partition(b"?")  # origin-form, no fragment (`_direct_fits`)
        path = raw_path.decode("ascii")
        scope["path"] = self.root_path + (unquote(path) if "%" in path else path)
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = query
        keep_alive = http_version != "1.0" and self.parser.should_keep_alive()
        self.cycle = DirectCycle(self, scope, keep_alive)  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if type(cycle) is DirectCycle:
            cycle.chunks.append(body)
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if type(cycle) is DirectCycle:
            task = self.loop.create_task(cycle.run(self._direct_app))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)
            return
        super().on_message_complete()


def _direct_target(app: Any) -> tuple[Any, tuple[bytes, ...]]:
    """The app to call directly and its `direct_prefixes`, under uvicorn's proxy-headers middleware
    (whose work a direct request does not need: it carries no X-Forwarded-* header); none else."""
    inner = app.app if isinstance(app, ProxyHeadersMiddleware) else app
    prefixes = getattr(inner, "direct_prefixes", None)
    return (inner, tuple(prefixes)) if prefixes else (None, ())


class _Disconnected:
    """Stands for uvicorn's `message_event`, which its protocol sets when the connection is lost."""

    __slots__ = ("waiter",)

    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class DirectCycle:
    """One request on a direct path: its whole body is read before the app is called, and the answer
    is written by `send` itself (one write for an answer given whole). Holds what uvicorn's protocol
    expects of a cycle (`response_complete`, `disconnected`, `keep_alive`, `message_event`)."""

    __slots__ = (
        "_body_given",
        "_chunked",
        "_length_left",
        "_start",
        "_started",
        "chunks",
        "disconnected",
        "keep_alive",
        "message_event",
        "protocol",
        "response_complete",
        "scope",
    )

    def __init__(self, protocol: CorkedHttpToolsProtocol, scope: Any, keep_alive: bool) -> None:
        self.protocol = protocol
        self.scope = scope
        self.keep_alive = keep_alive
        self.chunks: list[bytes] = []
        self.response_complete = False
        self.disconnected = False
        self.message_event = _Disconnected()
        self._start: Any = None
        self._started = False
        self._length_left: int | None = None
        self._chunked = False
        self._body_given = False
        extensions = scope.get("extensions")
        if extensions is None:
            scope["extensions"] = {DIRECT_EXTENSION: self}
        else:  # a dict of this request's own (the TLS protocol copies it per request)
            extensions[DIRECT_EXTENSION] = self

    async def run(self, app: Any) -> None:
        """uvicorn's `run_asgi`: a failure before the answer started is a 500, after it a close."""
        logger = self.protocol.logger
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as exc:  # as uvicorn: logged, answered or closed, not raised
            logger.error("Exception in ASGI application\n", exc_info=exc)
            self._abort()
        else:
            if not self.response_complete and not self.disconnected:
                logger.error("ASGI callable returned without completing response.")
                self._abort()
        finally:
            # The scope holds this cycle and the cycle the scope: a reference cycle per request left
            # for the garbage collector to find (+40 % instructions per gateway call), unless broken.
            self.scope["extensions"].pop(DIRECT_EXTENSION, None)

    def take_body(self) -> bytes | None:
        """The whole request body, as `receive` would give it; None if it was given already."""
        if self._body_given:
            return None
        self._body_given = True
        chunks, self.chunks = self.chunks, []
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def answer(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
        """A whole answer, written now: what `send` does with a start and one final body message.
        False (nothing done) when `send` must do it: an answer begun already, the client gone or
        not reading (`send` waits for it to drain)."""
        if self._start is not None or self.disconnected or self.protocol.flow.write_paused:
            return False
        self._start = {"status": status, "headers": headers}
        self._write(body, more=False)
        return True

    async def receive(self) -> Any:
        if not self._body_given:
            self._body_given = True
            chunks, self.chunks = self.chunks, []
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        if not self.disconnected and not self.response_complete:
            waiter = self.message_event.waiter = self.protocol.loop.create_future()
            await waiter  # the body was given whole: what is left to hear of is the disconnect
        return {"type": "http.disconnect"}

    async def send(self, message: Any) -> None:
        flow = self.protocol.flow
        if flow.write_paused and not self.disconnected:
            await flow.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if self._start is None:
            if kind != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got '{kind}'.")
            self._start = message
            return
        if kind != "http.response.body" or self.response_complete:
            raise RuntimeError(f"Unexpected ASGI message '{kind}' sent, after response already completed.")
        self._write(message.get("body", b""), more=message.get("more_body", False))

    def _write(self, body: bytes, *, more: bool) -> None:
        """One body message, with the head before the first (framing as `_head` set it)."""
        out = self._head(len(body), more) if not self._started else []
        if self.scope["method"] == "HEAD":
            body = b""
        elif self._chunked:
            body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + (b"" if more else b"0\r\n\r\n")
        elif self._length_left is not None:
            self._length_left -= len(body)
            if self._length_left < 0 or (not more and self._length_left):
                raise RuntimeError("Response content longer or shorter than Content-Length")
        out.append(body)
        if not more:
            self.response_complete = True
        _write_now(self.protocol.transport, b"".join(out))
        if not more:
            self._complete()

    def _head(self, size: int, more: bool) -> list[bytes]:
        """The answer's head. Framing as uvicorn's, but for a body given whole without a length: that
        gets its Content-Length (uvicorn would chunk it)."""
        protocol = self.protocol
        status = self._start["status"]
        headers = [*protocol.server_state.default_headers, *self._start.get("headers", ())]
        lines, length, encoding, connection = answer_head(status, headers)
        if encoding is not None and encoding != b"chunked":
            raise RuntimeError("Unsupported Transfer-Encoding")
        self._chunked = encoding is not None
        close_given = connection and any(
            n.lower() == b"connection" and b"close" in v.lower() for n, v in headers
        )
        if close_given:
            self.keep_alive = False
        self._started = True  # from here on a failure can only close the connection
        if self._chunked or self.scope["method"] == "HEAD":
            pass
        elif length is not None:
            self._length_left = length
        elif status in (204, 304):
            self._length_left = 0
        elif more:
            lines.append(b"transfer-encoding: chunked\r\n")
            self._chunked = True
        else:
            lines.append(b"content-length: %d\r\n" % size)
            self._length_left = size
        if not self.keep_alive and not close_given:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        _access_log(protocol, self.scope, status)
        return lines

    def _complete(self) -> None:
        self.message_event.set()
        protocol = self.protocol
        if not self.keep_alive:
            protocol.transport.close()
        protocol.on_response_complete()

    def _abort(self) -> None:
        transport = self.protocol.transport
        if not self._started and not self.disconnected:
            self._started = self.response_complete = True
            self.keep_alive = False
            transport.write(
                STATUS_LINE[500] + b"content-type: text/plain; charset=utf-8\r\ncontent-length: 21\r\n"
                b"connection: close\r\n\r\nInternal Server Error"
            )
            self._complete()
            return
        self.response_complete = True
        transport.close()


class WholeAnswerCycle(RequestResponseCycle):
    """uvicorn's request/response cycle, writing an answer given whole in one write (module docstring)."""

    _start: Any = None  # the response start, held until the body shows whether the answer is whole

    async def send(self, message: Any) -> None:
        start = self._start
        if start is None:
            if message["type"] == "http.response.start" and not self.response_started:
                self._start = message
                return
        else:
            self._start = None
            if (
                message["type"] == "http.response.body"
                and not message.get("more_body", False)
                and self._write_whole(start, message.get("body", b""))
            ):
                return
            await super().send(start)
        await super().send(message)

    def _write_whole(self, start: Any, body: bytes) -> bool:
        """Write the whole answer; False (nothing written) where uvicorn's own path must do it."""
        if self.disconnected or self.flow.write_paused or self.scope["method"] == "HEAD":
            return False
        status = start["status"]
        lines, length, encoding, connection = answer_head(
            status, [*self.default_headers, *start.get("headers", ())]
        )
        if encoding or connection or length is None or length != len(body):
            return False  # framed by the app, no length or a wrong one: uvicorn frames it, or refuses it
        if not self.keep_alive:
            lines.append(b"connection: close\r\n")
        lines += (b"\r\n", body)
        _access_log(self, self.scope, status)
        self.response_started = self.response_complete = True
        self.waiting_for_100_continue = False
        _write_now(self.transport, b"".join(lines))
        self.message_event.set()
        if not self.keep_alive:
            self.transport.close()
        self.on_response()
        return True


def answer_head(
    status: int, headers: list[tuple[bytes, bytes]]
) -> tuple[list[bytes], int | None, bytes | None, bool]:
    """An answer's status line and header lines (names lower-cased), checked as uvicorn checks them —
    once over all names and once over all values (a tab, allowed in a value, joins the values; nothing
    joins the names, where any separator is refused anyway). Also what the app said of the framing:
    the Content-Length (None if none), the Transfer-Encoding (lower-cased, None if none), and whether
    it gave a Connection header, `close` or not."""
    if headers:
        names, values = zip(*headers, strict=True)  # one C call, where two generators took 24 steps
        if 0 in b"".join(names).translate(_NAME_BYTES) or 0 in b"\t".join(values).translate(_VALUE_BYTES):
            raise RuntimeError("Invalid HTTP header name or value.")
    lines = [STATUS_LINE[status]]
    length: int | None = None
    encoding: bytes | None = None
    connection = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            length = int(value)  # as uvicorn reads it
        elif lowered == b"transfer-encoding":
            encoding = value.lower()
        elif lowered == b"connection":
            connection = True
        lines += (lowered, b": ", value, b"\r\n")
    return lines, length, encoding, connection


def _access_log(cycle: Any, scope: Any, status: int) -> None:
    if cycle.access_log and cycle.access_logger.isEnabledFor(logging.INFO):
        cycle.access_logger.info(  # as uvicorn's own send logs it
            '%s - "%s %s HTTP/%s" %d',
            get_client_addr(scope),
            scope["method"],
            get_path_with_query_string(scope),
            scope["http_version"],
            status,
        )


def _write_now(transport: Any, data: bytes) -> None:
    if isinstance(transport, CorkedTransport):
        transport.write_now(data)
    else:
        transport.write(data)
