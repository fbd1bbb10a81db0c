"""Demo members, subsystems, services and access rights, so a newcomer sees a populated directory.

Idempotent: nothing is added when the first demo member is already registered. Names and codes
come from the agencies catalogue (loaded before this component is seeded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from vnegov.components import DEMO_SECRETS
from vnegov.exchange import credentials, schemas, service
from vnegov.kernel.context import Principal
from vnegov.kernel.settings import Settings, get_settings

MEMBERS = (
    ("G01", "Bộ Công an"),
    ("G12", "Bộ Tài chính"),
    ("G22", "Văn phòng Chính phủ"),
    ("H24", "Ủy ban nhân dân thành phố Hà Nội"),
    ("H29", "Ủy ban nhân dân Thành phố Hồ Chí Minh"),
)
SUBSYSTEMS = (
    ("VN/GOV/G01/DANCU", "Cơ sở dữ liệu quốc gia về dân cư"),
    ("VN/GOV/G12/DMDC", "Hệ thống danh mục điện tử dùng chung"),
    ("VN/GOV/G22/DVCQG", "Cổng Dịch vụ công quốc gia"),
    ("VN/GOV/H24/LGSP", "Nền tảng tích hợp, chia sẻ dữ liệu thành phố Hà Nội"),
    ("VN/GOV/H29/LGSP", "Nền tảng tích hợp, chia sẻ dữ liệu Thành phố Hồ Chí Minh"),
)


def seed(
    session: Session,
    actor: Principal,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    if service.list_members(session, instance="VN"):
        return {"members": 0}
    base = (settings or get_settings()).signing.public_base_url.rstrip("/")
    for code, name in MEMBERS:
        service.register_member(
            session,
            actor=actor,
            member_in=schemas.MemberCreate(instance="VN", member_class="GOV", member_code=code, name=name),
        )
    for subsystem, name in SUBSYSTEMS:
        service.register_subsystem(
            session, actor=actor, subsystem_in=schemas.SubsystemCreate(subsystem=subsystem, name=name)
        )
    catalogues = "VN/GOV/G12/DMDC/danhMucDungChung/v1"
    service.register_service(
        session,
        actor=actor,
        service_in=schemas.ServiceCreate(
            service=catalogues,
            title="Danh mục dùng chung (đơn vị hành chính, dân tộc, …)",
            upstream_url=f"{base}/api/v1/catalogs",
        ),
    )
    citizens = "VN/GOV/G01/DANCU/congDan/v1"
    service.register_service(
        session,
        actor=actor,
        service_in=schemas.ServiceCreate(
            service=citizens,
            title="Cơ sở dữ liệu quốc gia về dân cư: xác thực, khai thác thông tin công dân",
            upstream_url=f"{base}/api/v1/registries/population",
        ),
    )
    echo = "VN/GOV/G22/DVCQG/echo/v1"
    service.register_service(
        session,
        actor=actor,
        service_in=schemas.ServiceCreate(
            service=echo,
            title="Dịch vụ mẫu: trả lại nội dung nhận được (echo)",
            upstream_url=f"{base}/api/v1/exchange/demo/echo",
            rate_per_second=100_000,  # the benchmark drives it hard
        ),
    )
    clients = ("VN/GOV/G22/DVCQG", "VN/GOV/H24/LGSP", "VN/GOV/H29/LGSP")
    for client in clients:
        service.grant_access(
            session,
            actor=actor,
            right_in=schemas.AccessRightCreate(service=catalogues, client=client, method="GET"),
        )
        service.grant_access(
            session,
            actor=actor,
            right_in=schemas.AccessRightCreate(
                service=citizens, client=client, method="POST", path="/verify"
            ),
        )
    for client in clients[1:]:
        service.grant_access(
            session, actor=actor, right_in=schemas.AccessRightCreate(service=echo, client=client)
        )
    secrets = [
        credentials.issue(session, actor=actor, subsystem=client).model_dump(mode="json")
        for client in clients
    ]
    return {
        "members": len(MEMBERS),
        "subsystems": len(SUBSYSTEMS),
        "services": 3,
        "access_rights": 8,
        "client_credentials": len(secrets),
        DEMO_SECRETS: secrets,
    }
