"""Public pages of the electronic transaction system: verify a signed document; the PKI and its health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from vnegov.kernel import web_auth
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import DomainError
from vnegov.kernel.http import ReadSession, get_db, status_for
from vnegov.kernel.web_auth import PagePrincipal
from vnegov.signing import diagnostics, schemas, service, signatures
from vnegov.signing.api import limit_upload, read_limited
from vnegov.signing.documents.sample import sample_pdf
from vnegov.signing.pki_http import signing_context
from vnegov.web.pages import pages_of

router = APIRouter(include_in_schema=False)


@router.get("/verify")
def verify_form(request: Request) -> Response:
    return pages_of(request).render(request, "signing/verify.html", report=None)


SAMPLE_AGENCY = Principal(subject="system:sample", agency_code="G22", display_name="vnegov sample")


@router.get("/verify/sample.pdf")
async def sample_document(request: Request) -> Response:
    """A sample decision sealed (PAdES B-LT) by the Government Office's demo seal, to try /verify with."""
    signed = await run_in_threadpool(
        signatures.sign_document,
        get_db(request),
        signing_context(request),
        actor=SAMPLE_AGENCY,
        data=sample_pdf("Quyet dinh mau - vnegov sandbox"),
        filename="quyet-dinh-mau.pdf",
        level="B-LT",
    )
    return Response(
        signed.content,
        media_type=signed.media_type,
        headers={"Content-Disposition": f'attachment; filename="{signed.filename}"'},
    )


@router.post("/verify", dependencies=[Depends(limit_upload)])
async def verify_upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    detached_content: Annotated[UploadFile | None, File()] = None,
) -> Response:
    ctx = signing_context(request)
    data = await read_limited(file, ctx.max_upload, "file")
    content = await read_limited(detached_content, ctx.max_upload, "detached_content")
    if content is not None and not content:
        content = None  # the form sends an empty part when no file was chosen
    report = await run_in_threadpool(
        signatures.verify, get_db(request), ctx, data=data or b"", detached=content, filename=file.filename
    )
    return pages_of(request).render(request, "signing/verify.html", report=report)


@router.get("/pki")
def pki_page(request: Request, session: ReadSession) -> Response:
    ctx = signing_context(request)
    authorities = service.list_authorities(session, ctx)
    return pages_of(request).render(
        request, "signing/pki.html", authorities=authorities, base_url=ctx.base_url, health=None
    )


@router.get("/pki/status")
async def pki_status(request: Request) -> Response:
    report = await run_in_threadpool(diagnostics.run, get_db(request), signing_context(request))
    return pages_of(request).render(request, "signing/_status.html", health=report)


# --------------------------------------------------------------------------- for officials (signed in)


def _csrf(request: Request) -> str:
    return web_auth.csrf_token(request.app.state.session_secret, request.cookies.get(web_auth.COOKIE, ""))


def _certificates_page(
    request: Request,
    actor: Principal,
    *,
    issued: schemas.IssuedCertificate | None = None,
    error: str | None = None,
    field: str | None = None,
    status_code: int = 200,
) -> Response:
    with get_db(request).transaction() as session:  # the personal-data read log is written too
        page = service.list_certificates(session, actor=actor, page_size=200)
    return pages_of(request).render(
        request,
        "signing/certificates.html",
        status_code=status_code,
        actor=actor,
        page=page,
        issued=issued,
        error=error,
        field=field,
        csrf=_csrf(request),
    )


@router.get("/signing/certificates")
def certificates_page(request: Request, actor: PagePrincipal) -> Response:
    return _certificates_page(request, actor)


@router.post("/signing/certificates")
def request_certificate_form(
    request: Request,
    actor: PagePrincipal,
    csrf: Annotated[str, Form()],
    profile: Annotated[str, Form()],
    common_name: Annotated[str, Form()] = "",
    identifiers: Annotated[str, Form()] = "",
    dns_names: Annotated[str, Form()] = "",
    csr_pem: Annotated[str, Form()] = "",
    key_passphrase: Annotated[str, Form()] = "",
) -> Response:
    web_auth.check_csrf(request, request.app.state.session_secret, csrf)
    try:
        request_in = schemas.CertificateRequest.model_validate(
            {
                "profile": profile,
                "common_name": common_name or None,
                "identifiers": identifiers.split(),
                "dns_names": dns_names.split(),
                "csr_pem": csr_pem or None,
                "key_passphrase": key_passphrase or None,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "form"
        return _certificates_page(
            request, actor, error=f"{name}: {first['msg']}", field=name, status_code=422
        )
    try:
        with get_db(request).transaction() as session:
            issued = service.request_certificate(
                session, actor=actor, ctx=signing_context(request), request_in=request_in
            )
    except DomainError as exc:
        return _certificates_page(
            request, actor, error=exc.message, field=exc.data.get("field"), status_code=status_for(exc)
        )
    return _certificates_page(request, actor, issued=issued, status_code=201)


@router.post("/signing/certificates/{serial}/revoke")
def revoke_form(
    request: Request,
    serial: str,
    actor: PagePrincipal,
    csrf: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "unspecified",
) -> Response:
    web_auth.check_csrf(request, request.app.state.session_secret, csrf)
    try:
        revoke_in = schemas.Revoke.model_validate({"reason": reason})
        with get_db(request).transaction() as session:
            service.revoke_certificate(
                session, actor=actor, ctx=signing_context(request), serial=serial, revoke_in=revoke_in
            )
    except ValidationError:
        return _certificates_page(
            request, actor, error="reason: not a revocation reason", field="reason", status_code=422
        )
    except DomainError as exc:
        return _certificates_page(request, actor, error=exc.message, status_code=status_for(exc))
    return RedirectResponse("/signing/certificates", status_code=303)
