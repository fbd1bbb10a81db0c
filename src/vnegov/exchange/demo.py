"""A demo provider behind the gateway (dịch vụ mẫu): echoes what it receives.

`VN/GOV/G22/DVCQG/echo/v1` (seeded) forwards here. It answers the request body unchanged with its
content type, and the X-Road headers the gateway added, so an integrator sees exactly what a provider
receives. It is reachable directly too (it holds no data); the benchmark calls it both ways.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

# Not in the OpenAPI document: one handler for five methods would repeat its operation id, and it is a
# provider behind the gateway, not part of vnegov's API.
router = APIRouter(prefix="/api/v1/exchange/demo", include_in_schema=False)

PASSED = (
    "x-road-client",
    "x-road-service",
    "x-road-id",
    "x-road-request-id",
    "x-road-userid",
    "x-road-issue",
)


@router.api_route(
    "/echo{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    summary="Echo provider (demo): the request body back, and what the gateway told the provider",
)
async def echo(request: Request, path: str = "") -> Response:
    body = await request.body()
    headers = {f"x-echo-{k[2:]}": v for k, v in request.headers.items() if k in PASSED}
    headers["x-echo-method"] = request.method
    headers["x-echo-path"] = path or "/"
    media = request.headers.get("content-type", "application/octet-stream") if body else "text/plain"
    return Response(content=body, media_type=media, headers=headers)
