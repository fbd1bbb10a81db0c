"""For providers behind the gateway (dịch vụ cung cấp qua nền tảng): who delivered this request.

A service that must be reachable only through the data exchange (a base registry) refuses requests
that no gateway delivered. A gateway in the same process names itself in an ASGI scope extension,
which no HTTP client can set; a gateway elsewhere connects with mutual TLS and its `exchange_gateway`
certificate (the server's TLS layer has already checked the chain against the configured CA).
When the provider has the national CA configured, the certificate is also checked against the CA's
CRL (`PeerCheck`, the same check gateways make of each other): a revoked gateway is refused.
The headers the gateway sets (X-Road-Client, X-Road-Id, X-Road-UserId, X-Road-Issue) are then the
gateway's word, not the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vnegov.exchange.gateway.tls import PeerCheck, PeerRefused
from vnegov.exchange.gateway.upstream import DELIVERY_EXTENSION, PEER_EXTENSION
from vnegov.exchange.identifiers import parse_client


def delivering_gateway(scope: Mapping[str, Any], peers: PeerCheck | None = None) -> str | None:
    """The gateway's identifier (`VN/GOV/G22/NDXP`) if a gateway delivered this request, else None.

    `peers` (when the provider knows the national CA) also refuses revoked certificates; it may fetch
    a CRL, so call this off the event loop."""
    extensions = scope.get("extensions") or {}
    in_process = extensions.get(DELIVERY_EXTENSION) or extensions.get(PEER_EXTENSION)
    if in_process:
        return str(in_process)
    chain = (extensions.get("tls") or {}).get("client_cert_chain") or []
    if not chain:
        return None
    code = _gateway_certificate(chain[0])
    if code is None or peers is None:
        return code
    try:
        peer = peers.cached(chain[0]) or peers.identify(chain[0])
    except PeerRefused:
        return None
    return peer.code


def _gateway_certificate(pem: str) -> str | None:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except (ValueError, x509.ExtensionNotFound):
        return None
    # The `exchange_gateway` profile has both usages; a client system's own `tls_client` certificate
    # only clientAuth, so a system cannot bypass its gateway by presenting its certificate here.
    both = ExtendedKeyUsageOID.CLIENT_AUTH in usages and ExtendedKeyUsageOID.SERVER_AUTH in usages
    if not both or not names:
        return None
    code = str(names[0].value)
    try:
        parse_client(code)
    except Exception:
        return None
    return code
