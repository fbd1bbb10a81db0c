"""The corked transport: what is written in one step of the event loop leaves as one write, a large
answer is not held back, and closing sends what was held first. Over a real socket pair; the writes
that reach the socket are counted by wrapping the real transport's `write`."""

from __future__ import annotations

import asyncio
import socket

import httpx
import uvicorn

from vnegov.kernel import serving
from vnegov.kernel.serving import CorkedHttpToolsProtocol, CorkedTransport


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
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", http=CorkedHttpToolsProtocol
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
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
