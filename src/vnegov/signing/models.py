"""Tables of the electronic transaction system, private to the signing component."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from vnegov.kernel.db import Base, JSONType, UTCDateTime, utcnow


class Authority(Base):
    """A certificate authority of this platform (tổ chức cung cấp dịch vụ chứng thực): root or intermediate.

    The private key is stored as PKCS#8 encrypted with the platform's key passphrase (never in clear);
    `key_backend` says where the key lives ("file" = the encrypted PEM here; "pkcs11" = an HSM).
    """

    __tablename__ = "signing_authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    parent_name: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    key_pem: Mapped[str] = mapped_column(sa.Text)
    key_backend: Mapped[str] = mapped_column(sa.String(20), default="file")
    crl_number: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuedCertificate(Base):
    """A certificate a CA of this platform issued (chứng thư số), with its status."""

    __tablename__ = "signing_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_hex: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issuer_name: Mapped[str] = mapped_column(sa.String(40), index=True)
    profile: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.Text)
    common_name: Mapped[str] = mapped_column(sa.String(300))
    identifiers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    agency_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(20), default="valid")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    renewal_of: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceKey(Base):
    """The key and certificate of a platform service: an OCSP responder per CA, the TSA."""

    __tablename__ = "signing_service_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(40), unique=True)
    certificate_serial: Mapped[str] = mapped_column(sa.String(64))
    key_pem: Mapped[str] = mapped_column(sa.Text)  # the encrypted PEM, or the HSM key label
    key_backend: Mapped[str] = mapped_column(sa.String(20), default="file", server_default="file")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublishedCrl(Base):
    """A CRL as published (danh sách chứng thư số bị thu hồi): each CA's CRL numbers only grow."""

    __tablename__ = "signing_crl"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_name: Mapped[str] = mapped_column(sa.String(40))
    crl_number: Mapped[int] = mapped_column(sa.Integer)
    this_update: Mapped[datetime] = mapped_column(UTCDateTime)
    next_update: Mapped[datetime] = mapped_column(UTCDateTime)
    der: Mapped[bytes] = mapped_column(sa.LargeBinary)

    __table_args__ = (sa.UniqueConstraint("authority_name", "crl_number", name="uq_signing_crl_number"),)


class SerialCounter(Base):
    """A counter handed out in blocks (e.g. time-stamp serial numbers): values never repeat, even
    across processes and restarts, without a database write per token."""

    __tablename__ = "signing_counter"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    next_value: Mapped[int] = mapped_column(sa.BigInteger)


class Seal(Base):
    """An agency's electronic seal (con dấu điện tử) held by the platform for server-side signing:
    a document-signing certificate of the government CA whose key never leaves this service."""

    __tablename__ = "signing_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    certificate_serial: Mapped[str] = mapped_column(sa.String(64))
    key_pem: Mapped[str] = mapped_column(sa.Text)  # the encrypted PEM, or the HSM key label
    key_backend: Mapped[str] = mapped_column(sa.String(20), default="file", server_default="file")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
