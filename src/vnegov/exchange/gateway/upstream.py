"""Forwarding to providers (chuyển tiếp tới hệ thống cung cấp): a pooled HTTP client, or in process.

Providers are reached over HTTP with one keep-alive connection pool per event loop (`httpclient.py`:
the gateway's own lean client; aiohttp cost three times as much CPU per call, httpx more). A provider
served by this same process (its upstream URL starts with the process's own public base URL, as the
demo services do under `vnegov up`) is called in process through the application's ASGI interface:
the same request and response, without a socket — the "in-process transport" of the embedded mode.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable

from starlette.types import ASGIApp, Message

from vnegov.exchange.gateway.httpclient import (
    ConnectFailed,
    HttpClient,
    Response,
    ResponseFailed,
    TimedOut,
    TooLarge,
)
from vnegov.kernel.loops import running_loop

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "authorization",
        "cookie",
    }
)
ANSWER_DROPPED = HOP_BY_HOP | {"date", "server", "set-cookie"}
"""Headers of a provider's (or the next gateway's) answer the gateway does not pass on: the hop-by-hop
ones, cookies, and Date and Server, which our own server gives every answer (passed on as well, each
appeared twice — once more per hop — and Date may appear once, RFC 9110 §6.6.1)."""


PEER_EXTENSION = "vnegov.gateway"
"""The ASGI scope extension naming the calling gateway on the in-process transport."""

DELIVERY_EXTENSION = "vnegov.exchange.delivered_by"
"""The ASGI scope extension naming the gateway that delivered a call to an in-process provider."""


class UpstreamTimeout(Exception):
    """The provider (or next gateway) did not answer within the service's timeout."""


class UpstreamUnreachable(Exception):
    """The provider (or next gateway) could not be reached, or its answer was unusable."""


class Upstream:
    """Sends one request to a provider and reads the whole answer (bounded by `max_response_bytes`)."""

    def __init__(
        self,
        *,
        connections: int,
        local_origin: str | None = None,
        local_app: ASGIApp | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_response_bytes: int = 64 * 1024 * 1024,
        local_peer: str | None = None,
        delivered_by: str | None = None,
        idle_seconds: float = 4.0,
    ) -> None:
        self.connections = connections
        # Providers are any HTTP servers (uvicorn closes idle connections after 5 s); peer gateways keep
        # theirs for `exchange.keep_alive_seconds`, and their pool keeps them a little less long.
        self.idle_seconds = idle_seconds
        self.local_origin = local_origin.rstrip("/") if local_origin else None
        self.local_app = local_app
        self.ssl_context = ssl_context
        self.max_response_bytes = max_response_bytes
        # In process there is no TLS: a gateway calling another in the same process names itself in the
        # scope (an ASGI extension, which no HTTP client can set), as its certificate would.
        self.local_peer = local_peer
        self.delivered_by = delivered_by  # providers in process learn which gateway delivered the call
        self._clients: dict[asyncio.AbstractEventLoop, HttpClient] = {}

    def _client(self) -> HttpClient:
        loop = running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = HttpClient(
                connections=self.connections,
                ssl_context=self.ssl_context,
                max_response_bytes=self.max_response_bytes,
                drop_headers=ANSWER_DROPPED,
                idle_seconds=self.idle_seconds,
            )
        return client

    async def close(self) -> None:
        client = self._clients.pop(running_loop(), None)
        if client is not None:
            await client.close()

    def is_local(self, url: str) -> bool:
        return bool(
            self.local_app is not None
            and self.local_origin
            and (url == self.local_origin or url.startswith(self.local_origin + "/"))
        )

    async def send(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes, timeout: float
    ) -> Response:
        """The provider's (or next gateway's) answer: header names lower-cased, hop-by-hop ones dropped."""
        if not self.is_local(url):
            return await self._send_http(method, url, list(headers), body, timeout)
        try:
            async with asyncio.timeout(timeout):
                return await self._send_local(method, url, list(headers), body)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"no answer from the provider within {timeout:g} s") from exc

    async def _send_http(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, timeout: float
    ) -> Response:
        try:
            answer = await self._client().request(method, url, headers, body, timeout)
        except TimedOut as exc:
            raise UpstreamTimeout(f"no answer from the provider within {timeout:g} s") from exc
        except TooLarge as exc:
            raise UpstreamUnreachable("the provider's answer is larger than the gateway accepts") from exc
        except ConnectFailed as exc:
            raise UpstreamUnreachable(f"cannot reach the provider: {exc}") from exc
        except ResponseFailed as exc:
            raise UpstreamUnreachable(f"the provider's answer was unusable: {exc}") from exc
        return answer  # without `ANSWER_DROPPED` (`drop_headers`); names in lower case

    def _extensions(self) -> dict[str, str]:
        extensions = {}
        if self.local_peer:
            extensions[PEER_EXTENSION] = self.local_peer
        if self.delivered_by:
            extensions[DELIVERY_EXTENSION] = self.delivered_by
        return extensions

    async def _send_local(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        assert self.local_app is not None and self.local_origin is not None
        rest = url[len(self.local_origin) :] or "/"
        path, _, query = rest.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            + [(b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
            "state": {},
            "extensions": self._extensions(),
        }
        sent = False
        status = 500
        out_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # no disconnect while the app is answering
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers", []):
                    name = k.decode("latin-1").lower()  # as the HTTP client gives them
                    if name not in ANSWER_DROPPED:
                        out_headers.append((name, v.decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.local_app(scope, receive, send)
        return Response(status, out_headers, b"".join(chunks))
