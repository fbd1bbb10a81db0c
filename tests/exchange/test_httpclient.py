"""The gateway's HTTP client against a server whose every byte the test chooses: framing (length, chunked,
up to the close), reuse, the limit, and what happens when a connection breaks or a call is abandoned."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vnegov.exchange.gateway.httpclient import ConnectFailed, HttpClient, ResponseFailed, TimedOut, TooLarge

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes, bytes], Awaitable[bool]]
"""Answers one request (its head and body); returns False to stop serving the connection."""


class Server:
    """A loopback HTTP/1.1 server: counts connections and requests, answers with `handler`."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                if not await self.handler(reader, writer, head, body):
                    return
        finally:
            self.open_now -= 1
            writer.close()


def answer(body: bytes, *extra: bytes) -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), headers, body)


async def echo(_r: asyncio.StreamReader, w: asyncio.StreamWriter, _head: bytes, body: bytes) -> bool:
    w.write(answer(body, b"Content-Type: application/octet-stream"))
    await w.drain()
    return True


def slow_when(is_slow: Callable[[bytes, bytes], bool]) -> Handler:
    """Echoes, half a second late for the requests `is_slow(head, body)` picks."""

    async def handler(_r: asyncio.StreamReader, w: asyncio.StreamWriter, head: bytes, body: bytes) -> bool:
        if is_slow(head, body):
            await asyncio.sleep(0.5)
        w.write(answer(body))
        await w.drain()
        return True

    return handler


def run(coro: Awaitable[None]) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_answers_are_framed_by_length_and_the_connection_is_reused() -> None:
    async def main() -> None:
        async with Server(echo) as server:
            client = HttpClient(connections=4)
            for n in range(5):
                body = b"x" * (n * 1000)
                r = await client.request(
                    "POST", server.url + "/a?b=c", [("X-Road-Client", "VN/GOV/H24/MCDT")], body
                )
                assert (r.status, r.body) == (200, body)
                assert ("content-type", "application/octet-stream") in r.headers  # names lower-cased
            await client.close()
        assert server.connections == 1  # five calls, one keep-alive connection
        first = server.requests[0]
        assert first.startswith(b"POST /a?b=c HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"\r\nX-Road-Client: VN/GOV/H24/MCDT\r\n" in first
        assert b"\r\nContent-Length: 0\r\n" in first

    run(main())


def test_chunked_and_close_delimited_answers() -> None:
    async def chunked(_r: asyncio.StreamReader, w: asyncio.StreamWriter, _h: bytes, _b: bytes) -> bool:
        w.write(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n")
        w.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        return True

    async def until_close(_r: asyncio.StreamReader, w: asyncio.StreamWriter, _h: bytes, _b: bytes) -> bool:
        w.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it, then the end")
        await w.drain()
        return False

    async def main() -> None:
        async with Server(chunked) as server:
            client = HttpClient(connections=2)
            r = await client.request("GET", server.url + "/", [], b"")
            assert (r.status, r.body) == (201, b"hello world")
            await client.close()
        async with Server(until_close) as server:
            client = HttpClient(connections=2)
            for _ in range(2):  # not reused: the server said it closes
                r = await client.request("GET", server.url + "/", [], b"")
                assert r.body == b"all of it, then the end"
            await client.close()
            assert server.connections == 2

    run(main())


def test_head_and_interim_answers() -> None:
    async def head(_r: asyncio.StreamReader, w: asyncio.StreamWriter, _h: bytes, _b: bytes) -> bool:
        w.write(b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b"", b"X-Note: after a 100"))
        return True

    async def main() -> None:
        async with Server(head) as server:
            client = HttpClient(connections=2)
            r = await client.request("POST", server.url + "/", [], b"body")
            assert (r.status, ("x-note", "after a 100") in r.headers) == (200, True)
            await client.close()

        async def head_only(_r: asyncio.StreamReader, w: asyncio.StreamWriter, _h: bytes, _b: bytes) -> bool:
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")  # HEAD: the length, no body
            return True

        async with Server(head_only) as server:
            client = HttpClient(connections=2)
            r = await asyncio.wait_for(client.request("HEAD", server.url + "/", [], b""), 5)
            assert (r.status, r.body) == (200, b"")
            await client.close()

    run(main())


def test_an_answer_larger_than_allowed_is_refused() -> None:
    async def main() -> None:
        async with Server(echo) as server:
            client = HttpClient(connections=2, max_response_bytes=1000)
            assert (await client.request("POST", server.url, [], b"y" * 1000)).body == b"y" * 1000
            with pytest.raises(TooLarge):
                await client.request("POST", server.url, [], b"y" * 1001)
            await client.close()

    run(main())


def test_a_closed_idle_connection_is_replaced_but_a_post_is_never_sent_twice() -> None:
    """The server reads the second request on a connection and hangs up without answering (what a
    server closing an idle connection looks like from here). A GET is sent again on a new connection;
    a POST fails, because the provider may have acted on it."""

    async def once_per_connection(
        _r: asyncio.StreamReader, w: asyncio.StreamWriter, _h: bytes, body: bytes
    ) -> bool:
        if getattr(w, "answered", False):
            return False  # hang up
        w.answered = True  # type: ignore[attr-defined]
        w.write(answer(body))
        return True

    async def main() -> None:
        async with Server(once_per_connection) as server:
            client = HttpClient(connections=2)
            await client.request("GET", server.url, [], b"")
            r = await client.request("GET", server.url, [], b"")  # reused, hung up, sent again
            assert r.status == 200
            assert (server.connections, len(server.requests)) == (2, 3)
            with pytest.raises(ResponseFailed, match="closed before the answer"):
                await client.request("POST", server.url, [], b"pay once")
            assert len(server.requests) == 4  # the POST reached the server once, and only once
            await client.close()

    run(main())


def test_an_abandoned_call_closes_its_connection() -> None:
    """A call given up (the gateway's timeout) must not leave its late answer to be read as the next
    call's."""

    async def main() -> None:
        async with Server(slow_when(lambda _head, body: body == b"slow")) as server:
            client = HttpClient(connections=2)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):
                    await client.request("POST", server.url, [], b"slow")
            r = await client.request("POST", server.url, [], b"fast")
            assert r.body == b"fast"
            assert server.connections == 2
            await client.close()

    run(main())


def test_a_call_past_its_time_fails_closes_its_connection_and_is_not_retried() -> None:
    """The client's own timeout covers waiting for a free connection and for the answer; a late GET is
    not sent again (a retry is only for a connection found dead before any answer)."""

    async def main() -> None:
        async with Server(slow_when(lambda head, _body: head.startswith(b"GET /slow"))) as server:
            client = HttpClient(connections=1)
            await client.request("GET", server.url + "/fast", [], b"")  # pooled now
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(TimedOut, match="answer"):
                await client.request("GET", server.url + "/slow", [], b"", timeout=0.1)
            assert loop.time() - started < 0.4
            assert sum(r.startswith(b"GET /slow") for r in server.requests) == 1
            r = await client.request("GET", server.url + "/fast", [], b"", timeout=5)
            assert r.status == 200 and server.connections == 2  # the late one's connection was closed

            busy = asyncio.create_task(client.request("GET", server.url + "/slow", [], b""))
            await asyncio.sleep(0.05)
            with pytest.raises(TimedOut, match="connection"):  # the only slot is taken
                await client.request("GET", server.url + "/fast", [], b"", timeout=0.1)
            assert (await busy).status == 200
            await client.close()

    run(main())


def test_calls_in_flight_time_out_each_at_its_own_deadline() -> None:
    """One timer serves every call in flight: a shorter deadline after a longer one is kept, and a
    call that finished leaves no deadline behind."""

    async def main() -> None:
        async with Server(slow_when(lambda head, _body: head.startswith(b"GET /slow"))) as server:
            client = HttpClient(connections=4)
            loop = asyncio.get_running_loop()
            patient = asyncio.create_task(client.request("GET", server.url + "/slow", [], b"", timeout=5))
            await asyncio.sleep(0.02)
            for _ in range(2):  # the second time, after the first deadline fired and the timer moved on
                started = loop.time()
                with pytest.raises(TimedOut, match="answer"):
                    await client.request("GET", server.url + "/slow", [], b"", timeout=0.1)
                assert 0.09 <= loop.time() - started < 0.4
            assert (await patient).status == 200  # its own deadline, five seconds, never came
            fast = await client.request("GET", server.url + "/fast", [], b"", timeout=0.1)
            await asyncio.sleep(0.2)  # past the finished call's deadline: nothing fires on its connection
            assert fast.status == 200 and not client._deadlines
            assert (await client.request("GET", server.url + "/fast", [], b"")).status == 200
            await client.close()

    run(main())


def test_never_more_connections_than_the_limit() -> None:
    async def slow(_r: asyncio.StreamReader, w: asyncio.StreamWriter, _h: bytes, body: bytes) -> bool:
        await asyncio.sleep(0.05)
        w.write(answer(body))
        await w.drain()
        return True

    async def main() -> None:
        async with Server(slow) as server:
            client = HttpClient(connections=2)
            bodies = [str(i).encode() for i in range(8)]
            answers = await asyncio.gather(*(client.request("POST", server.url, [], b) for b in bodies))
            assert [a.body for a in answers] == bodies
            assert server.most_open == 2
            await client.close()

    run(main())


def test_bad_addresses_headers_and_unreachable_servers() -> None:
    async def main() -> None:
        client = HttpClient(connections=2)
        with pytest.raises(ConnectFailed, match="not an http"):
            await client.request("GET", "ftp://example.org/", [], b"")
        with pytest.raises(ResponseFailed, match="line break"):
            await client.request("GET", "http://127.0.0.1:9/", [("X-Evil", "a\r\nInjected: yes")], b"")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound, not listening: refused
            with pytest.raises(ConnectFailed):
                await client.request("GET", f"http://127.0.0.1:{port}/", [], b"")
        await client.close()

    run(main())


def _self_signed(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1, and a client context trusting only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "server.pem", tmp / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


def test_over_tls_connections_are_verified_reused_and_limited(tmp_path: Path) -> None:
    server_tls, trusting = _self_signed(tmp_path)

    async def main() -> None:
        async with Server(echo, tls=server_tls) as server:
            client = HttpClient(connections=3, ssl_context=trusting)
            for n in range(10):
                assert (await client.request("POST", server.url, [], b"%d" % n)).body == b"%d" % n
            assert server.connections == 1  # one handshake for ten calls
            bodies = [b"x%d" % n for n in range(12)]
            answers = await asyncio.gather(*(client.request("POST", server.url, [], b) for b in bodies))
            assert [a.body for a in answers] == bodies
            assert server.most_open <= 3
            await client.close()
            stranger = HttpClient(connections=1)  # the system's CAs: this certificate is not trusted
            with pytest.raises(ConnectFailed, match="CERTIFICATE_VERIFY_FAILED"):
                await stranger.request("GET", server.url, [], b"")
            await stranger.close()

    run(main())
