"""The exchange registry's domain logic: the only code that touches `exchange.models`.

A package of four modules (`common`, `reads`, `registrations`, `rights`); this module is its door:
what other code calls is re-exported here. Helpers the exchange's own modules share (owners, rows)
are imported from `service.common` by those modules.

Reads take a session and return schemas, never ORM rows. Writes take `actor=`, check who may act
(platform administrators register members; a GOV member's own agency registers its subsystems and
services and manages their access rights), validate, write the change and its audit row (and, for
access rights, an outbox event) in the caller's transaction, and never commit.

Who owns a subsystem or service is read from its identifier (`VN/GOV/<agency code>/...`), before any
lookup: an agency asking about another provider's access rights hears the same answer whether the
service exists or not. COM and ORG members are managed by platform administrators for now.
"""

from __future__ import annotations

from vnegov.exchange.service.common import (
    AGENCIES,
    METHODS,
    PLATFORM_ADMIN,
    REGISTRY_CHANGED,
    TOPIC_GRANTED,
    TOPIC_REVOKED,
    record_change,
)
from vnegov.exchange.service.reads import (
    get_openapi,
    list_members,
    list_services,
    list_subsystems,
    service_name,
)
from vnegov.exchange.service.registrations import (
    describe_service,
    move_service,
    register_member,
    register_service,
    register_subsystem,
    service_detail,
    set_body_logging,
)
from vnegov.exchange.service.rights import (
    GROUP_KINDS,
    access_check,
    check_access,
    grant_access,
    group_row,
    list_access_rights,
    revoke_access,
)

__all__ = [
    "AGENCIES",
    "GROUP_KINDS",
    "METHODS",
    "PLATFORM_ADMIN",
    "REGISTRY_CHANGED",
    "TOPIC_GRANTED",
    "TOPIC_REVOKED",
    "access_check",
    "check_access",
    "describe_service",
    "get_openapi",
    "grant_access",
    "group_row",
    "list_access_rights",
    "list_members",
    "list_services",
    "list_subsystems",
    "move_service",
    "record_change",
    "register_member",
    "register_service",
    "register_subsystem",
    "revoke_access",
    "service_detail",
    "service_name",
    "set_body_logging",
]
