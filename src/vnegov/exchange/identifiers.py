"""Identifiers on the data exchange (định danh trên nền tảng tích hợp, chia sẻ dữ liệu).

They follow X-Road: a client is `instance/memberClass/memberCode/subsystem` (e.g. `VN/GOV/G12/DVC`),
a service adds `serviceCode[/version]` (e.g. `VN/GOV/G01/DANCU/congDan/v1`). Member codes are
agencies' electronic ID codes (Decision 20/2020/QĐ-TTg) for GOV, enterprise codes for COM.

Every part may only use the characters X-Road's message protocol allows (PR-MESS §2.7, PR-REST
§4.8): letters A–Z a–z, digits 0–9 and `'()+,-.=?`. That keeps identifiers safe in URL paths and
headers. The provincial LGSP form `VN:GOV:000.00.00.G22:vpcpdvcprovider` (`dstcode`) is read too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from vnegov.kernel.errors import InvalidInput

ALLOWED = re.compile(r"[A-Za-z0-9'()+,\-.=?]+")
MEMBER_CLASSES = ("GOV", "COM", "ORG")
"""GOV: state agencies; COM: enterprises (member code = enterprise code); ORG: other organisations."""
MAX_PART = 255


class InvalidIdentifier(InvalidInput):
    code = "invalid_identifier"


def check_part(value: str, what: str, field: str) -> str:
    """One part of an identifier (instance, member code, subsystem, …), checked for X-Road's characters."""
    if not value:
        raise InvalidIdentifier(f"{what} is missing", field=field)
    if len(value) > MAX_PART:
        raise InvalidIdentifier(f"{what} is longer than {MAX_PART} characters", field=field)
    if not ALLOWED.fullmatch(value):
        bad = sorted({c for c in value if not ALLOWED.fullmatch(c)})
        raise InvalidIdentifier(
            f"{what} {value!r} has characters X-Road does not allow: {' '.join(map(repr, bad))} "
            "(use letters, digits and '()+,-.=?)",
            field=field,
        )
    return value


@dataclass(frozen=True, order=True)
class MemberId:
    """A member of the exchange (thành viên): an agency, an enterprise, an organisation."""

    instance: str
    member_class: str
    member_code: str

    def __str__(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member_code}"


@dataclass(frozen=True, order=True)
class ClientId:
    """An information system of a member (hệ thống thông tin, X-Road subsystem)."""

    instance: str
    member_class: str
    member_code: str
    subsystem: str

    @property
    def member(self) -> MemberId:
        return _member(self.instance, self.member_class, self.member_code)

    def __str__(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member_code}/{self.subsystem}"


@functools.lru_cache(maxsize=4096)
def _member(instance: str, member_class: str, member_code: str) -> MemberId:
    """A member, made once: building a frozen dataclass costs a few µs, and the gateway asks for its
    callers' and providers' members several times a call (not cached on the ClientId itself, where
    serializers that read an instance's __dict__, as orjson does, would find it)."""
    return MemberId(instance, member_class, member_code)


@dataclass(frozen=True, order=True)
class ServiceId:
    """A service a subsystem provides (dịch vụ chia sẻ dữ liệu), optionally versioned."""

    provider: ClientId
    service_code: str
    version: str | None = None

    def __str__(self) -> str:
        tail = f"/{self.version}" if self.version else ""
        return f"{self.provider}/{self.service_code}{tail}"


def member_of(identifier: str) -> str:
    """The member (`VN/GOV/H24`) of a stored client or service identifier, as text; "" when it has fewer
    than three parts. Total on purpose: the message log keeps what a refused caller wrote, too.

    Stored beside a log or monitoring record's client and service, it is what an agency's own records
    are found by (an indexed equality: a prefix match scanned the whole table)."""
    parts = identifier.split("/", 3)
    return "/".join(parts[:3]) if len(parts) >= 3 else ""


def _check_common(instance: str, member_class: str, member_code: str, field: str) -> None:
    check_part(instance, "instance", field)
    check_part(member_class, "member class", field)
    if member_class not in MEMBER_CLASSES:
        raise InvalidIdentifier(
            f"member class {member_class!r} is not one of {', '.join(MEMBER_CLASSES)}", field=field
        )
    check_part(member_code, "member code", field)


def parse_member(value: str, *, field: str = "member") -> MemberId:
    """`VN/GOV/G12` → MemberId."""
    parts = value.strip().strip("/").split("/")
    if len(parts) != 3:
        raise InvalidIdentifier(f"a member is instance/memberClass/memberCode, got {value!r}", field=field)
    _check_common(parts[0], parts[1], parts[2], field)
    return MemberId(parts[0], parts[1], parts[2])


def parse_client(value: str, *, field: str = "client") -> ClientId:
    """`VN/GOV/G12/DVC` (the X-Road-Client header and path form) → ClientId."""
    parts = value.strip().split("/")
    if len(parts) != 4:
        raise InvalidIdentifier(
            f"a client is instance/memberClass/memberCode/subsystem, got {value!r}", field=field
        )
    _check_common(parts[0], parts[1], parts[2], field)
    return ClientId(parts[0], parts[1], parts[2], check_part(parts[3], "subsystem", field))


def parse_service(value: str, *, field: str = "service") -> ServiceId:
    """`VN/GOV/G01/DANCU/congDan[/v1]` → ServiceId."""
    parts = value.strip().strip("/").split("/")
    if len(parts) not in (5, 6):
        raise InvalidIdentifier(
            f"a service is instance/memberClass/memberCode/subsystem/serviceCode[/version], got {value!r}",
            field=field,
        )
    provider = parse_client("/".join(parts[:4]), field=field)
    version = check_part(parts[5], "service version", field) if len(parts) == 6 else None
    return ServiceId(provider, check_part(parts[4], "service code", field), version)


def parse_dstcode(value: str, *, field: str = "dstcode") -> ClientId:
    """The provincial LGSP adapter's `dstcode=VN:GOV:000.00.00.G22:vpcpdvcprovider` → ClientId."""
    parts = value.strip().split(":")
    if len(parts) != 4:
        raise InvalidIdentifier(f"dstcode is INSTANCE:CLASS:MEMBER:SUBSYSTEM, got {value!r}", field=field)
    return parse_client("/".join(parts), field=field)
