"""Errors of the signing component (stable codes)."""

from __future__ import annotations

from vnegov.kernel.errors import Conflict, NotFound, PermissionDenied, UpstreamUnavailable


class CertificateNotFound(NotFound):
    code = "certificate_not_found"

    def __init__(self, serial: str) -> None:
        super().__init__(f"certificate {serial} was not issued here", serial=serial)


class AuthorityNotFound(NotFound):
    code = "authority_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"certificate authority '{name}' does not exist", authority=name)


class AlreadyRevoked(Conflict):
    code = "already_revoked"


class NotHolderAgency(PermissionDenied):
    code = "not_holder_agency"


class PkiNotReady(UpstreamUnavailable):
    code = "pki_not_ready"
