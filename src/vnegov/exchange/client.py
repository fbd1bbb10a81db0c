"""The exchange client (gọi dịch vụ qua nền tảng tích hợp): a system of this platform calling another
agency's service through a gateway, as every cross-agency call must.

A component acting as its agency's information system (identity as `VN/GOV/G01/VNEID`, the portal as
`VN/GOV/G22/DVCQG`) holds client credentials of that subsystem, gets a token from the gateway's
`POST /token` and calls `/r1/{service}{path}` with it, like any other client system:

    client = for_component(app, "VN/GOV/G01/VNEID")
    r = await client.call(
        "POST", "VN/GOV/G01/DANCU/congDan/v1", "/verify", json={...}, issue=dossier_no, user_id=official
    )
    if r.headers.get("X-Road-Error"): ...  # refused by the gateway (no right, bad request, …)

One seam, the transport: in process (the embedded mode) the request goes through the same gateway code as
an HTTP call (`httpx.ASGITransport` on `app.state.asgi_front`: authenticated, checked against the access
rights, logged), without a socket; otherwise it goes over HTTP(S) to `exchange.gateway_url`. Tests pass
their own `transport`.

What the caller gets:

    httpx.Response                 the answer as it is: the provider's, or the gateway's refusal (4xx with
                                   X-Road-Error); 401 only if a fresh token was refused too
    UpstreamUnavailable            the gateway cannot be reached or did not answer in time, or answered 5xx
     │                             with X-Road-Error (provider down, log unavailable, …): "try later";
     │                             `data` has `service` and `xroad_error`
     └── CredentialsRefused        the gateway refused this system's client credentials (configuration)
    ClientNotConfigured            (not a domain error) no credentials file / no gateway for a component
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp

from vnegov.exchange import schemas
from vnegov.exchange.identifiers import parse_client, parse_service
from vnegov.kernel.errors import UpstreamUnavailable
from vnegov.kernel.settings import Settings

log = logging.getLogger(__name__)

IN_PROCESS_BASE = "http://exchange.in-process"
"""The base URL of in-process calls (no socket: the host is only a name)."""

TOKEN_MARGIN_SECONDS = 60.0
"""A cached token is replaced this long before it expires (at most a tenth of its lifetime)."""


class CredentialsRefused(UpstreamUnavailable):
    """The gateway does not accept this system's client credentials (unknown, revoked, wrong secret)."""

    code = "exchange_credentials_refused"


class ClientNotConfigured(Exception):
    """A component has no credentials file, or no gateway to call through: an operator's task."""


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    renew_at: float  # time.monotonic()


class ExchangeClient:
    """A system of this platform calling services through a gateway (gọi dịch vụ qua nền tảng).

    Exactly one of `app` (in process: the app's `asgi_front`, or the app itself), `gateway_url` (HTTP(S);
    `verify` is the TLS trust: an `ssl.SSLContext` with the national CA, or True for the system's) or
    `transport` (a test's seam; with `gateway_url` as its base if given) says where calls go.
    Use it from one event loop; close it with `aclose()`.
    """

    def __init__(
        self,
        *,
        subsystem: str,
        client_id: str,
        client_secret: str,
        gateway_url: str | None = None,
        app: ASGIApp | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if app is not None and (gateway_url is not None or transport is not None):
            raise ValueError("an in-process client (app) takes no gateway_url or transport")
        if app is None and gateway_url is None and transport is None:
            raise ValueError("say where calls go: app, gateway_url or transport")
        self.subsystem = str(parse_client(subsystem, field="subsystem"))
        self._client_id = client_id
        self._client_secret = client_secret
        if app is not None:
            transport = httpx.ASGITransport(app=app)
        self.gateway = (gateway_url or IN_PROCESS_BASE).rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.gateway, transport=transport, verify=verify, follow_redirects=False
        )
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ExchangeClient({self.subsystem!r} via {self.gateway!r})"

    async def __aenter__(self) -> ExchangeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ calls

    async def call(
        self,
        method: str,
        service: str,
        path: str = "",
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        issue: str | None = None,
        user_id: str | None = None,
        timeout: float = 10.0,
    ) -> httpx.Response:
        """Call `service` (`VN/GOV/G01/DANCU/congDan/v1`) at `path` (`/verify`) through the gateway.

        `issue` and `user_id` are the `X-Road-Issue` (the purpose: a case or dossier number) and
        `X-Road-UserId` (the official or citizen acting) headers. `X-Road-Client` is this system and
        `X-Road-Id` a fresh id, unless `headers` give them. `timeout` bounds each exchange with the
        gateway (token and call). Raises `UpstreamUnavailable` when the service cannot be reached.
        """
        service = str(parse_service(service, field="service"))
        if path and not path.startswith("/"):
            path = "/" + path
        url = f"/r1/{quote(service, safe='/')}{path}"
        sent = httpx.Headers(headers or {})
        sent.setdefault("X-Road-Client", self.subsystem)
        sent.setdefault("X-Road-Id", uuid.uuid4().hex)
        if issue is not None:
            sent["X-Road-Issue"] = issue
        if user_id is not None:
            sent["X-Road-UserId"] = user_id
        request = {"json": json, "content": content, "params": params}
        token = await self._current_token(service, timeout)
        response = await self._send(method, url, sent, token, request, service, timeout)
        if response.status_code == 401 and "x-road-error" in response.headers:
            self._forget(token)  # expired, or the gateway's key or the credential changed: once more
            token = await self._current_token(service, timeout)
            response = await self._send(method, url, sent, token, request, service, timeout)
        error = response.headers.get("x-road-error")
        if response.status_code >= 500 and error:
            raise UpstreamUnavailable(
                f"{service} cannot be reached through the data exchange ({error}): {_detail(response)}",
                service=service,
                xroad_error=error,
                exchange_request_id=response.headers.get("x-road-request-id"),
            )
        return response

    async def _send(
        self,
        method: str,
        url: str,
        headers: httpx.Headers,
        token: str,
        request: dict[str, Any],
        service: str,
        timeout: float,
    ) -> httpx.Response:
        headers = headers.copy()
        headers["Authorization"] = f"Bearer {token}"
        return await self._exchange(
            service, timeout, lambda: self._http.request(method, url, headers=headers, **request)
        )

    async def _exchange(
        self, service: str, timeout: float, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        """One request to the gateway; a network failure or timeout is `UpstreamUnavailable`."""
        try:
            async with asyncio.timeout(timeout):
                return await send()
        except (TimeoutError, httpx.TimeoutException):
            log.warning("exchange gateway %s: no answer within %g s (%s)", self.gateway, timeout, service)
            raise UpstreamUnavailable(
                f"{service} cannot be reached: the data exchange gateway did not answer within {timeout:g} s",
                service=service,
            ) from None
        except httpx.TransportError as exc:
            log.warning("exchange gateway %s cannot be reached (%s): %r", self.gateway, service, exc)
            raise UpstreamUnavailable(
                f"{service} cannot be reached: the data exchange gateway does not answer "
                f"({type(exc).__name__})",
                service=service,
            ) from None

    # ------------------------------------------------------------------ tokens

    def _forget(self, token: str) -> None:
        if self._token is not None and self._token.value == token:
            self._token = None

    async def _current_token(self, service: str, timeout: float) -> str:
        """The cached access token, or a new one from `POST /token` (one request at a time)."""
        cached = self._token
        if cached is not None and time.monotonic() < cached.renew_at:
            return cached.value
        async with self._token_lock:
            cached = self._token
            if cached is not None and time.monotonic() < cached.renew_at:
                return cached.value
            self._token = await self._new_token(service, timeout)
            return self._token.value

    async def _new_token(self, service: str, timeout: float) -> _Token:
        auth = httpx.BasicAuth(quote(self._client_id, safe=""), quote(self._client_secret, safe=""))
        started = time.monotonic()
        r = await self._exchange(
            service,
            timeout,
            lambda: self._http.post("/token", data={"grant_type": "client_credentials"}, auth=auth),
        )
        if r.status_code == 401:
            raise CredentialsRefused(
                f"the data exchange gateway refused the client credentials of {self.subsystem} "
                "(unknown, revoked or wrong secret): issue new ones to this system",
                service=service,
            )
        if r.status_code == 429:
            raise UpstreamUnavailable(
                "the data exchange gateway refuses token requests from here for now (too many failures)",
                service=service,
                retry_after=r.headers.get("retry-after"),
            )
        if r.status_code != 200:
            raise UpstreamUnavailable(
                f"the data exchange gateway's token endpoint answered {r.status_code}", service=service
            )
        try:
            body = r.json()
            value, ttl, client = str(body["access_token"]), float(body["expires_in"]), body.get("client")
        except (ValueError, KeyError, TypeError):
            raise UpstreamUnavailable(
                "the data exchange gateway's token endpoint answered without a token", service=service
            ) from None
        if client is not None and client != self.subsystem:
            raise CredentialsRefused(
                f"these client credentials are {client}'s, not {self.subsystem}'s", service=service
            )
        return _Token(value, started + ttl - min(TOKEN_MARGIN_SECONDS, ttl / 10))


def _detail(response: httpx.Response) -> str:
    """The problem body's message (X-Road REST error), or the status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body.get("description")
        if isinstance(detail, str) and detail:
            return detail[:300]
    return f"HTTP {response.status_code}"


# ---------------------------------------------------------------------- components of this process


def credentials_path(settings: Settings, subsystem: str) -> Path:
    """Where a component keeps its subsystem's client credentials: `data_dir/secrets/exchange-client-…`."""
    name = str(parse_client(subsystem, field="subsystem")).replace("/", "_")
    return settings.data_dir / "secrets" / f"exchange-client-{name}.json"


def write_credentials(path: Path, issued: schemas.CredentialIssued) -> None:
    """Keep issued credentials (mode 0600; replaced atomically) for `for_component` to read."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps(
        {"subsystem": issued.subsystem, "client_id": issued.client_id, "client_secret": issued.client_secret}
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_credentials(path: Path, subsystem: str) -> tuple[str, str]:
    """`(client_id, client_secret)` from a credentials file (`{"client_id", "client_secret"}`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        client_id, secret = data["client_id"], data["client_secret"]
    except FileNotFoundError:
        raise ClientNotConfigured(
            f"{subsystem} has no exchange credentials at {path}: seed the demo data, or issue credentials "
            "to this system and write them there"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ClientNotConfigured(f"{path} is not a credentials file ({exc!r})") from None
    if data.get("subsystem", subsystem) != subsystem:
        raise ClientNotConfigured(f"{path} holds credentials of {data['subsystem']}, not {subsystem}")
    return str(client_id), str(secret)


def for_component(
    app: FastAPI, subsystem: str, credentials_file: Path | None = None, *, settings: Settings | None = None
) -> ExchangeClient:
    """The client of `subsystem` for a component of this app, made at first use and kept on the app.

    Calls go to `exchange.gateway_url` if set (trusting `exchange.tls_ca_file` when given), else through
    the gateway of this process. Credentials come from `credentials_file` (default `credentials_path`).
    Close the clients with `close_clients(app)` when the app stops.
    """
    subsystem = str(parse_client(subsystem, field="subsystem"))
    clients: dict[str, ExchangeClient] | None = getattr(app.state, "exchange_clients", None)
    if clients is None:
        clients = app.state.exchange_clients = {}
    if subsystem in clients:
        return clients[subsystem]
    settings = settings or app.state.settings
    client_id, secret = read_credentials(credentials_file or credentials_path(settings, subsystem), subsystem)
    config = settings.exchange
    if config.gateway_url:
        verify: ssl.SSLContext | bool = True
        if config.tls_ca_file is not None:
            verify = ssl.create_default_context(cafile=str(config.tls_ca_file))
        client = ExchangeClient(
            subsystem=subsystem,
            client_id=client_id,
            client_secret=secret,
            gateway_url=config.gateway_url,
            verify=verify,
        )
    else:
        front = getattr(app.state, "asgi_front", None)
        if front is None:
            raise ClientNotConfigured(
                "no data exchange gateway runs in this process: set exchange.gateway_url"
            )
        client = ExchangeClient(subsystem=subsystem, client_id=client_id, client_secret=secret, app=front)
    clients[subsystem] = client
    return client


async def close_clients(app: FastAPI) -> None:
    """Close the clients `for_component` made for this app (at shutdown)."""
    clients: dict[str, ExchangeClient] = getattr(app.state, "exchange_clients", None) or {}
    app.state.exchange_clients = {}
    for client in clients.values():
        await client.aclose()
