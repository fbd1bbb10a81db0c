"""Mutual TLS between gateways (xác thực hai chiều giữa các cổng): serving, calling, checking peers.

- Serving: uvicorn with the gateway's certificate, asking clients for a certificate but not requiring
  one (client systems may authenticate with tokens instead), and a protocol class that puts the peer's
  certificate into the ASGI scope (`extensions.tls.client_cert_chain`, the ASGI TLS extension), which
  uvicorn does not do by itself.
- Calling: an `ssl.SSLContext` that presents this gateway's certificate and trusts only the national
  CA (`exchange.tls_ca_file`).
- Checking: the TLS layer has verified the chain; `PeerCheck` then reads who the peer is (CN: its
  gateway code; UID=MDDT:<agency>: its operator, which must be the gateway code's member) and refuses a
  revoked certificate, reading the CA's CRL from the URL in the certificate (cached until its next
  update; refetched every `crl_refresh_seconds`). No fresh CRL: refused (fail closed).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vnegov.kernel.serving import CorkedHttpToolsProtocol
from vnegov.kernel.settings import ExchangeSettings


class TlsHttpToolsProtocol(CorkedHttpToolsProtocol):
    """Our httptools protocol, plus the ASGI TLS extension with the client's certificate."""

    _tls: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            self._tls = None
            return
        der = ssl_object.getpeercert(binary_form=True)
        chain = [ssl.DER_cert_to_PEM_cert(der)] if der else []
        self._tls = {"client_cert_chain": chain, "tls_version": ssl_object.version()}

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            extensions: dict[str, Any] = dict(self.scope.get("extensions") or {})
            extensions["tls"] = self._tls
            self.scope["extensions"] = extensions


def server_options(config: ExchangeSettings) -> dict[str, Any]:
    """uvicorn options to serve the gateway over TLS, asking peers for their certificates."""
    if not (config.tls_cert_file and config.tls_key_file):
        return {}
    options: dict[str, Any] = {
        "ssl_certfile": str(config.tls_cert_file),
        "ssl_keyfile": str(config.tls_key_file),
        "http": TlsHttpToolsProtocol,
    }
    if config.tls_ca_file:
        options["ssl_ca_certs"] = str(config.tls_ca_file)
        options["ssl_cert_reqs"] = ssl.CERT_OPTIONAL
    return options


def client_context(config: ExchangeSettings) -> ssl.SSLContext | None:
    """The context for calling other gateways: our certificate, and only the national CA trusted."""
    if not (config.tls_cert_file and config.tls_key_file and config.tls_ca_file):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(config.tls_ca_file))
    context.load_cert_chain(str(config.tls_cert_file), str(config.tls_key_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def provider_context(config: ExchangeSettings) -> ssl.SSLContext | None:
    """The context for calling providers over HTTPS: the usual public CAs and the national CA trusted,
    and our gateway certificate presented, so a provider can accept calls from gateways only (see
    `exchange.provider`). None without TLS settings: the system's trusted CAs apply."""
    if not (config.tls_cert_file and config.tls_key_file and config.tls_ca_file):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.load_verify_locations(cafile=str(config.tls_ca_file))
    context.load_cert_chain(str(config.tls_cert_file), str(config.tls_key_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class PeerRefused(Exception):
    """The peer's certificate does not identify a gateway we may accept (the message says why)."""


@dataclass(frozen=True, slots=True)
class Peer:
    code: str  # VN/GOV/H24/LGSP
    agency: str  # H24
    serial: int


def _uid_agency(cert: x509.Certificate) -> str | None:
    for attribute in cert.subject.get_attributes_for_oid(NameOID.USER_ID):
        value = str(attribute.value)
        if value.startswith("MDDT:"):
            return value[5:]
    return None


def _crl_url(cert: x509.Certificate) -> str | None:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return None
    for point in points:
        for name in point.full_name or []:
            if isinstance(name, x509.UniformResourceIdentifier):
                return str(name.value)
    return None


@dataclass
class _Crl:
    revoked: frozenset[int]
    fetched: float
    next_update: float


class PeerCheck:
    """Who a peer gateway is, from its (already chain-verified) certificate, and that it is not revoked."""

    def __init__(self, ca_file: Path | None, refresh_seconds: float) -> None:
        self.issuers = (
            {c.subject: c for c in x509.load_pem_x509_certificates(ca_file.read_bytes())} if ca_file else {}
        )
        self.refresh_seconds = refresh_seconds
        self._crls: dict[str, _Crl] = {}
        self._peers: dict[str, tuple[Peer, float]] = {}
        self._lock = threading.Lock()

    def cached(self, pem: str) -> Peer | None:
        """A peer identified (and found not revoked) less than `refresh_seconds` ago; else None."""
        hit = self._peers.get(pem)
        if hit is not None and time.time() - hit[1] < self.refresh_seconds:
            return hit[0]
        return None

    def identify(self, pem: str) -> Peer:
        """Blocking (may fetch a CRL): call it off the event loop."""
        cert = x509.load_pem_x509_certificate(pem.encode())
        try:
            usages = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        except x509.ExtensionNotFound:
            usages = []
        if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
            raise PeerRefused("the certificate is not for client authentication")
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        agency = _uid_agency(cert)
        if not names or agency is None:
            raise PeerRefused("the certificate names no gateway (CN) or no operating agency (UID=MDDT:…)")
        self._check_revocation(cert)
        peer = Peer(code=str(names[0].value), agency=agency, serial=cert.serial_number)
        if len(self._peers) > 1000:
            self._peers.clear()
        self._peers[pem] = (peer, time.time())
        return peer

    def _check_revocation(self, cert: x509.Certificate) -> None:
        url = _crl_url(cert)
        if url is None:
            raise PeerRefused("the certificate has no CRL distribution point: its status cannot be checked")
        crl = self._crl(url, cert)
        if cert.serial_number in crl.revoked:
            raise PeerRefused(f"the certificate {cert.serial_number:x} is revoked")

    def _crl(self, url: str, cert: x509.Certificate) -> _Crl:
        now = time.time()
        with self._lock:
            cached = self._crls.get(url)
        if cached and now - cached.fetched < self.refresh_seconds and now < cached.next_update:
            return cached
        try:
            response = httpx.get(url, timeout=5, verify=False)  # a CRL is signed: the channel needs no trust
            response.raise_for_status()
            crl = x509.load_der_x509_crl(response.content)
        except (httpx.HTTPError, ValueError) as exc:
            if cached and now < cached.next_update:
                return cached  # the CA is unreachable, but the last CRL is still current
            raise PeerRefused(f"no current CRL from {url}: {exc}") from exc
        issuer = self.issuers.get(crl.issuer)
        if issuer is None or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            raise PeerRefused(f"the CRL from {url} is not signed by a trusted CA")
        next_update = crl.next_update_utc.timestamp() if crl.next_update_utc else now + self.refresh_seconds
        fresh = _Crl(frozenset(r.serial_number for r in crl), now, next_update)
        with self._lock:
            self._crls[url] = fresh
        return fresh


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()
