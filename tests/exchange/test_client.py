"""The exchange client: a system of this platform calling a service through the gateway in process.

The calls run on their own event loop (`asyncio.run`) through `httpx.ASGITransport` on the app's
gateway front, the transport `vnegov up` uses; the TestClient's loop is not involved.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.conftest import Caller, _free_port
from tests.exchange.conftest import DVCQG, HANOI, GatewayEnv
from vnegov.exchange import logstore, schemas
from vnegov.exchange.client import (
    ClientNotConfigured,
    CredentialsRefused,
    ExchangeClient,
    close_clients,
    credentials_path,
    for_component,
    read_credentials,
    write_credentials,
)
from vnegov.exchange.gateway.tokens import TokenAuthority
from vnegov.kernel.clock import now
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.errors import UpstreamUnavailable

ECHO = "VN/GOV/G22/DVCQG/echo/v1"
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Recording(httpx.AsyncBaseTransport):
    """The in-process transport, noting each path; `tokens` may replace `/token` answers (fakes first)."""

    def __init__(self, app: Any, tokens: list[Callable[[], str]] | None = None) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.paths: list[str] = []
        self.fake_tokens = tokens or []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == "/token" and self.fake_tokens:
            token = self.fake_tokens.pop(0)()
            return httpx.Response(
                200, json={"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
            )
        return await self.inner.handle_async_request(request)

    def count(self, path: str) -> int:
        return sum(p == path for p in self.paths)


def _client(gw: GatewayEnv, subsystem: str = HANOI, transport: Recording | None = None) -> ExchangeClient:
    s = gw.secrets[subsystem]
    return ExchangeClient(
        subsystem=subsystem,
        client_id=s["client_id"],
        client_secret=s["client_secret"],
        transport=transport or Recording(gw.app.state.asgi_front),
    )


def test_a_call_goes_through_the_gateway_and_is_logged(gw: GatewayEnv) -> None:
    async def go() -> httpx.Response:
        async with _client(gw) as client:
            return await client.call(
                "POST", ECHO, "/hello", json={"a": 1}, issue="H24.01-0001", user_id="VN001099012345"
            )

    r = run(go())
    assert r.status_code == 200 and r.json() == {"a": 1}
    assert r.headers["x-echo-road-client"] == HANOI and r.headers["x-echo-path"] == "/hello"
    assert r.headers["x-echo-road-issue"] == "H24.01-0001"
    assert r.headers["x-echo-road-userid"] == "VN001099012345"
    message_id = r.headers["x-road-id"]
    assert len(message_id) == 32  # a fresh uuid4 hex
    with gw.db.transaction() as session:
        page = logstore.search(session, actor=SYSTEM, message_id=message_id)
    [record] = page.items
    assert (record.client, record.service, record.status) == (HANOI, ECHO, 200)
    assert record.issue == "H24.01-0001" and record.request_id == r.headers["x-road-request-id"]


def test_a_given_message_id_is_kept(gw: GatewayEnv) -> None:
    async def go() -> httpx.Response:
        async with _client(gw) as client:
            return await client.call("GET", ECHO, headers={"X-Road-Id": "dossier-42-verify"})

    assert run(go()).headers["x-road-id"] == "dossier-42-verify"


def test_the_token_is_reused_across_calls(gw: GatewayEnv) -> None:
    transport = Recording(gw.app.state.asgi_front)

    async def go() -> list[int]:
        async with _client(gw, transport=transport) as client:
            return [(await client.call("POST", ECHO, content=b"x")).status_code for _ in range(3)]

    assert run(go()) == [200, 200, 200]
    assert transport.count("/token") == 1 and len(transport.paths) == 4


def _expired(gw: GatewayEnv) -> str:
    authority = TokenAuthority.from_data_dir(
        gw.settings.data_dir, issuer=gw.gateway.gateway_id, ttl_seconds=-5
    )
    return authority.issue(HANOI, gw.secrets[HANOI]["client_id"])[0]


@pytest.mark.parametrize("kind", ["expired", "garbage"])
def test_a_refused_token_is_replaced_once(gw: GatewayEnv, kind: str) -> None:
    stale = (lambda: _expired(gw)) if kind == "expired" else (lambda: "not-a-token")
    transport = Recording(gw.app.state.asgi_front, tokens=[stale])

    async def go() -> httpx.Response:
        async with _client(gw, transport=transport) as client:
            return await client.call("POST", ECHO, content=b"x")

    assert run(go()).status_code == 200
    assert transport.paths == ["/token", f"/r1/{ECHO}", "/token", f"/r1/{ECHO}"]


def test_a_second_refusal_is_answered_not_retried_again(gw: GatewayEnv) -> None:
    transport = Recording(gw.app.state.asgi_front, tokens=[lambda: "bad-1", lambda: "bad-2"])

    async def go() -> httpx.Response:
        async with _client(gw, transport=transport) as client:
            return await client.call("POST", ECHO, content=b"x")

    r = run(go())
    assert r.status_code == 401
    assert r.headers["x-road-error"] == "Server.ClientProxy.SslAuthenticationFailed"
    assert transport.count("/token") == 2 and transport.count(f"/r1/{ECHO}") == 2


def test_a_service_without_a_right_gives_the_gateway_refusal(gw: GatewayEnv) -> None:
    async def go() -> httpx.Response:
        async with _client(gw, DVCQG) as client:  # the portal has no right to the echo service
            return await client.call("POST", ECHO, content=b"x")

    r = run(go())
    assert r.status_code == 403 and r.headers["x-road-error"] == "Server.ServerProxy.AccessDenied"
    assert r.json()["code"] == "access_denied"


def test_wrong_credentials_are_a_clear_error(gw: GatewayEnv) -> None:
    client = ExchangeClient(
        subsystem=HANOI,
        client_id=gw.secrets[HANOI]["client_id"],
        client_secret="wrong",
        app=gw.app.state.asgi_front,
    )

    async def go() -> None:
        async with client:
            await client.call("POST", ECHO, content=b"x")

    with pytest.raises(CredentialsRefused, match="refused the client credentials of VN/GOV/H24/LGSP"):
        run(go())


def test_credentials_of_another_system_are_refused(gw: GatewayEnv) -> None:
    s = gw.secrets[DVCQG]
    client = ExchangeClient(
        subsystem=HANOI,
        client_id=s["client_id"],
        client_secret=s["client_secret"],
        app=gw.app.state.asgi_front,
    )

    async def go() -> None:
        async with client:
            await client.call("GET", ECHO)

    with pytest.raises(CredentialsRefused, match="VN/GOV/G22/DVCQG's, not VN/GOV/H24/LGSP's"):
        run(go())


def test_an_unreachable_gateway_is_upstream_unavailable(gw: GatewayEnv) -> None:
    s = gw.secrets[HANOI]
    client = ExchangeClient(
        subsystem=HANOI,
        client_id=s["client_id"],
        client_secret=s["client_secret"],
        gateway_url=f"http://127.0.0.1:{_free_port()}",
    )

    async def go() -> None:
        async with client:
            await client.call("POST", ECHO, json={})

    with pytest.raises(UpstreamUnavailable, match="gateway does not answer") as caught:
        run(go())
    assert caught.value.code == "upstream_unavailable" and caught.value.data["service"] == ECHO


def test_an_unreachable_provider_is_upstream_unavailable_with_the_xroad_error(
    gw: GatewayEnv, g22_operator: Caller
) -> None:
    service = f"{DVCQG}/closedPort/v1"
    r = gw.client.post(
        "/api/v1/exchange/services",
        json={"service": service, "title": "closed", "upstream_url": f"http://127.0.0.1:{_free_port()}"},
        headers=g22_operator.headers,
    )
    assert r.status_code == 201, r.text
    r = gw.client.post(
        "/api/v1/exchange/access-rights",
        json={"service": service, "client": HANOI},
        headers=g22_operator.headers,
    )
    assert r.status_code == 201, r.text

    async def go() -> None:
        try:
            async with _client(gw) as client:
                await client.call("GET", service)
        finally:
            await gw.gateway.upstream.close()  # its connection pool on this event loop

    with pytest.raises(UpstreamUnavailable, match=r"Server\.ServerProxy\.NetworkError") as caught:
        run(go())
    assert caught.value.data["xroad_error"] == "Server.ServerProxy.NetworkError"


def test_a_component_reads_its_credentials_file(gw: GatewayEnv, tmp_path: Path) -> None:
    s = gw.secrets[HANOI]
    path = tmp_path / "secrets" / "hanoi.json"
    issued = schemas.CredentialIssued(
        client_id=s["client_id"], client_secret=s["client_secret"], subsystem=HANOI, created_at=now()
    )
    write_credentials(path, issued)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_credentials(path, HANOI) == (s["client_id"], s["client_secret"])
    with pytest.raises(ClientNotConfigured, match="not VN/GOV/G22/DVCQG"):
        read_credentials(path, DVCQG)
    with pytest.raises(ClientNotConfigured, match="has no exchange credentials"):
        read_credentials(tmp_path / "missing.json", HANOI)
    assert credentials_path(gw.settings, HANOI).name == "exchange-client-VN_GOV_H24_LGSP.json"

    async def go() -> httpx.Response:
        client = for_component(gw.app, HANOI, path)
        assert for_component(gw.app, HANOI, path) is client  # kept on the app
        try:
            return await client.call("POST", ECHO, content=b"from a component")
        finally:
            await close_clients(gw.app)

    r = run(go())
    assert r.status_code == 200 and r.content == b"from a component"


def test_a_component_calls_the_configured_gateway_over_http(gw: GatewayEnv, tmp_path: Path) -> None:
    s = gw.secrets[HANOI]
    path = tmp_path / "hanoi.json"
    write_credentials(
        path,
        schemas.CredentialIssued(
            client_id=s["client_id"], client_secret=s["client_secret"], subsystem=HANOI, created_at=now()
        ),
    )
    remote = gw.settings.exchange.model_copy(update={"gateway_url": f"http://127.0.0.1:{_free_port()}"})
    settings = gw.settings.model_copy(update={"exchange": remote})

    async def go() -> None:
        client = for_component(gw.app, HANOI, path, settings=settings)
        try:
            assert client.gateway == remote.gateway_url
            await client.call("GET", ECHO)
        finally:
            await close_clients(gw.app)

    with pytest.raises(UpstreamUnavailable):
        run(go())
