"""Metadata services of the gateway: listClients, listMethods, allowedMethods, getOpenAPI.

Two shapes, as the issue asks: X-Road's (PR-META for listClients, PR-MREST for the others: snake_case,
`{"service": [...]}`) and the GovStack Information Mediator's directory API (camelCase, `{"member":
[...]}`), chosen by the caller: `instanceId` instead of `xRoadInstance`, `X-GovStack-Client` instead of
`X-Road-Client`. SOAP services are not listed, as X-Road's REST metadata does not list WSDL services.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.types import Scope, Send

from vnegov.exchange.directory import Directory, Endpoint, Route
from vnegov.exchange.gateway import errors as E
from vnegov.exchange.gateway.errors import GatewayError
from vnegov.exchange.gateway.http import respond_json
from vnegov.exchange.gateway.runtime import Gateway
from vnegov.exchange.identifiers import ClientId


async def list_clients(gw: Gateway, scope: Scope, send: Send) -> None:
    """`GET /listClients`: X-Road PR-META JSON, or the GovStack shape when asked with `instanceId`."""
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode("latin-1")).items()}
    govstack = "instanceId" in query
    instance = query.get("instanceId") or query.get("xRoadInstance") or gw.settings.instance
    directory = await gw.directory()
    out: list[dict[str, Any]] = []
    for entry in directory.members:
        m = entry.member
        if m.instance != instance:
            continue
        if govstack:
            base = {"instanceId": m.instance, "memberClass": m.member_class, "memberCode": m.member_code}
            out.append({"name": entry.name, "id": {"objectType": "MEMBER", **base}})
            out.extend(
                {"name": entry.name, "id": {"objectType": "APPLICATION", **base, "applicationCode": s}}
                for s in entry.subsystems
            )
        else:
            base = {
                "xroad_instance": m.instance,
                "member_class": m.member_class,
                "member_code": m.member_code,
            }
            out.append({"id": {"object_type": "MEMBER", **base}, "name": entry.name})
            out.extend(
                {"id": {"object_type": "SUBSYSTEM", **base, "subsystem_code": s}, "name": entry.name}
                for s in entry.subsystems
            )
    await respond_json(send, 200, {"member": out})


def methods(
    directory: Directory, provider: ClientId, client: str, *, allowed_only: bool, govstack: bool
) -> dict[str, Any]:
    """listMethods (every REST service with its endpoints) or allowedMethods (those `client` may call)."""
    items = []
    for route in sorted(directory.services_of(provider), key=lambda r: str(r.service)):
        if route.kind != "REST":
            continue
        endpoints = route.endpoints_for(client) if allowed_only else _declared_endpoints(route)
        if allowed_only and not endpoints:
            continue
        items.append(_service_item(route, [(e.method or "*", e.path or "**") for e in endpoints], govstack))
    return {"member" if govstack else "service": items}


def openapi_of(directory: Directory, provider: ClientId, code: str) -> dict[str, Any]:
    """getOpenAPI: the OpenAPI description of `provider`'s service `code` (matched as X-Road does)."""
    if not code:
        raise GatewayError(E.BAD_IDENTIFIER, "the serviceCode parameter is required", field="serviceCode")
    chosen = [r for r in directory.services_of(provider) if r.service.service_code.lower() == code.lower()]
    document = next((r.openapi_document() for r in chosen if r.openapi), None)
    if document is None:
        raise GatewayError(
            E.NOT_FOUND, f"service {provider}/{code} has no OpenAPI description", field="serviceCode"
        )
    return document


def _service_item(route: Route, endpoints: list[tuple[str, str]], govstack: bool) -> dict[str, Any]:
    sid = route.service
    p = sid.provider
    kind = "OPENAPI" if route.openapi else "REST"
    code = f"{sid.service_code}/{sid.version}" if sid.version else sid.service_code
    if govstack:
        return {
            "objectType": "SERVICE",
            "serviceType": kind,
            "instanceId": p.instance,
            "memberClass": p.member_class,
            "memberCode": p.member_code,
            "applicationCode": p.subsystem,
            "serviceCode": sid.service_code,
            "serviceVersion": sid.version,
            "endpointList": {"member": [{"method": m, "path": path} for m, path in endpoints]},
        }
    return {
        "member_class": p.member_class,
        "member_code": p.member_code,
        "object_type": "SERVICE",
        "service_code": code,
        "service_type": kind,
        "subsystem_code": p.subsystem,
        "xroad_instance": p.instance,
        "endpoint_list": [{"method": m, "path": path} for m, path in endpoints],
    }


def _declared_endpoints(route: Route) -> list[Endpoint]:
    """What listMethods shows: the OpenAPI operations if described, else one catch-all endpoint."""
    document = route.openapi_document()
    if not document:
        return [Endpoint(None, None)]
    out = []
    for path, operations in (document.get("paths") or {}).items():
        for verb in operations if isinstance(operations, dict) else {}:
            if verb.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                out.append(Endpoint(verb.upper(), path))
    return out or [Endpoint(None, None)]
