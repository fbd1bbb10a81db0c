"""Errors of the data exchange registry (stable `code`s that clients may branch on).

Malformed identifiers raise `vnegov.exchange.identifiers.InvalidIdentifier` (`invalid_identifier`).
"""

from __future__ import annotations

from vnegov.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class MemberNotFound(NotFound):
    code = "member_not_found"

    def __init__(self, member: str) -> None:
        super().__init__(f"member '{member}' is not registered", member=member)


class SubsystemNotFound(NotFound):
    code = "subsystem_not_found"

    def __init__(self, subsystem: str, *, field: str | None = None) -> None:
        extra = {"field": field} if field else {}
        super().__init__(f"subsystem '{subsystem}' is not registered", subsystem=subsystem, **extra)


class ServiceNotFound(NotFound):
    code = "service_not_found"

    def __init__(self, service: str) -> None:
        super().__init__(f"service '{service}' is not registered", service=service)


class OpenApiNotFound(NotFound):
    code = "openapi_not_found"


class AccessRightNotFound(NotFound):
    """Also the answer to an agency asking about another provider's right: it may not know it exists."""

    code = "access_right_not_found"

    def __init__(self, right_id: int) -> None:
        super().__init__(f"access right {right_id} does not exist", access_right=right_id)


class MemberExists(Conflict):
    code = "member_exists"


class SubsystemExists(Conflict):
    code = "subsystem_exists"


class ServiceExists(Conflict):
    code = "service_exists"


class AccessRightExists(Conflict):
    code = "access_right_exists"


class AccessRightRevoked(Conflict):
    code = "access_right_revoked"


class NotPlatformAdmin(PermissionDenied):
    code = "not_platform_admin"


class NotMemberOwner(PermissionDenied):
    """The caller's agency is not the member the subsystem or service belongs to."""

    code = "not_member_owner"


class NotProvider(PermissionDenied):
    """Only the providing agency manages and reads a service's access rights."""

    code = "not_service_provider"


class UnknownAgency(InvalidInput):
    code = "unknown_agency"


class InvalidRegistryInput(InvalidInput):
    code = "invalid_registry_input"
