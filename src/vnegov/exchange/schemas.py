"""Request and response shapes of the exchange registry (the stable contract other systems use).

Identifiers travel as strings in the X-Road form: a member `VN/GOV/G12`, a subsystem `VN/GOV/G12/DVC`,
a service `VN/GOV/G12/DVC/traCuuHoSo/v1`. They are checked by the service (`identifiers.py`), which
names the offending field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MemberClass = Literal["GOV", "COM", "ORG"]
ServiceKind = Literal["REST", "SOAP"]
ID_MAX = 1100  # six parts of at most 255 characters, with slashes


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberCreate(Strict):
    instance: str = Field("VN", max_length=255, description="X-Road instance, e.g. 'VN'")
    member_class: MemberClass = Field(description="GOV: state agency; COM: enterprise; ORG: other")
    member_code: str = Field(max_length=255, description="Agency electronic ID code (GOV), e.g. 'G12'")
    name: str = Field(min_length=1, max_length=300)


class MemberRead(BaseModel):
    id: str = Field(description="VN/GOV/G12")
    instance: str
    member_class: str
    member_code: str
    name: str
    subsystems: list[str] = Field(default_factory=list, description="Subsystem identifiers")
    created_at: datetime


class SubsystemCreate(Strict):
    subsystem: str = Field(max_length=ID_MAX, description="VN/GOV/G12/DVC; the member must be registered")
    name: str = Field(min_length=1, max_length=300)


BodyLogging = Literal["full", "metadata", "off"]


class SubsystemRead(BaseModel):
    id: str = Field(description="VN/GOV/G12/DVC")
    member: str
    code: str
    name: str
    status: str
    body_logging: str = Field("metadata", description="What the log keeps of calls to its services")
    created_at: datetime


class BodyLoggingUpdate(Strict):
    body_logging: BodyLogging = Field(
        description="full: bodies too; metadata: the record with body hashes; off: no record (public data)"
    )


class ServiceCreate(Strict):
    service: str = Field(
        max_length=ID_MAX, description="VN/GOV/G12/DVC/traCuuHoSo[/v1]; the subsystem must be registered"
    )
    title: str = Field(min_length=1, max_length=300)
    kind: ServiceKind = "REST"
    upstream_url: str = Field(max_length=2000, description="Where the provider's gateway forwards calls")
    openapi: dict[str, Any] | None = Field(None, description="OpenAPI description (REST)")
    max_body_bytes: int | None = Field(None, gt=0, description="Largest request body; none: gateway default")
    timeout_seconds: float | None = Field(None, gt=0, le=600, description="Provider timeout; none: default")
    rate_per_second: float | None = Field(None, gt=0, description="Calls/s per client; none: default")
    quota_per_day: int | None = Field(None, gt=0, description="Calls per client per day; none: default")


class ServiceMove(Strict):
    upstream_url: str = Field(max_length=2000, description="The provider's new address")


class ServiceRead(BaseModel):
    """A service as the public directory shows it (no upstream address)."""

    id: int
    service: str = Field(description="VN/GOV/G12/DVC/traCuuHoSo/v1")
    provider: str = Field(description="The providing subsystem, VN/GOV/G12/DVC")
    service_code: str
    version: str | None
    title: str
    kind: str
    status: str
    has_openapi: bool
    created_at: datetime


class ServiceDetail(ServiceRead):
    """A service as its provider sees it."""

    upstream_url: str
    max_body_bytes: int | None = None
    timeout_seconds: float | None = None
    rate_per_second: float | None = None
    quota_per_day: int | None = None


class AccessRightCreate(Strict):
    service: str = Field(max_length=ID_MAX, description="VN/GOV/G12/DVC/traCuuHoSo/v1")
    client: str = Field(
        max_length=ID_MAX,
        description="The client subsystem (VN/GOV/H24/LGSP) or a group: global:<code>, local:<code>",
    )
    method: str | None = Field(None, max_length=10, description="GET, POST, PUT, PATCH, DELETE; none: any")
    path: str | None = Field(None, max_length=1000, description="Path prefix starting with '/'; none: any")
    rate_per_second: float | None = Field(None, gt=0, description="This client's rate; none: the service's")
    quota_per_day: int | None = Field(
        None, gt=0, description="This client's daily quota; none: the service's"
    )


class AccessRightRead(BaseModel):
    id: int
    service: str
    client: str
    method: str | None
    path: str | None
    rate_per_second: float | None = None
    quota_per_day: int | None = None
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None


class AccessCheck(BaseModel):
    client: str
    service: str
    method: str
    path: str
    allowed: bool


class CredentialIssued(BaseModel):
    """Client credentials for the gateway's token endpoint; the secret is shown only once."""

    client_id: str = Field(description="OAuth2 client_id (public)")
    client_secret: str = Field(description="OAuth2 client_secret: store it now, it is not shown again")
    subsystem: str
    created_at: datetime


class CredentialRead(BaseModel):
    client_id: str
    subsystem: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


GatewayRole = Literal["ndxp", "lgsp"]


class GatewayCreate(Strict):
    """Another gateway of the federation, as this gateway knows it."""

    code: str = Field(max_length=ID_MAX, description="Its name, its certificate's CN: VN/GOV/H24/LGSP")
    name: str = Field(min_length=1, max_length=300)
    role: GatewayRole = Field(description="ndxp: the national platform; lgsp: a ministry's or province's")
    address: str = Field(max_length=2000, description="Its base URL, https://lgsp.hanoi.gov.vn:8443")


class GatewayRead(BaseModel):
    code: str
    name: str
    role: str
    address: str
    members: list[str] = Field(default_factory=list, description="Members whose systems it serves")
    created_at: datetime


class MemberGateway(Strict):
    gateway: str | None = Field(None, max_length=ID_MAX, description="A gateway code; none: this gateway")


class LogRecordRead(BaseModel):
    """A message log record as a reader may see it (nhật ký thông điệp)."""

    sequence: int
    message_id: str
    request_id: str = Field(description="This gateway's id for the call (X-Road-Request-Id)")
    client: str
    service: str
    user_id: str = Field(description="X-Road-UserId; masked unless the reader is the client's agency")
    user_id_masked: bool
    issue: str
    request_time: datetime
    response_time: datetime
    duration_ms: float
    status: int
    request_size: int
    response_size: int
    request_hash: str
    response_hash: str
    gateway_id: str
    hash: str


class LogPage(BaseModel):
    items: list[LogRecordRead]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")


class GroupCreate(Strict):
    """A group of client subsystems to grant access rights to at once."""

    kind: Literal["global", "local"] = Field(
        description="global: the platform operator's, for every provider; local: your member's own"
    )
    code: str = Field(max_length=255, description="e.g. 'mot-cua-cap-tinh'")
    name: str = Field(min_length=1, max_length=300)
    owner: str | None = Field(
        None, max_length=ID_MAX, description="Local groups: the owning member, VN/GOV/H24"
    )


class GroupRead(BaseModel):
    id: str = Field(description="How access rights name it: global:<code> or local:<code>")
    kind: str
    code: str
    name: str
    owner: str | None
    members: list[str]
    created_at: datetime


class GroupMembership(Strict):
    subsystem: str = Field(max_length=ID_MAX, description="VN/GOV/H24/MCDT")


class LoggedBodies(BaseModel):
    """The bodies of a call logged in full, as stored with its record (base64)."""

    sequence: int
    request_body_base64: str
    response_body_base64: str
    request_content_type: str
    response_content_type: str
    matches_record: bool = Field(description="Their SHA-256 hashes equal the chained record's")
