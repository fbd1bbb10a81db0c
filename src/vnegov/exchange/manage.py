"""The agency's exchange administration page (quản trị kết nối): its systems, services, rights, credentials.

Every form calls the same service functions as the API, so the same checks and audit rows apply: an
agency manages only its own member's systems and services; a platform administrator manages all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from vnegov.exchange import credentials, federation, groups, schemas, service
from vnegov.kernel import web_auth
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import DomainError, InvalidInput
from vnegov.kernel.http import get_db, status_for
from vnegov.kernel.web_auth import PagePrincipal
from vnegov.web.pages import pages_of

router = APIRouter(include_in_schema=False)
PAGE = "/exchange/manage"


def _admin(actor: Principal) -> bool:
    return actor.has_role("platform-admin")


def _mine(actor: Principal, identifier: str) -> bool:
    return _admin(actor) or identifier.startswith(f"VN/GOV/{actor.agency_code}/")


def _render(
    request: Request,
    actor: Principal,
    *,
    notice: str | None = None,
    issued: schemas.CredentialIssued | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    with get_db(request).read() as session:
        subsystems = [s for s in service.list_subsystems(session) if _mine(actor, s.id + "/")]
        services = [
            service.service_detail(session, actor=actor, service=s.service)
            for s in service.list_services(session)
            if _mine(actor, s.service)
        ]
        rights = {
            s.service: service.list_access_rights(session, actor=actor, service=s.service) for s in services
        }
        creds = {s.id: credentials.list_for(session, actor=actor, subsystem=s.id) for s in subsystems}
        my_groups = groups.list_groups(session, actor=actor)
        gateways = federation.list_gateways(session) if _admin(actor) else []
    return pages_of(request).render(
        request,
        "exchange/manage.html",
        status_code=status_code,
        actor=actor,
        admin=_admin(actor),
        subsystems=subsystems,
        services=services,
        rights=rights,
        creds=creds,
        groups=my_groups,
        my_member=f"VN/GOV/{actor.agency_code}",
        gateways=gateways,
        notice=notice,
        issued=issued,
        error=error,
        field=field,
        csrf=web_auth.csrf_token(request.app.state.session_secret, request.cookies.get(web_auth.COOKIE, "")),
    )


@router.get(PAGE)
def manage_page(request: Request, actor: PagePrincipal) -> Response:
    return _render(request, actor)


Action = Callable[[Session, Principal, dict[str, str]], Any]


def _optional(value: str) -> str | None:
    return value.strip() or None


def _number(form: dict[str, str], name: str, kind: type[float] | type[int]) -> Any:
    """An optional number field: None when empty, else the number (a clear error naming the field)."""
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"{name}: {value!r} is not a number", field=name) from None


def _document(form: dict[str, str]) -> dict[str, Any]:
    """The OpenAPI description pasted in the form, as a JSON object."""
    try:
        document = json.loads(form["openapi"])
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"openapi: not JSON ({exc.msg}, line {exc.lineno})", field="openapi") from None
    if not isinstance(document, dict):
        raise InvalidInput("openapi: an OpenAPI description is a JSON object", field="openapi")
    return document


def _group(form: dict[str, str]) -> dict[str, Any]:
    """Which group a form names: kind, code and (local groups) owner."""
    return {"kind": form["kind"], "code": form["code"], "owner": _optional(form.get("owner", ""))}


ACTIONS: dict[str, tuple[Action, str]] = {
    "register-member": (
        lambda s, a, f: service.register_member(
            s,
            actor=a,
            member_in=schemas.MemberCreate(
                member_class=f["member_class"], member_code=f["member_code"], name=f["name"]
            ),
        ),
        "Member registered",
    ),
    "register-subsystem": (
        lambda s, a, f: service.register_subsystem(
            s, actor=a, subsystem_in=schemas.SubsystemCreate(subsystem=f["subsystem"], name=f["name"])
        ),
        "System registered",
    ),
    "register-service": (
        lambda s, a, f: service.register_service(
            s,
            actor=a,
            service_in=schemas.ServiceCreate(
                service=f["service"], title=f["title"], upstream_url=f["upstream_url"]
            ),
        ),
        "Service registered",
    ),
    "grant": (
        lambda s, a, f: service.grant_access(
            s,
            actor=a,
            right_in=schemas.AccessRightCreate(
                service=f["service"],
                client=f["client"],
                method=_optional(f.get("method", "")),
                path=_optional(f.get("path", "")),
                rate_per_second=_number(f, "rate_per_second", float),
                quota_per_day=_number(f, "quota_per_day", int),
            ),
        ),
        "Access right granted",
    ),
    "revoke": (
        lambda s, a, f: service.revoke_access(s, actor=a, right_id=int(f["right_id"])),
        "Access right revoked",
    ),
    "create-group": (
        lambda s, a, f: groups.create_group(
            s,
            actor=a,
            group_in=schemas.GroupCreate(
                kind=f["kind"],  # checked by the schema: local or global
                code=f["code"],
                name=f["name"],
                owner=_optional(f.get("owner", "")),
            ),
        ),
        "Group created",
    ),
    "add-to-group": (
        lambda s, a, f: groups.add_member(s, actor=a, subsystem=f["subsystem"], **_group(f)),
        "System added to the group",
    ),
    "remove-from-group": (
        lambda s, a, f: groups.remove_member(s, actor=a, subsystem=f["subsystem"], **_group(f)),
        "System removed from the group",
    ),
    "move-service": (
        lambda s, a, f: service.move_service(
            s, actor=a, service=f["service"], upstream_url=f["upstream_url"]
        ),
        "Service address changed",
    ),
    "describe-service": (
        lambda s, a, f: service.describe_service(s, actor=a, service=f["service"], openapi=_document(f)),
        "OpenAPI description saved",
    ),
    "register-gateway": (
        lambda s, a, f: federation.register_gateway(
            s,
            actor=a,
            gateway_in=schemas.GatewayCreate(
                code=f["code"],
                name=f["name"],
                role=f["role"],  # checked by the schema: ndxp or lgsp
                address=f["address"],
            ),
        ),
        "Gateway registered",
    ),
    "member-gateway": (
        lambda s, a, f: federation.set_member_gateway(
            s, actor=a, member=f["member"], gateway=_optional(f.get("gateway", ""))
        ),
        "The member's gateway is set",
    ),
    "body-logging": (
        lambda s, a, f: service.set_body_logging(
            s,
            actor=a,
            subsystem=f["subsystem"],
            mode=schemas.BodyLoggingUpdate(body_logging=f["mode"]).body_logging,
        ),
        "Body logging changed",
    ),
    "issue-credentials": (
        lambda s, a, f: credentials.issue(s, actor=a, subsystem=f["subsystem"]),
        "Credentials issued",
    ),
    "revoke-credentials": (
        lambda s, a, f: credentials.revoke(s, actor=a, subsystem=f["subsystem"], client_id=f["client_id"]),
        "Credentials revoked",
    ),
}


@router.post(PAGE + "/{action}")
async def manage_action(request: Request, action: str, actor: PagePrincipal) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    web_auth.check_csrf(request, request.app.state.session_secret, form.get("csrf"))
    if action not in ACTIONS:
        return _render(request, actor, error=f"unknown action {action!r}", status_code=404)
    run, done = ACTIONS[action]
    try:
        with get_db(request).transaction() as session:
            result = run(session, actor, form)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "form"
        return _render(request, actor, error=f"{name}: {first['msg']}", field=name, status_code=422)
    except (KeyError, ValueError) as exc:
        return _render(request, actor, error=f"missing or invalid field: {exc}", status_code=422)
    except DomainError as exc:
        return _render(
            request, actor, error=exc.message, field=exc.data.get("field"), status_code=status_for(exc)
        )
    issued = result if isinstance(result, schemas.CredentialIssued) else None
    return _render(request, actor, notice=done, issued=issued, status_code=201 if issued else 200)
