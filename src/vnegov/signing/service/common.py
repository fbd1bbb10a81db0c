"""What the signing service's modules share: roles, topics, titles, and small helpers."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

ROOT, GOV, PUBLIC = "root", "gov", "public"
ISSUING = (GOV, PUBLIC)
TSA_ROLE = "tsa"
PLATFORM_ADMIN = "platform-admin"
REGISTRATION_AUTHORITY = "registration-authority"
EVENT_REVOKED = "signing.certificate.revoked"

TITLES = {
    ROOT: ("vnegov Root CA", "ecdsa-p384"),
    GOV: ("vnegov Government CA", None),
    PUBLIC: ("vnegov Public CA", None),
}


def hex_serial(serial: int) -> str:
    return f"{serial:X}"


def pem_of(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
