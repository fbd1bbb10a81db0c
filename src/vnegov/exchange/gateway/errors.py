"""The gateway's errors: an X-Road error type, an HTTP status, an LGSP code and our stable `code`.

Every refusal and failure is one `GatewayError`. It is answered with the X-Road error type in the
`X-Road-Error` header and, on the X-Road paths, an RFC 9457 problem+json body that also carries the
X-Road REST error fields (`xroad_error`, `message`); on the LGSP paths the body is the provincial
platforms' shape (`status` 0, `errorCode`, `errorMessage`; `framework.md` §2.1).

X-Road has no rate limits or quotas; `Server.ClientProxy.RateLimitExceeded` and `...QuotaExceeded` are
ours, named the X-Road way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson


class LgspCode(IntEnum):
    """The error codes of provincial LGSP APIs (Quảng Bình's published guide)."""

    AUTHEN_ERROR = 100
    IP_DISALLOWED = 101
    AGENCY_ID_INCORRECT = 106
    PROVINCE_ID_INCORRECT = 108
    RECORD_UNCOMPLETE = 200
    RECORD_NOT_FOUND = 201
    DATA_TYPE_INVALID = 302
    DATA_INCORRECT = 500


@dataclass(frozen=True, slots=True)
class Kind:
    code: str
    status: int
    xroad: str
    lgsp: LgspCode
    title_vi: str


CLIENT_AUTH = Kind(
    "client_not_authenticated",
    401,
    "Server.ClientProxy.SslAuthenticationFailed",
    LgspCode.AUTHEN_ERROR,
    "Không xác thực được hệ thống gọi",
)
CLIENT_MISMATCH = Kind(
    "client_mismatch",
    403,
    "Server.ClientProxy.SslAuthenticationFailed",
    LgspCode.AGENCY_ID_INCORRECT,
    "X-Road-Client không khớp với thông tin xác thực",
)
MISSING_HEADER = Kind(
    "missing_header", 400, "Client.MissingHeader", LgspCode.RECORD_UNCOMPLETE, "Thiếu trường tiêu đề bắt buộc"
)
BAD_IDENTIFIER = Kind(
    "invalid_identifier", 400, "Client.BadRequest", LgspCode.DATA_TYPE_INVALID, "Định danh không hợp lệ"
)
BAD_METHOD = Kind(
    "invalid_http_method",
    405,
    "Client.InvalidHttpMethod",
    LgspCode.DATA_TYPE_INVALID,
    "Phương thức HTTP không được hỗ trợ",
)
UNKNOWN_CLIENT = Kind(
    "unknown_client",
    403,
    "Server.ClientProxy.UnknownMember",
    LgspCode.AGENCY_ID_INCORRECT,
    "Hệ thống gọi chưa được đăng ký",
)
UNKNOWN_SERVICE = Kind(
    "unknown_service",
    404,
    "Server.ServerProxy.UnknownService",
    LgspCode.PROVINCE_ID_INCORRECT,
    "Dịch vụ chưa được đăng ký",
)
SERVICE_DISABLED = Kind(
    "service_disabled",
    503,
    "Server.ServerProxy.ServiceDisabled",
    LgspCode.DATA_INCORRECT,
    "Dịch vụ đang tạm dừng",
)
ACCESS_DENIED = Kind(
    "access_denied",
    403,
    "Server.ServerProxy.AccessDenied",
    LgspCode.IP_DISALLOWED,
    "Không có quyền gọi dịch vụ này",
)
BODY_TOO_LARGE = Kind(
    "body_too_large", 413, "Client.InvalidBody", LgspCode.DATA_TYPE_INVALID, "Nội dung yêu cầu quá lớn"
)
RATE_LIMITED = Kind(
    "rate_limited",
    429,
    "Server.ClientProxy.RateLimitExceeded",
    LgspCode.IP_DISALLOWED,
    "Vượt giới hạn tần suất gọi",
)
QUOTA_EXCEEDED = Kind(
    "quota_exceeded",
    429,
    "Server.ClientProxy.QuotaExceeded",
    LgspCode.IP_DISALLOWED,
    "Vượt hạn mức gọi trong ngày",
)
NETWORK_ERROR = Kind(
    "upstream_unreachable",
    502,
    "Server.ServerProxy.NetworkError",
    LgspCode.DATA_INCORRECT,
    "Không kết nối được hệ thống cung cấp",
)
UPSTREAM_TIMEOUT = Kind(
    "upstream_timeout",
    504,
    "Server.ServerProxy.ServiceFailed",
    LgspCode.DATA_INCORRECT,
    "Hệ thống cung cấp không trả lời kịp",
)
LOGGING_FAILED = Kind(
    "logging_failed",
    503,
    "Server.ClientProxy.LoggingFailed",
    LgspCode.DATA_INCORRECT,
    "Không ghi được nhật ký thông điệp",
)
TIMESTAMPING_FAILED = Kind(
    "timestamping_failed",
    503,
    "Server.ClientProxy.TimestampingFailed",
    LgspCode.DATA_INCORRECT,
    "Không cấp được dấu thời gian cho nhật ký",
)
NOT_FOUND = Kind("not_found", 404, "Client.NotFound", LgspCode.RECORD_NOT_FOUND, "Không tìm thấy")
INTERNAL = Kind(
    "internal_error", 500, "Server.ClientProxy.InternalError", LgspCode.DATA_INCORRECT, "Lỗi hệ thống"
)


class GatewayError(Exception):
    """A refused or failed call; `field` names the part of the request at fault, when there is one."""

    def __init__(
        self, kind: Kind, message: str, *, field: str | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field
        self.retry_after = retry_after


def error_body(exc: GatewayError, *, lgsp: bool, message_id: str, request_id: str) -> bytes:
    """The body of a refusal: the LGSP shape on the LGSP paths, else problem+json with X-Road's fields."""
    if lgsp:
        return orjson.dumps(
            {
                "status": 0,
                "errorCode": int(exc.kind.lgsp),
                "errorMessage": exc.kind.lgsp.name,
                "description": exc.message,
                "messageId": message_id,
            }
        )
    body: dict[str, Any] = {
        "type": exc.kind.xroad,
        "title": exc.kind.title_vi,
        "status": exc.kind.status,
        "detail": exc.message,
        "message": exc.message,
        "code": exc.kind.code,
        "error_id": request_id,
        "request_id": request_id,
    }
    if exc.field:
        body["field"] = exc.field
    return orjson.dumps(body)
