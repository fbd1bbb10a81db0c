"""The one error hierarchy of vnegov (lỗi nghiệp vụ).

    DomainError(code, message, **data)
     ├── NotFound               the thing does not exist, or the caller may not know it does
     ├── Conflict               the request contradicts the current state (duplicate, retired code, …)
     ├── InvalidInput(field=…)  a value is wrong; `field` names it
 │    └── PayloadTooLarge     an upload over the limit
     ├── Unauthenticated        no or bad credentials
     ├── PermissionDenied       authenticated, but not allowed
     └── UpstreamUnavailable    a system we depend on did not answer

Domain code raises these and never mentions HTTP. `kernel.http` turns them into RFC 9457
problem+json (API) or an error fragment (pages); the CLI turns them into an exit code.
`code` is stable: clients may branch on it; `message` is for people.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.data!r})"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    code = "invalid_input"

    def __init__(self, message: str, *, field: str, code: str | None = None, **data: Any) -> None:
        super().__init__(message, code=code, field=field, **data)
        self.field = field


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class PermissionDenied(DomainError):
    code = "permission_denied"


class UpstreamUnavailable(DomainError):
    code = "upstream_unavailable"


CLI_EXIT_CODES: dict[type[DomainError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    Conflict: 4,
    Unauthenticated: 5,
    PermissionDenied: 5,
    UpstreamUnavailable: 6,
}


def exit_code_for(error: DomainError) -> int:
    """The CLI's exit code for a domain error (1 for anything unlisted)."""
    for cls in type(error).__mro__:
        if cls in CLI_EXIT_CODES:
            return CLI_EXIT_CODES[cls]
    return 1
