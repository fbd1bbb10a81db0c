"""JSON API of the electronic transaction system for agencies' systems and officials."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from vnegov.kernel.errors import PayloadTooLarge
from vnegov.kernel.http import CurrentPrincipal, ReadSession, WriteSession, get_db
from vnegov.signing import diagnostics, schemas, service, signatures
from vnegov.signing.documents import ValidationReport
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
    session: WriteSession,  # writes the personal-data read log
    actor: CurrentPrincipal,
    status: Annotated[Literal["valid", "revoked", "expired"] | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    return service.list_certificates(session, actor=actor, status=status, page=page, page_size=page_size)


@router.get("/certificates/{serial}", response_model=schemas.CertificateRead, summary="One certificate")
def get_certificate(serial: Serial, session: WriteSession, actor: CurrentPrincipal) -> Any:
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


# --------------------------------------------------------------------------- documents


def limit_upload(request: Request) -> None:
    """Refuse an oversized upload from its Content-Length, before reading a byte of it."""
    declared = request.headers.get("content-length")
    limit = signing_context(request).max_upload + 64 * 1024  # the multipart envelope around the file
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"the upload is larger than the {signing_context(request).max_upload // (1024 * 1024)} MiB limit",
            field="file",
        )


async def read_limited(upload: UploadFile | None, limit: int, field: str) -> bytes | None:
    if upload is None:
        return None
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the file is larger than the {limit // (1024 * 1024)} MiB limit", field=field)
    return data


@router.post(
    "/sign",
    summary="Sign a document with your agency's seal (PDF → PAdES, JSON → JWS, else detached CMS)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "application/jose": {}, "application/pkcs7-signature": {}}}
    },
    dependencies=[Depends(limit_upload)],
)
async def sign(
    request: Request,
    actor: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="The document to sign")],
    format: Annotated[Literal["pades", "jws", "cms"] | None, Form()] = None,
    level: Annotated[Literal["B-B", "B-T", "B-LT"], Form(description="PAdES/CAdES level")] = "B-T",
    detached: Annotated[bool, Form(description="JWS: leave the payload out")] = False,
) -> Response:
    ctx = signing_context(request)
    data = await read_limited(file, ctx.max_upload, "file")
    assert data is not None
    signed = await run_in_threadpool(
        signatures.sign_document,
        get_db(request),
        ctx,
        actor=actor,
        data=data,
        filename=file.filename or "document",
        fmt=format,
        level=level,
        detached=detached,
    )
    return Response(
        signed.content,
        media_type=signed.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{signed.filename}"',
            "X-Signature-Format": signed.format,
            "X-Signature-Level": signed.level,
            "X-Signing-Certificate": signed.certificate_serial,
        },
    )


@router.post(
    "/verify",
    response_model=ValidationReport,
    dependencies=[Depends(limit_upload)],
    summary="Verify a signed document (public): one report for PDF, JWS and CMS",
)
async def verify(
    request: Request,
    file: Annotated[UploadFile, File(description="The signed document (PDF, JWS, .p7s)")],
    detached_content: Annotated[
        UploadFile | None, File(description="The signed file, for a detached signature")
    ] = None,
) -> Any:
    ctx = signing_context(request)
    data = await read_limited(file, ctx.max_upload, "file")
    content = await read_limited(detached_content, ctx.max_upload, "detached_content")
    return await run_in_threadpool(
        signatures.verify, get_db(request), ctx, data=data or b"", detached=content, filename=file.filename
    )
