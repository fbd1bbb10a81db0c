"""JSON API of the electronic transaction system for agencies' systems and officials."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from vnegov.kernel.http import CurrentPrincipal, ReadSession, WriteSession, get_db
from vnegov.signing import diagnostics, schemas, service
from vnegov.signing.pki_http import signing_context

router = APIRouter(prefix="/api/v1/signing", tags=["signing"])

Serial = Annotated[str, Path(pattern=r"^[0-9A-Fa-f]{1,64}$", description="Serial number (hex)")]


@router.get("/authorities", response_model=list[schemas.AuthorityRead], summary="The CA hierarchy")
def authorities(request: Request, session: ReadSession) -> Any:
    return service.list_authorities(session, signing_context(request))


@router.post(
    "/certificates",
    response_model=schemas.IssuedCertificate,
    status_code=201,
    summary="Request a certificate (from a CSR, or for a key made here)",
)
def request_certificate(
    request_in: schemas.CertificateRequest, request: Request, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return service.request_certificate(
        session, actor=actor, ctx=signing_context(request), request_in=request_in
    )


@router.get("/certificates", response_model=schemas.CertificatePage, summary="Certificates of your agency")
def list_certificates(
    session: ReadSession,
    actor: CurrentPrincipal,
    status: Annotated[Literal["valid", "revoked", "expired"] | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    return service.list_certificates(session, actor=actor, status=status, page=page, page_size=page_size)


@router.get("/certificates/{serial}", response_model=schemas.CertificateRead, summary="One certificate")
def get_certificate(serial: Serial, session: ReadSession, actor: CurrentPrincipal) -> Any:
    return service.access_certificate(session, actor=actor, serial=serial)


@router.post("/certificates/{serial}/revoke", response_model=schemas.CertificateRead, summary="Revoke")
def revoke(
    serial: Serial,
    revoke_in: schemas.Revoke,
    request: Request,
    session: WriteSession,
    actor: CurrentPrincipal,
) -> Any:
    return service.revoke_certificate(
        session, actor=actor, ctx=signing_context(request), serial=serial, revoke_in=revoke_in
    )


@router.post(
    "/certificates/{serial}/renew",
    response_model=schemas.IssuedCertificate,
    status_code=201,
    summary="Renew (same key unless a new CSR is sent)",
)
def renew(
    serial: Serial, renew_in: schemas.Renew, request: Request, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    return service.renew(session, actor=actor, ctx=signing_context(request), serial=serial, renew_in=renew_in)


@router.get("/diagnostics", response_model=schemas.Diagnostics, summary="Is the whole chain working?")
def diagnose(request: Request) -> Any:
    return diagnostics.run(get_db(request), signing_context(request))
