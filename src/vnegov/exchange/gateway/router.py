"""The gateway's HTTP interface (cổng an ninh): X-Road REST, the LGSP style, tokens and metadata.

Served in front of the application (an ASGI wrapper: these paths never reach FastAPI's routing):

- `POST /token`: OAuth2 client credentials (RFC 6749 §4.4; HTTP Basic or form), as provincial LGSPs
  issue tokens; answers a signed client token (`tokens.py`).
- `{METHOD} /r1/{instance}/{class}/{member}/{subsystem}/{service}[/{version}][/path]` with
  `Authorization: Bearer` and `X-Road-Client`: the X-Road message protocol for REST. Optional
  `X-Road-Id`, `X-Road-UserId`, `X-Road-Issue`; answers carry `X-Road-Id`, `X-Road-Request-Id`,
  `X-Road-Request-Hash`, `X-Road-Client`, `X-Road-Service`, or `X-Road-Error` on failure.
- `{METHOD} /XrdAdapter/RestService/forward/{service}[/path]?dstcode=VN:GOV:G01:DANCU`: the adapter
  path provincial systems call today (`framework.md` §2.1); failures answer the LGSP error body.
- `GET /listClients` (also `/r1/listClients`) and `GET /r1/{subsystem}/listMethods|allowedMethods|
  getOpenAPI?serviceCode=`: X-Road's metadata protocol (PR-META, PR-MREST) and, when the caller uses
  the `X-GovStack-Client` header or `instanceId` parameter, the GovStack Information Mediator shapes.

Each call is a `proxy.Call`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from vnegov.exchange.gateway import metadata, token_endpoint
from vnegov.exchange.gateway.http import respond_json
from vnegov.exchange.gateway.proxy import LGSP_PREFIX, Call
from vnegov.exchange.gateway.runtime import Gateway


class GatewayRouter:
    """Serves the gateway's paths; passes every other request to `app`.

    `tiers` are other gateways of the same process (the embedded mode's LGSPs), each served under its
    path prefix (`/lgsp/h24/r1/...`, `/lgsp/h24/token`).
    """

    # Paths whose small requests our HTTP server may hand over whole, skipping uvicorn's request cycle
    # (`vnegov.kernel.serving`, "the direct path"): the calls, where a gateway spends its time.
    direct_prefixes = (b"/r1/", LGSP_PREFIX.encode())

    def __init__(self, app: ASGIApp, gateway: Gateway, tiers: dict[str, Gateway] | None = None) -> None:
        self.app = app
        self.gw = gateway
        self.tiers = tiers or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            for prefix, tier in self.tiers.items():
                if path.startswith(prefix + "/"):
                    raw_path = scope.get("raw_path") or path.encode("latin-1")
                    inner = {
                        **scope,
                        "path": path[len(prefix) :],
                        "raw_path": raw_path[len(prefix) :],
                        "root_path": scope.get("root_path", "") + prefix,
                    }
                    if not await _dispatch(tier, inner, receive, send):
                        await respond_json(send, 404, {"detail": "not a gateway path"})
                    return
            if await _dispatch(self.gw, scope, receive, send):
                return
        await self.app(scope, receive, send)


async def _dispatch(gw: Gateway, scope: Scope, receive: Receive, send: Send) -> bool:
    """Serve `scope` if it is one of the gateway's paths; False if it is not."""
    path: str = scope["path"]
    if path.startswith("/r1/"):
        if path in ("/r1/listClients", "/r1/listClients/"):
            await metadata.list_clients(gw, scope, send)
        else:
            await Call(gw, scope, receive, send, lgsp=False).run()
    elif path.startswith(LGSP_PREFIX):
        await Call(gw, scope, receive, send, lgsp=True).run()
    elif path == "/token":
        await token_endpoint.token(gw, scope, receive, send)
    elif path == "/listClients":
        await metadata.list_clients(gw, scope, send)
    else:
        return False
    return True
