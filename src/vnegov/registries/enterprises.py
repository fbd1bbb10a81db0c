"""The enterprise registry's service (CSDL quốc gia về đăng ký doanh nghiệp): register, change, search.

The only code that touches the enterprise table. Most of an enterprise's registration is public by
law (Luật Doanh nghiệp 2020 Điều 33); its legal representative's personal ID is not, so it is
returned only under a field grant, and each such read is logged under that person.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import service as catalogs
from vnegov.kernel.clock import now, today_vn
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vnegov.kernel.text import fold, nfc
from vnegov.registries import access, identifiers, population, schemas
from vnegov.registries.access import Accessor
from vnegov.registries.models import Citizen, Enterprise

OWNER = "G12"  # Bộ Tài chính keeps the national business registration database since 2025

TYPES: dict[str, str] = {
    "TNHH1": "Công ty trách nhiệm hữu hạn một thành viên",
    "TNHH2": "Công ty trách nhiệm hữu hạn hai thành viên trở lên",
    "CP": "Công ty cổ phần",
    "HD": "Công ty hợp danh",
    "DNTN": "Doanh nghiệp tư nhân",
    "CN": "Chi nhánh",
    "VPDD": "Văn phòng đại diện",
}
STATUSES = ("active", "suspended", "dissolved", "bankrupt")
_CHANGEABLE = (
    "name_vi",
    "name_en",
    "short_name",
    "head_office_commune",
    "head_office_address",
    "representative_personal_id",
    "charter_capital",
    "business_lines",
    "status",
)


class EnterpriseNotFound(NotFound):
    code = "enterprise_not_found"


def check_official(actor: Principal) -> None:
    if not access.keeps(actor, schemas.ENTERPRISE):
        raise PermissionDenied("only the Ministry of Finance (G12) keeps the enterprise registry")


def _row(session: Session, code: str) -> Enterprise | None:
    return session.scalar(sa.select(Enterprise).where(Enterprise.code == code))


def _field_value(session: Session, row: Enterprise, name: str) -> Any:
    match name:
        case "names":
            return {"vi": row.name_vi, "en": row.name_en, "short": row.short_name}
        case "type":
            return {"code": row.enterprise_type, "name": TYPES.get(row.enterprise_type, "")}
        case "head_office":
            return {"commune": row.head_office_commune, "address": row.head_office_address}
        case "representative":
            return {"personal_id": row.representative_personal_id}
        case "dates":
            return {"registered_on": row.registered_on.isoformat()}
        case "status":
            return {"status": row.status, "since": row.status_since.isoformat()}
        case "branches":
            if len(row.code) != 10:
                return {"parent": identifiers.format_enterprise_code(row.parent_code or "")}
            codes = session.scalars(
                sa.select(Enterprise.code).where(Enterprise.parent_code == row.code).order_by(Enterprise.code)
            )
            return {"branches": [identifiers.format_enterprise_code(c) for c in codes]}
    return getattr(row, name)


def view(
    session: Session, row: Enterprise, fields: tuple[str, ...] = schemas.ENTERPRISE_FIELDS
) -> dict[str, Any]:
    return {
        "code": identifiers.format_enterprise_code(row.code),
        **{f: _field_value(session, row, f) for f in fields},
    }


def look_up(session: Session, accessor: Accessor, code: str, requested: list[str] | None) -> dict[str, Any]:
    """An enterprise by code: public fields for any caller the exchange let through; the
    representative only under a field grant (and that read is logged under the representative)."""
    compact = identifiers.parse_enterprise_code(code, "code")
    granted = access.granted_fields(session, schemas.ENTERPRISE, accessor.client)
    allowed = tuple(dict.fromkeys((*schemas.PUBLIC_ENTERPRISE_FIELDS, *granted)))
    fields = access.choose_fields(allowed, requested, schemas.ENTERPRISE_FIELDS)
    row = _row(session, compact)
    if row is None:
        raise EnterpriseNotFound(f"no enterprise with code {identifiers.format_enterprise_code(compact)}")
    if "representative" in fields and row.representative_personal_id:
        access.log_read(session, accessor, row.representative_personal_id, "enterprise", ["representative"])
    return view(session, row, fields)


def view_by_code(session: Session, code: str, *, actor: Principal) -> dict[str, Any]:
    """The whole registration, for the registry's own officials (reading the representative is
    logged under that person, as the official's read)."""
    check_official(actor)
    compact = identifiers.parse_enterprise_code(code, "code")
    row = _row(session, compact)
    if row is None:
        raise EnterpriseNotFound(f"no enterprise with code {identifiers.format_enterprise_code(compact)}")
    if row.representative_personal_id:
        accessor = Accessor.registry_official(actor)
        access.log_read(session, accessor, row.representative_personal_id, "enterprise", ["representative"])
    return view(session, row)


def search(
    session: Session, q: str, *, status: str | None = None, limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    """Enterprises whose Vietnamese, English or short name contains the words of `q`, ignoring case
    and diacritics ("cong ty an phat" finds "Công ty An Phát"); public fields only."""
    words = fold(q).split()
    if not words or sum(len(w) for w in words) < 3:
        raise InvalidInput("type at least three letters of the name", field="q")
    query = sa.select(Enterprise)
    for word in words:
        query = query.where(Enterprise.name_folded.contains(word, autoescape=True))
    if status is not None:
        if status not in STATUSES:
            raise InvalidInput(f"status is one of {', '.join(STATUSES)}", field="status")
        query = query.where(Enterprise.status == status)
    limit = max(1, min(limit, 100))
    rows = session.scalars(
        query.order_by(Enterprise.name_folded, Enterprise.code).limit(limit + 1).offset(offset)
    )
    found = list(rows)
    fields = ("names", "type", "head_office", "status")
    return {
        "items": [view(session, r, fields) for r in found[:limit]],
        "more": len(found) > limit,
    }


# ----------------------------------------------------------------------------------- writing


def _folded(values: dict[str, Any]) -> str:
    return fold(
        " ".join(v for v in (values.get("name_vi"), values.get("name_en"), values.get("short_name")) if v)
    )


def _check_lines(session: Session, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    clean: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        code = str(line.get("code", ""))
        item = catalogs.get_item(session, "business-lines", code)
        if item is None or item.level != "class":  # lines are registered at VSIC level 4 (ngành cấp 4)
            raise InvalidInput(
                f"{code or '(empty)'} is not a VSIC 2018 class (4 digits)", field=f"business_lines.{i}.code"
            )
        clean.append({"code": code, "main": bool(line.get("main", False))})
    if clean and sum(1 for line in clean if line["main"]) != 1:
        raise InvalidInput("exactly one business line is the main one", field="business_lines")
    return clean


def _check_values(session: Session, values: dict[str, Any], prefix: str = "") -> None:
    if "enterprise_type" in values and values["enterprise_type"] not in TYPES:
        raise InvalidInput(f"enterprise_type is one of {', '.join(TYPES)}", field=f"{prefix}enterprise_type")
    if "head_office_commune" in values:
        item = catalogs.get_item(session, "admin-units", values["head_office_commune"])
        if item is None or item.level != "commune":
            raise InvalidInput("not a commune code valid today", field=f"{prefix}head_office_commune")
    rep = values.get("representative_personal_id")
    if rep is not None:
        identifiers.parse_personal_id(rep, f"{prefix}representative_personal_id")
        person = session.scalar(sa.select(Citizen.status).where(Citizen.personal_id == rep))
        if person != "living":
            raise InvalidInput(
                "the legal representative must be a living citizen in the population registry",
                field=f"{prefix}representative_personal_id",
            )
    if "business_lines" in values:
        values["business_lines"] = _check_lines(session, values["business_lines"])
    if "status" in values and values["status"] not in STATUSES:
        raise InvalidInput(f"status is one of {', '.join(STATUSES)}", field=f"{prefix}status")
    for key in ("name_vi", "name_en", "short_name"):
        if key in values and values[key] is not None:
            values[key] = nfc(" ".join(str(values[key]).split()))


def register(
    session: Session, *, actor: Principal, enterprise_in: schemas.EnterpriseCreate
) -> dict[str, Any]:
    check_official(actor)
    values = enterprise_in.model_dump()
    code = identifiers.parse_enterprise_code(values["code"], "code")
    if _row(session, code) is not None:
        raise Conflict(f"{identifiers.format_enterprise_code(code)} is already registered", field="code")
    parent = code[:10] if len(code) == 13 else None
    if parent is not None and _row(session, parent) is None:
        raise InvalidInput(f"a branch's parent {parent} is not registered", field="code")
    if (values["enterprise_type"] in ("CN", "VPDD")) != (parent is not None):
        raise InvalidInput(
            "branches and representative offices, and only they, have 13-digit codes", field="enterprise_type"
        )
    _check_values(session, values)
    if values["registered_on"] > today_vn():
        raise InvalidInput("the registration date is in the future", field="registered_on")
    row = Enterprise(
        **{**values, "code": code},
        parent_code=parent,
        name_folded=_folded(values),
        status="active",
        status_since=values["registered_on"],
        version=1,
    )
    session.add(row)
    session.flush()
    population.record_history(
        session,
        actor,
        code,
        1,
        "registered",
        "",
        {},
        {"code": code, "name_vi": row.name_vi},
        schemas.ENTERPRISE,
    )
    return view(session, row)


def change(
    session: Session, *, actor: Principal, code: str, change_in: schemas.EnterpriseChange
) -> dict[str, Any]:
    """Change a registration with a reason; a change of status is announced to subscribers."""
    check_official(actor)
    compact = identifiers.parse_enterprise_code(code, "code")
    row = session.scalar(sa.select(Enterprise).where(Enterprise.code == compact).with_for_update())
    if row is None:
        raise EnterpriseNotFound(f"no enterprise with code {identifiers.format_enterprise_code(compact)}")
    changes = dict(change_in.changes)
    unknown = sorted(set(changes) - set(_CHANGEABLE))
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(unknown)} here", field=f"changes.{unknown[0]}")
    if not changes:
        raise InvalidInput("nothing to change", field="changes")
    _check_values(session, changes, "changes.")
    before = {k: _plain(getattr(row, k)) for k in changes}
    for key, value in changes.items():
        setattr(row, key, value)
    after = {k: _plain(getattr(row, k)) for k in changes}
    if before == after:
        raise InvalidInput("the values are already those", field="changes")
    row.version += 1
    row.updated_at = now()
    row.name_folded = fold(" ".join(v for v in (row.name_vi, row.name_en, row.short_name) if v))
    kind = "status" if before.get("status", row.status) != row.status else "changed"
    if kind == "status":
        row.status_since = today_vn()
    population.record_history(
        session, actor, compact, row.version, kind, change_in.reason, before, after, schemas.ENTERPRISE
    )
    if kind == "status":
        payload = {"status": row.status, "since": row.status_since.isoformat(), "version": row.version}
        population.notify(session, schemas.ENTERPRISE, "enterprise.status", compact, payload)
    return view(session, row)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def history(session: Session, code: str) -> list[schemas.ChangeRead]:
    compact = identifiers.parse_enterprise_code(code, "code")
    return population.changes_of(session, schemas.ENTERPRISE, compact)
