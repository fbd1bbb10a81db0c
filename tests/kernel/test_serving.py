"""The corked transport: what is written in one step of the event loop leaves as one write, a large
answer is not held back, and closing sends what was held first. Over a real socket pair; the writes
that reach the socket are counted by wrapping the real transport's `write`."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import uvicorn

from vnegov.kernel import serving
from vnegov.kernel.serving import CorkedHttpToolsProtocol, CorkedTransport, answer_head


async def _pair() -> tuple[asyncio.Transport, list[bytes], socket.socket]:
    ours, theirs = socket.socketpair()
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    writes: list[bytes] = []
    real_write = transport.write

    def counted(data: bytes) -> None:
        writes.append(bytes(data))
        real_write(data)

    transport.write = counted  # type: ignore[method-assign]
    theirs.setblocking(False)
    return transport, writes, theirs


async def _read_all(peer: socket.socket, size: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while len(data) < size:
        data += await loop.sock_recv(peer, size - len(data))
    return data


def test_writes_in_one_step_leave_together() -> None:
    async def main() -> None:
        transport, writes, peer = await _pair()
        corked = CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        corked.write(b"hello")
        assert writes == []  # held until the end of this step
        assert corked.get_write_buffer_size() == 43
        await asyncio.sleep(0)
        assert writes == [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"]
        assert await _read_all(peer, 43) == writes[0]
        corked.close()
        peer.close()

    asyncio.run(main())


def test_a_large_answer_is_not_held_and_close_sends_what_is_held() -> None:
    async def main() -> None:
        transport, writes, peer = await _pair()
        corked = CorkedTransport(transport, asyncio.get_running_loop())
        corked.write(b"x" * serving.FLUSH_AT)
        assert len(writes) == 1  # at the threshold: written at once, flow control sees it
        corked.write(b"last words")
        corked.close()  # before the step ends
        assert writes[-1] == b"last words"
        assert await _read_all(peer, serving.FLUSH_AT + 10) == b"x" * serving.FLUSH_AT + b"last words"
        peer.close()

    asyncio.run(main())


async def _serve(app: object, **options: object) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """uvicorn serving `app` on our protocol on a free loopback port: the server, its task, the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="critical",
        http=CorkedHttpToolsProtocol,
        **options,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, port


def test_uvicorn_serves_through_it() -> None:
    """A whole server on the corked protocol: keep-alive answers, a streamed body, and a close."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        await receive()
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for i in range(100):
                await send({"type": "http.response.body", "body": b"%04d" % i, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def main() -> None:
        server, task, port = await _serve(app)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(3):
                assert (await client.get("/")).text == "ok"
            streamed = await client.get("/stream")
            assert streamed.text == "".join(f"{i:04d}" for i in range(100))
            closing = await client.get("/", headers={"Connection": "close"})
            assert closing.text == "ok"
        server.should_exit = True
        await task

    asyncio.run(main())


def test_an_idle_keep_alive_connection_is_closed_after_the_timeout_a_busy_one_is_not() -> None:
    """One keep-alive timer per connection (not one per answer) still closes it once idle long enough."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def main() -> None:
        server, task, port = await _serve(app, timeout_keep_alive=1)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < 1.6:  # busy past the timeout: kept open
            writer.write(request)
            assert (await reader.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
            last_answer = loop.time()
            await asyncio.sleep(0.2)
        assert await asyncio.wait_for(reader.read(), 3) == b""  # then idle: closed by the server
        assert 0.9 < loop.time() - last_answer < 2.5
        writer.close()
        server.should_exit = True
        await task

    asyncio.run(main())


class DirectApp:
    """An app naming a direct prefix; records how each request reached it."""

    direct_prefixes = (b"/d/",)

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        message = await receive()
        while message.get("more_body"):  # uvicorn's path gives a large body in parts
            part = await receive()
            message = {**part, "body": message["body"] + part["body"]}
        self.seen.append(
            {
                "path": scope["path"],
                "raw_path": scope["raw_path"],
                "query": scope["query_string"],
                "client": scope["client"][0],
                "cycle": type(receive.__self__).__name__,
                "body": message["body"],
            }
        )
        name = scope["path"].rsplit("/", 1)[-1]
        if name == "boom":
            raise ValueError("the app failed")
        if name == "stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for part in (b"one,", b"two,", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-type", b"text/plain")]
        if name != "unsized":
            headers.append((b"content-length", str(len(message["body"]) + 3).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"re:" + message["body"]})


def test_the_direct_path_answers_like_uvicorn_and_leaves_the_rest_to_it() -> None:
    app = DirectApp()

    async def main() -> None:
        server, task, port = await _serve(app, proxy_headers=True)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for n in range(3):  # keep-alive: one connection
                r = await client.post("/d/a%20b?x=1", content=b"body%d" % n)
                assert (r.status_code, r.content) == (200, b"re:body%d" % n)
            unsized = await client.post("/d/unsized", content=b"q")
            assert unsized.headers["content-length"] == "4" and unsized.content == b"re:q"
            streamed = await client.get("/d/stream")
            assert streamed.headers["transfer-encoding"] == "chunked"
            assert streamed.content == b"one,two,three"
            head = await client.head("/d/x")
            assert head.status_code == 200 and head.content == b""
            other = await client.post("/elsewhere", content=b"z")
            forwarded = await client.post("/d/f", content=b"f", headers={"X-Forwarded-For": "203.0.113.9"})
            big = b"b" * (serving.DIRECT_MAX_BODY + 1)
            large = await client.post("/d/big", content=big)
            failing = await client.post("/d/boom", content=b"")
        assert other.content == b"re:z" and forwarded.content == b"re:f" and large.content == b"re:" + big
        assert (failing.status_code, failing.headers["connection"]) == (500, "close")
        server.should_exit = True
        await task

    asyncio.run(main())
    by_path = {str(s["path"]): s for s in app.seen}
    first = by_path["/d/a b"]
    assert (first["raw_path"], first["query"], first["cycle"]) == (b"/d/a%20b", b"x=1", "DirectCycle")
    assert by_path["/d/stream"]["cycle"] == "DirectCycle"
    assert by_path["/elsewhere"]["cycle"] == "WholeAnswerCycle"  # not a direct path
    assert by_path["/d/big"]["cycle"] == "WholeAnswerCycle"  # too large to read whole first
    # the proxy-headers middleware's work: left to uvicorn's path, where it is done
    assert (by_path["/d/f"]["cycle"], by_path["/d/f"]["client"]) == ("WholeAnswerCycle", "203.0.113.9")


def test_pipelined_requests_on_the_direct_path_are_answered_in_order() -> None:
    app = DirectApp()

    async def main() -> None:
        server, task, port = await _serve(app)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        requests = b"".join(
            b"POST /d/%d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nb%d" % (n, n) for n in range(4)
        )
        writer.write(requests + b"GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = await asyncio.wait_for(reader.read(), 5)  # to the close the last one asked for
        writer.close()
        server.should_exit = True
        await task
        bodies = [part.split(b"\r\n\r\n", 1)[1][:5] for part in answers.split(b"HTTP/1.1 200 OK")[1:]]
        assert bodies == [b"re:b0", b"re:b1", b"re:b2", b"re:b3", b"re:"]

    asyncio.run(main())


@pytest.mark.parametrize(
    "name, value",
    [
        (b"x bad", b"v"),
        (b"x:bad", b"v"),
        (b"x\x00", b"v"),
        (b"x\x7f", b"v"),
        (b'x"', b"v"),
        (b"x", b"line\r\nx-injected: 1"),
        (b"x", b"nul\x00"),
        (b"x", b"del\x7f"),
    ],
)
def test_answer_heads_refuse_what_uvicorn_refuses(name: bytes, value: bytes) -> None:
    """Header names and values are checked as uvicorn checks them: no separators or controls in a
    name, no controls but the tab in a value (no answer can smuggle a header in)."""
    with pytest.raises(RuntimeError):
        answer_head(200, [(b"content-type", b"text/plain"), (name, value)])


def test_answer_heads_keep_tabs_and_obs_text_in_values() -> None:
    lines, length, _encoding, _connection = answer_head(
        200, [(b"X-Note", b"a\tb \x80\xff"), (b"Content-Length", b"3")]
    )
    assert b"".join(lines) == b"HTTP/1.1 200 OK\r\nx-note: a\tb \x80\xff\r\ncontent-length: 3\r\n"
    assert length == 3


class DirectAnswerApp:
    """An app that takes its body and answers through the direct extension, not ASGI messages."""

    direct_prefixes = (b"/d/",)

    def __init__(self) -> None:
        self.direct = self.by_messages = 0

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        cycle = (scope.get("extensions") or {}).get(serving.DIRECT_EXTENSION)
        if cycle is None:  # uvicorn's path (a pipelined request waits there): ASGI messages
            self.by_messages += 1
            body = (await receive())["body"]
            length = [(b"content-length", str(len(body) + 3).encode())]
            await send({"type": "http.response.start", "status": 201, "headers": length})
            await send({"type": "http.response.body", "body": b"re:" + body})
            return
        self.direct += 1
        body = cycle.take_body()
        assert cycle.take_body() is None  # given once, as by `receive`
        if scope["path"] == "/d/wrong":
            cycle.answer(200, [(b"content-length", b"99")], b"short")  # raises: the server closes
        assert cycle.answer(201, [(b"content-type", b"text/plain")], b"re:" + body)
        assert not cycle.answer(200, [], b"again")  # one answer per request


def test_a_direct_answer_is_framed_and_kept_alive_as_sent_answers_are() -> None:
    app = DirectAnswerApp()

    async def main() -> None:
        server, task, port = await _serve(app)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for n in range(3):  # keep-alive: one connection
                r = await client.post("/d/x", content=b"b%d" % n)
                assert (r.status_code, r.content, r.headers["content-length"]) == (201, b"re:b%d" % n, "5")
            head = await client.head("/d/x")
            assert (head.status_code, head.content) == (201, b"")
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post("/d/wrong", content=b"q")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"".join(
                b"POST /d/%d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\np%d" % (n, n) for n in range(3)
            )
            + b"POST /d/last HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz"
        )
        answers = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        server.should_exit = True
        await task
        bodies = [part.split(b"\r\n\r\n", 1)[1] for part in answers.split(b"HTTP/1.1 201 Created")[1:]]
        assert bodies == [b"re:p0", b"re:p1", b"re:p2", b"re:z"]

    asyncio.run(main())
    assert app.direct >= 6 and app.by_messages >= 1  # the pipelined ones queued on uvicorn's path
