"""Demo data of the base registries, and their services on the data exchange.

Registers the population and enterprise services on the exchange (with OpenAPI descriptions made
from this component's own routes), access rights and field grants for the demo client systems, a
few named demo people and enterprises (the README uses them), and a small synthetic population.
Idempotent: nothing is added when the first demo citizen exists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from vnegov.exchange import schemas as exchange_schemas
from vnegov.exchange import service as exchange
from vnegov.kernel.context import Principal
from vnegov.kernel.settings import Settings, get_settings
from vnegov.registries import access, api, enterprises, govstack, population, schemas

POPULATION_SERVICE = "VN/GOV/G01/DANCU/congDan/v1"
ENTERPRISE_SUBSYSTEM = "VN/GOV/G12/DKDN"
ENTERPRISE_SERVICE = f"{ENTERPRISE_SUBSYSTEM}/doanhNghiep/v1"
PORTAL, HANOI, HCMC = "VN/GOV/G22/DVCQG", "VN/GOV/H24/LGSP", "VN/GOV/H29/LGSP"

# A family in Hà Nội (commune 00004, phường Ba Đình) that the README and the tests use.
DEMO_PEOPLE: tuple[dict[str, Any], ...] = (
    {"personal_id": "001060000101", "family_name": "Nguyễn", "middle_name": "Văn", "given_name": "Bình",
     "birth_date": "1960-03-15", "sex": "1", "household_code": "HN-0004-000001"},
    {"personal_id": "001163000102", "family_name": "Trần", "middle_name": "Thị", "given_name": "Lan",
     "birth_date": "1963-08-02", "sex": "2", "household_code": "HN-0004-000001",
     "household_relation": "Vợ", "spouse_personal_id": "001060000101"},
    {"personal_id": "001090000103", "family_name": "Nguyễn", "middle_name": "Văn", "given_name": "An",
     "birth_date": "1990-05-20", "sex": "1", "household_code": "HN-0004-000001", "household_relation": "Con",
     "father_personal_id": "001060000101", "mother_personal_id": "001163000102"},
    {"personal_id": "001195000104", "family_name": "Nguyễn", "middle_name": "Thị", "given_name": "Mai",
     "birth_date": "1995-11", "sex": "2", "household_code": "HN-0004-000001", "household_relation": "Con",
     "father_personal_id": "001060000101", "mother_personal_id": "001163000102"},
)  # fmt: skip
DEMO_ENTERPRISE = {
    "code": "9900000016",  # made up for the demo (valid check digit)
    "name_vi": "Công ty Cổ phần Dịch vụ An Phát",
    "name_en": "An Phat Services Joint Stock Company",
    "short_name": "AN PHAT JSC",
    "enterprise_type": "CP",
    "head_office_commune": "00004",
    "head_office_address": "Số 1 phố Điện Biên Phủ",
    "representative_personal_id": "001090000103",
    "charter_capital": 5_000_000_000,
    "business_lines": [{"code": "6201", "main": True}, {"code": "6202", "main": False}],
    "registered_on": date(2015, 4, 1),
}


def provider_openapi(prefix: str, title: str) -> dict[str, Any]:
    """The OpenAPI description of one registry's exchange-facing routes, paths relative to the service."""
    app = FastAPI(title=title, version="1")
    base = f"{api.router.prefix}{prefix}"
    for route in (*api.router.routes, *govstack.router.routes):
        if getattr(route, "path", "").startswith(base):
            app.router.routes.append(route)
    document = app.openapi()
    document["paths"] = {path.removeprefix(base) or "/": spec for path, spec in document["paths"].items()}
    return document


def _services(session: Session, actor: Principal, base: str) -> None:
    population_doc = provider_openapi("/population", "CSDL quốc gia về dân cư (population registry)")
    exchange.describe_service(session, actor=actor, service=POPULATION_SERVICE, openapi=population_doc)
    exchange.register_subsystem(
        session,
        actor=actor,
        subsystem_in=exchange_schemas.SubsystemCreate(
            subsystem=ENTERPRISE_SUBSYSTEM, name="Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp"
        ),
    )
    exchange.register_service(
        session,
        actor=actor,
        service_in=exchange_schemas.ServiceCreate(
            service=ENTERPRISE_SERVICE,
            title="Tra cứu thông tin đăng ký doanh nghiệp",
            upstream_url=f"{base}/api/v1/registries/enterprise",
            openapi=provider_openapi(
                "/enterprise", "CSDL quốc gia về đăng ký doanh nghiệp (enterprise registry)"
            ),
        ),
    )
    rights = [
        (POPULATION_SERVICE, PORTAL, "GET", "/citizens"),
        (POPULATION_SERVICE, PORTAL, "POST", "/kinship"),
        (POPULATION_SERVICE, HANOI, "GET", "/citizens"),
        (POPULATION_SERVICE, HANOI, "GET", "/notifications"),
        *((POPULATION_SERVICE, client, "POST", "/soap") for client in (PORTAL, HANOI, HCMC)),
        # The GovStack Digital Registries shape (any method: refused writes reach the registry's answer).
        (POPULATION_SERVICE, PORTAL, None, "/govstack/data/population"),
        (POPULATION_SERVICE, HANOI, None, "/govstack/data/population"),
        (POPULATION_SERVICE, PORTAL, "GET", "/govstack/data/mypersonalDataUsage"),
        (POPULATION_SERVICE, PORTAL, "GET", "/govstack/data/MyPersonalDataUsage"),
        *((ENTERPRISE_SERVICE, client, "GET", None) for client in (PORTAL, HANOI, HCMC)),
        *(
            (ENTERPRISE_SERVICE, client, None, "/govstack/data/enterprises")
            for client in (PORTAL, HANOI, HCMC)
        ),
    ]
    for service, client, method, path in rights:
        exchange.grant_access(
            session,
            actor=actor,
            right_in=exchange_schemas.AccessRightCreate(
                service=service, client=client, method=method, path=path
            ),
        )
    portal_fields = [
        "full_name",
        "birth_date",
        "sex",
        "permanent_residence",
        "current_residence",
        "household",
    ]
    grants = [
        (schemas.POPULATION, PORTAL, portal_fields),
        (schemas.POPULATION, HANOI, ["full_name", "birth_date", "permanent_residence", "status"]),
        (schemas.ENTERPRISE, PORTAL, ["representative"]),
    ]  # fmt: skip
    for database, client, fields in grants:
        access.set_grant(
            session,
            actor=actor,
            grant_in=schemas.FieldGrantSet(
                database=database,
                client=client,
                fields=fields,
                legal_basis="Nghị định 47/2024/NĐ-CP; Quyết định 06/QĐ-TTg (demo)",
            ),
        )


def seed(
    session: Session,
    actor: Principal,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    if population._row(session, DEMO_PEOPLE[0]["personal_id"]) is not None:
        return {"citizens": 0}
    base = (settings or get_settings()).signing.public_base_url.rstrip("/")
    _services(session, actor, base)
    for person in DEMO_PEOPLE:
        values = {"permanent_commune": "00004", "permanent_address": "Số 12 phố Đội Cấn",
                  "birth_place_commune": "00004", "hometown_commune": "00004", **person}  # fmt: skip
        population.register(session, actor=actor, citizen_in=schemas.CitizenCreate(**values))
    enterprises.register(session, actor=actor, enterprise_in=schemas.EnterpriseCreate(**DEMO_ENTERPRISE))
    return {"citizens": len(DEMO_PEOPLE), "enterprises": 1, "services": 2}
