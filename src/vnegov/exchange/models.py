"""Registry tables of the data exchange, private to the exchange component (only `service` touches them).

X-Road's model: a member (instance/class/code) has subsystems (information systems); a subsystem provides
services; an access right lets a client subsystem call a service, whole or one endpoint (method + path).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from vnegov.kernel.db import Base, BigId, UTCDateTime, utcnow


class Gateway(Base):
    """Another gateway of the federation (cổng trao đổi dữ liệu): the NDXP or an LGSP, at `address`.

    `code` names it as its certificate's CN does (`VN/GOV/H24/LGSP`); its operating agency is the
    member code in it. Members served by it have `Member.gateway_id` set; calls to their services are
    forwarded there over mutual TLS.
    """

    __tablename__ = "exchange_gateway"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(1100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    role: Mapped[str] = mapped_column(sa.String(10))
    address: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(Base):
    """A member of the exchange (thành viên): `VN/GOV/<agency code>`, `VN/COM/<enterprise code>`.

    `gateway_id` NULL: its systems connect to this gateway; else to that gateway of the federation.
    """

    __tablename__ = "exchange_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance: Mapped[str] = mapped_column(sa.String(255))
    member_class: Mapped[str] = mapped_column(sa.String(10))
    member_code: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    gateway_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exchange_gateway.id"), nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("instance", "member_class", "member_code", name="uq_exchange_member_id"),
    )


class Subsystem(Base):
    """An information system of a member (hệ thống thông tin), e.g. `VN/GOV/G12/DVC`."""

    __tablename__ = "exchange_subsystem"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_member.id"))
    code: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the message log keeps of calls to this subsystem's services: "full" (bodies too),
    # "metadata" (the record with body hashes), "off" (no record; for public data only).
    body_logging: Mapped[str] = mapped_column(sa.String(10), default="metadata", server_default="metadata")

    __table_args__ = (sa.UniqueConstraint("member_id", "code", name="uq_exchange_subsystem_code"),)


class Service(Base):
    """A service a subsystem provides (dịch vụ chia sẻ dữ liệu): REST with OpenAPI, or SOAP pass-through.

    `version` NULL is an unversioned service; (code, NULL) is kept unique by a partial index
    since NULLs are distinct in unique constraints on both engines.
    """

    __tablename__ = "exchange_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_subsystem.id"))
    service_code: Mapped[str] = mapped_column(sa.String(255))
    version: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(10))
    upstream_url: Mapped[str] = mapped_column(sa.String(2000))
    openapi: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The gateway's limits for this service; NULL: the gateway's configured default.
    max_body_bytes: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    timeout_seconds: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    rate_per_second: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    quota_per_day: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("subsystem_id", "service_code", "version", name="uq_exchange_service_code"),
        # NULLs are distinct in a unique constraint: a partial index makes (code, no version) unique too.
        sa.Index(
            "uq_exchange_service_unversioned",
            "subsystem_id",
            "service_code",
            unique=True,
            sqlite_where=sa.text("version IS NULL"),
            postgresql_where=sa.text("version IS NULL"),
        ),
    )


class Group(Base):
    """A group of client subsystems (nhóm), named in access rights instead of each subsystem.

    `global`: defined by the platform operator for the whole instance (X-Road's global groups, e.g. all
    provincial one-stop systems); `local`: a member's own, used in its own services' rights.
    """

    __tablename__ = "exchange_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    code: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(300))
    owner_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exchange_member.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index("ix_exchange_group_code", "kind", "code"),)


class GroupMember(Base):
    """A subsystem in a group."""

    __tablename__ = "exchange_group_member"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_group.id"), primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_subsystem.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessRight(Base):
    """A client subsystem's (or a group's) right to call a service (quyền truy cập), granted by the provider.

    Exactly one of `client_id` and `group_id` is set.

    No method and no path: the whole service. Otherwise the right covers that method (any if NULL) on
    paths under `path` (any if NULL). A revoked right keeps its row, with `revoked_at` set.
    """

    __tablename__ = "exchange_access_right"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_service.id"))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exchange_subsystem.id"), nullable=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("exchange_group.id"), nullable=True)
    method: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    path: Mapped[str | None] = mapped_column(sa.String(1000), nullable=True)
    # Limits for this client (or group member) only; NULL: the service's.
    rate_per_second: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    quota_per_day: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    granted_by: Mapped[str] = mapped_column(sa.String(200))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        sa.Index("ix_exchange_access_right_lookup", "service_id", "client_id"),
        sa.Index("ix_exchange_access_right_client", "client_id"),
    )


class ClientCredential(Base):
    """A client subsystem's credentials for the gateway's token endpoint (OAuth2 client credentials).

    `client_key` is public (the OAuth2 `client_id`); only the SHA-256 of the secret is kept.
    """

    __tablename__ = "exchange_client_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_subsystem.id"), index=True)
    client_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class QuotaUsage(Base):
    """How much of a client's daily quota for a service (hạn mức lượt gọi trong ngày) the gateway's
    processes have taken: each leases blocks of it here (`exchange.quota`), so that several processes
    of one gateway never hand out more than the quota together. `day` is a day in Việt Nam's time."""

    __tablename__ = "exchange_quota_usage"

    client: Mapped[str] = mapped_column(sa.String(1100), primary_key=True)
    service: Mapped[str] = mapped_column(sa.String(1400), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    leased: Mapped[int] = mapped_column(sa.Integer)


class GatewayProcess(Base):
    """A running process of a gateway (tiến trình của cổng): each announces itself here every few
    seconds (`exchange.processes`), so that the processes of one gateway, on one machine or several,
    know how many they are and share its rate limits between them."""

    __tablename__ = "exchange_gateway_process"

    process_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    gateway_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LogRecord(Base):
    """A stored message-log entry (bản ghi nhật ký thông điệp); see `messagelog.records` for the chain."""

    __tablename__ = "exchange_log_record"

    sequence: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    message_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    query_id: Mapped[str] = mapped_column(sa.String(200))
    client: Mapped[str] = mapped_column(sa.String(1100))
    service: Mapped[str] = mapped_column(sa.String(1400))
    user_id: Mapped[str] = mapped_column(sa.String(200))
    issue: Mapped[str] = mapped_column(sa.String(500))
    request_time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    response_time: Mapped[datetime] = mapped_column(UTCDateTime)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    response_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int] = mapped_column(sa.Integer)
    request_size: Mapped[int] = mapped_column(sa.BigInteger)
    response_size: Mapped[int] = mapped_column(sa.BigInteger)
    gateway_id: Mapped[str] = mapped_column(sa.String(200))
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(sa.Integer)
    # Not part of the chain (`LinkedRecord` ends at `version`): the members of client and service
    # (`identifiers.member_of`), which an agency's records are found by, newest first.
    client_member: Mapped[str] = mapped_column(sa.String(1100), server_default="")
    service_member: Mapped[str] = mapped_column(sa.String(1400), server_default="")

    __table_args__ = (
        sa.Index("ix_exchange_log_record_client_member", "client_member", "sequence"),
        sa.Index("ix_exchange_log_record_service_member", "service_member", "sequence"),
    )


class LogBody(Base):
    """The bodies of a logged call whose provider subsystem logs in full (nội dung thông điệp).

    Written in the same transaction as its `LogRecord`; its hashes are the record's, so an edited body
    is detected by comparing them.
    """

    __tablename__ = "exchange_log_body"

    sequence: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    request_body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    response_body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    request_content_type: Mapped[str] = mapped_column(sa.String(200))
    response_content_type: Mapped[str] = mapped_column(sa.String(200))


class LogArchive(Base):
    """A range of the message log moved to an archive file (lưu trữ nhật ký) after its retention period.

    The database keeps where the range ends (`last_sequence`, `last_hash`): verification of what remains
    starts there, and the archive file verifies on its own from `anchor_*`.
    """

    __tablename__ = "exchange_log_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_sequence: Mapped[int] = mapped_column(sa.BigInteger)
    last_sequence: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    records: Mapped[int] = mapped_column(sa.BigInteger)
    file_name: Mapped[str] = mapped_column(sa.String(500))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LogSeal(Base):
    """A signed, time-stamped seal over the chain head (niêm phong nhật ký)."""

    __tablename__ = "exchange_log_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique both ends: two processes sealing at once start at the same record, so one of them fails.
    first_sequence: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    last_sequence: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    head_hash: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary)
    certificate: Mapped[bytes] = mapped_column(sa.LargeBinary)
    timestamp: Mapped[bytes] = mapped_column(sa.LargeBinary)
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OpmonRecord(Base):
    """Operational monitoring data of one call (dữ liệu giám sát vận hành), X-Road's opmon fields.

    Written in the background in batches, like X-Road's monitoring daemon: a crash may lose the last
    second or two of these (the message log, written before each answer, loses nothing).
    """

    __tablename__ = "exchange_opmon_record"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    monitoring_data_ts: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    security_server_type: Mapped[str] = mapped_column(sa.String(10))
    gateway_id: Mapped[str] = mapped_column(sa.String(200))
    request_in_ts: Mapped[int] = mapped_column(sa.BigInteger)
    request_out_ts: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    response_in_ts: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    response_out_ts: Mapped[int] = mapped_column(sa.BigInteger)
    client: Mapped[str] = mapped_column(sa.String(1100))
    service: Mapped[str] = mapped_column(sa.String(1400))
    message_id: Mapped[str] = mapped_column(sa.String(200))
    message_user_id: Mapped[str] = mapped_column(sa.String(200))
    message_issue: Mapped[str] = mapped_column(sa.String(500))
    message_protocol_version: Mapped[str] = mapped_column(sa.String(10))
    rest_method: Mapped[str] = mapped_column(sa.String(10))
    rest_path: Mapped[str] = mapped_column(sa.String(2000))
    request_size: Mapped[int] = mapped_column(sa.BigInteger)
    response_size: Mapped[int] = mapped_column(sa.BigInteger)
    status_code: Mapped[int] = mapped_column(sa.Integer)
    succeeded: Mapped[bool] = mapped_column(sa.Boolean)
    fault_code: Mapped[str] = mapped_column(sa.String(200))
    fault_string: Mapped[str] = mapped_column(sa.String(2000))
    service_type: Mapped[str] = mapped_column(sa.String(10))
    # As in the log: the members of client and service (`identifiers.member_of`), for owners' queries.
    client_member: Mapped[str] = mapped_column(sa.String(1100), server_default="")
    service_member: Mapped[str] = mapped_column(sa.String(1400), server_default="")

    __table_args__ = (
        sa.Index("ix_exchange_opmon_record_client_member", "client_member", "id"),
        sa.Index("ix_exchange_opmon_record_service_member", "service_member", "id"),
    )
