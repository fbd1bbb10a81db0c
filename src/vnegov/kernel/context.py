"""Who is acting, and for which request (ngữ cảnh yêu cầu).

`Principal` is the authenticated caller that services receive explicitly (`actor=`); the request id
lives in a context variable so that logs and audit rows carry it without threading it everywhere.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass, field

from vnegov.kernel.errors import PermissionDenied

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


@dataclass(frozen=True)
class Principal:
    """An authenticated caller acting for an agency (cơ quan).

    `subject` identifies the caller ("apikey:<id>", later a user or a system); `agency_code` is the
    agency it acts for (electronic ID code, Decision 20/2020/QĐ-TTg); `roles` are platform roles
    such as "platform-admin".
    """

    subject: str
    agency_code: str
    display_name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_platform_admin(self) -> bool:
        return bool({"platform-admin", "system"} & self.roles)

    def holds(self, role: str, agency_code: str) -> bool:
        """Whether the caller holds `role` within `agency_code` (vai trò trong cơ quan): an official of that
        agency with that role, or a platform administrator, who holds every role everywhere."""
        return self.is_platform_admin or (
            bool(agency_code) and self.agency_code == agency_code and role in self.roles
        )

    def require(self, role: str, agency_code: str) -> None:
        """PermissionDenied unless `holds(role, agency_code)`: the helper components' pages and APIs use."""
        if not self.holds(role, agency_code):
            raise PermissionDenied(
                f"this needs the {role} role in agency {agency_code}", role=role, agency_code=agency_code
            )


SYSTEM = Principal(subject="system", agency_code="", display_name="vnegov", roles=frozenset({"system"}))
