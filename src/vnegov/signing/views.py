"""Public pages of the electronic transaction system: verify a signed document; the PKI and its health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from vnegov.kernel.http import ReadSession, get_db
from vnegov.signing import diagnostics, service, signatures
from vnegov.signing.api import limit_upload, read_limited
from vnegov.signing.pki_http import signing_context
from vnegov.web.pages import pages_of

router = APIRouter(include_in_schema=False)


@router.get("/verify")
def verify_form(request: Request) -> Response:
    return pages_of(request).render(request, "signing/verify.html", report=None)


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
