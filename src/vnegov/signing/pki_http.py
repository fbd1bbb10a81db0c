"""The public face of the PKI: CA certificates, CRLs, OCSP (RFC 6960) and time-stamps (RFC 3161).

These are public by nature: any relying party must be able to check a certificate's status or get
a time-stamp, so they need no authentication (like every CA's distribution points). They carry no
personal data: OCSP and CRLs speak of serial numbers only.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from vnegov.kernel.errors import InvalidInput
from vnegov.kernel.http import ReadSession, get_db
from vnegov.signing import service
from vnegov.signing.context import SigningContext

router = APIRouter(prefix="/pki", tags=["signing: PKI services (public)"])

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
TSQ = "application/timestamp-query"
TSR = "application/timestamp-reply"
MAX_PROTOCOL_BODY = 64 * 1024  # OCSP and TSA requests are a few hundred bytes

AuthorityName = Annotated[str, Path(pattern=r"^[a-z]{2,20}$", description="root, gov or public")]


def signing_context(request: Request) -> SigningContext:
    ctx: SigningContext = request.app.state.signing
    return ctx


async def _body(request: Request, content_type: str) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip() != content_type:
        raise InvalidInput(f"send the request as {content_type}", field="content-type")
    body = await request.body()
    if len(body) > MAX_PROTOCOL_BODY:
        raise InvalidInput("request too large", field="body")
    return body


@router.get("/ca/{name}.crt", summary="A CA certificate (DER), as named in issued certificates")
def ca_certificate(name: AuthorityName, session: ReadSession) -> Response:
    return Response(
        service.authority_certificate(session, name),
        media_type="application/pkix-cert",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/crl/{name}.crl", summary="A CA's current certificate revocation list (DER)")
def crl(name: AuthorityName, request: Request) -> Response:
    der = service.current_crl(get_db(request), signing_context(request), name)
    return Response(der, media_type="application/pkix-crl", headers={"Cache-Control": "public, max-age=300"})


@router.post("/ocsp", summary="OCSP responder (RFC 6960), POST")
async def ocsp_post(request: Request) -> Response:
    body = await _body(request, OCSP_REQUEST)
    return Response(await run_in_threadpool(_ocsp, request, body), media_type=OCSP_RESPONSE)


@router.get("/ocsp/{encoded:path}", summary="OCSP responder (RFC 6960), GET with the base64 request")
async def ocsp_get(encoded: str, request: Request) -> Response:
    try:
        body = base64.b64decode(
            encoded.replace("%2F", "/").replace("%2B", "+").replace("%3D", "="), validate=True
        )
    except (binascii.Error, ValueError):
        body = b""  # answered as malformedRequest by the responder
    return Response(
        await run_in_threadpool(_ocsp, request, body),
        media_type=OCSP_RESPONSE,
        headers={"Cache-Control": "public, max-age=60"},
    )


def _ocsp(request: Request, body: bytes) -> bytes:
    with get_db(request).read() as session:
        return service.ocsp_response(session, signing_context(request), body)


@router.post("/tsa", summary="Time-stamp authority (RFC 3161)")
async def tsa(request: Request) -> Response:
    body = await _body(request, TSQ)
    answer = service.timestamp_response(get_db(request), signing_context(request), body)
    return Response(answer, media_type=TSR)
