"""The population registry's service (CSDL quốc gia về dân cư): register, correct, verify, read, kinship.

The only code that touches the citizen tables. Reads for other systems arrive through the data
exchange (`api.py` checks that); each one passes an `Accessor` and leaves a `DataAccess` row, so the
person can see who looked at their data, why, and which fields.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.catalogs import service as catalogs
from vnegov.kernel import audit, outbox
from vnegov.kernel.clock import now
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vnegov.kernel.text import fold, nfc
from vnegov.registries import access, identifiers, schemas
from vnegov.registries.access import Accessor
from vnegov.registries.models import Citizen, Household, Notification, RecordChange

OWNER = "G01"  # Bộ Công an runs the population registry
STATUSES = ("living", "deceased")
_CATALOGUE_FIELDS = {
    "sex": "sexes",
    "ethnicity": "ethnic-groups",
    "religion": "religions",
    "nationality": "nationalities",
}
_COMMUNE_FIELDS = ("birth_place_commune", "hometown_commune", "permanent_commune", "current_commune")
_RELATIVE_FIELDS = ("father_personal_id", "mother_personal_id", "spouse_personal_id")


class CitizenNotFound(NotFound):
    code = "citizen_not_found"


def check_official(actor: Principal) -> None:
    """Only the registry's own agency (or the platform's administrator) writes to it."""
    if not access.keeps(actor, schemas.POPULATION):
        raise PermissionDenied("only the Ministry of Public Security (G01) keeps the population registry")


# ---------------------------------------------------------------------------------- reading out


def full_name(row: Citizen) -> str:
    return " ".join(p for p in (row.family_name, row.middle_name, row.given_name) if p)


def same_name(recorded: str, stated: str) -> bool:
    """Names compare ignoring case and spacing but not diacritics: "An" and "Ân" are different names."""
    return nfc(" ".join(recorded.split())).casefold() == nfc(" ".join(stated.split())).casefold()


def birth_date(row: Citizen) -> identifiers.PartialDate:
    return identifiers.PartialDate(row.birth_year, row.birth_month, row.birth_day)


def _household(session: Session, row: Citizen) -> dict[str, Any] | None:
    if row.household_id is None:
        return None
    household = session.get(Household, row.household_id)
    if household is None:
        return None
    return {"code": household.code, "head": household.head_personal_id, "relation": row.household_relation}


def _field_value(session: Session, row: Citizen, name: str) -> Any:
    match name:
        case "full_name":
            return {
                "family": row.family_name,
                "middle": row.middle_name,
                "given": row.given_name,
                "text": full_name(row),
            }
        case "birth_date":
            return str(birth_date(row))
        case "birth_place":
            return {"commune": row.birth_place_commune, "text": row.birth_place}
        case "hometown":
            return {"commune": row.hometown_commune}
        case "permanent_residence":
            return {"commune": row.permanent_commune, "address": row.permanent_address}
        case "current_residence":
            return {"commune": row.current_commune, "address": row.current_address}
        case "parents":
            return {"father": row.father_personal_id, "mother": row.mother_personal_id}
        case "spouse":
            return row.spouse_personal_id
        case "household":
            return _household(session, row)
        case "status":
            return {
                "status": row.status,
                "death_date": row.death_date.isoformat() if row.death_date else None,
            }
    return getattr(row, name)


def record_view(
    session: Session, row: Citizen, fields: tuple[str, ...] = schemas.POPULATION_FIELDS
) -> dict[str, Any]:
    return {"personal_id": row.personal_id, **{f: _field_value(session, row, f) for f in fields}}


def _row(session: Session, personal_id: str) -> Citizen | None:
    return session.scalar(sa.select(Citizen).where(Citizen.personal_id == personal_id))


def get_record(session: Session, *, actor: Principal, personal_id: str) -> dict[str, Any]:
    """The whole record, for the registry's own officials (the read is logged as theirs)."""
    check_official(actor)
    pid = identifiers.parse_personal_id(personal_id).value
    row = _row(session, pid)
    if row is None:
        raise CitizenNotFound(f"no citizen with personal ID {pid}")
    access.log_read(session, Accessor.registry_official(actor), pid, "view", list(schemas.POPULATION_FIELDS))
    return record_view(session, row)


def history(session: Session, *, actor: Principal, personal_id: str) -> list[schemas.ChangeRead]:
    check_official(actor)
    return changes_of(session, schemas.POPULATION, identifiers.parse_personal_id(personal_id).value)


def changes_of(session: Session, database: str, key: str) -> list[schemas.ChangeRead]:
    rows = session.scalars(
        sa.select(RecordChange)
        .where(RecordChange.database == database, RecordChange.record_key == key)
        .order_by(RecordChange.version)
    )
    return [schemas.ChangeRead.model_validate(r, from_attributes=True) for r in rows]


def search(
    session: Session, *, actor: Principal, q: str, birth_year: int | None = None, limit: int = 50
) -> list[schemas.CitizenSummary]:
    """Officials' search: a personal ID, or a name (diacritics folded) and optionally a birth year."""
    check_official(actor)
    text = q.strip()
    query = sa.select(Citizen)
    if text.isdigit():
        query = query.where(Citizen.personal_id == text)
    else:
        folded = fold(text)
        if len(folded) < 2:
            raise InvalidInput("type at least two letters of the name", field="q")
        query = query.where(
            Citizen.name_folded.startswith(folded) | Citizen.name_folded.contains(f" {folded}")
        )
    if birth_year is not None:
        query = query.where(Citizen.birth_year == birth_year)
    rows = session.scalars(query.order_by(Citizen.name_folded, Citizen.personal_id).limit(min(limit, 200)))
    return [
        schemas.CitizenSummary(
            personal_id=r.personal_id,
            full_name=full_name(r),
            birth_date=str(birth_date(r)),
            sex=r.sex,
            permanent_commune=r.permanent_commune,
            status=r.status,
        )
        for r in rows
    ]


# ---------------------------------------------------------------------- services on the exchange


def verify(session: Session, accessor: Accessor, query: schemas.VerifyCitizen) -> bool:
    """Match or not, like XacThucThongTinCongDan: never says which part differed, nor whether the ID
    exists (a mismatch and an unknown ID answer the same)."""
    pid = identifiers.parse_personal_id(query.personal_id).value
    stated = identifiers.parse_partial_date(query.birth_date)
    row = _row(session, pid)
    match = row is not None and same_name(full_name(row), query.full_name) and birth_date(row).matches(stated)
    access.log_read(session, accessor, pid, "verify", ["full_name", "birth_date"], found=row is not None)
    return match


def read(
    session: Session, accessor: Accessor, personal_id: str, requested: list[str] | None
) -> dict[str, Any]:
    """The fields the caller may read: its grant, plus what the person consented to for it.

    Asking for a field beyond that is refused before the record is looked up, so the refusal does not
    reveal whether the person exists.
    """
    pid = identifiers.parse_personal_id(personal_id).value
    allowed = access.allowed_fields(session, schemas.POPULATION, accessor.client, pid, requested)
    fields = access.choose_fields(allowed, requested, schemas.POPULATION_FIELDS)
    row = _row(session, pid)
    access.log_read(session, accessor, pid, "read", list(fields), found=row is not None)
    if row is None:
        raise CitizenNotFound(f"no citizen with personal ID {pid}")
    return record_view(session, row, fields)


def verify_name(session: Session, accessor: Accessor, personal_id: str, name: str) -> bool:
    """The SOAP shape's check (ID and name only: that request carries no date of birth)."""
    pid = identifiers.parse_personal_id(personal_id, "SoDinhDanh").value
    row = _row(session, pid)
    access.log_read(session, accessor, pid, "verify", ["full_name"], found=row is not None)
    return row is not None and same_name(full_name(row), name)


def _related(row: Citizen, other: Citizen, relation: str) -> bool:
    match relation:
        case "father":
            return row.father_personal_id == other.personal_id
        case "mother":
            return row.mother_personal_id == other.personal_id
        case "parent":
            return other.personal_id in (row.father_personal_id, row.mother_personal_id)
        case "child":
            return row.personal_id in (other.father_personal_id, other.mother_personal_id)
        case "spouse":
            return row.spouse_personal_id == other.personal_id and other.spouse_personal_id == row.personal_id
        case "sibling":
            shared = {row.father_personal_id, row.mother_personal_id} & {
                other.father_personal_id,
                other.mother_personal_id,
            }
            return row.personal_id != other.personal_id and bool(shared - {None})
    return False


def verify_kinship(session: Session, accessor: Accessor, query: schemas.KinshipQuery) -> bool:
    """Whether `relative_personal_id` is the person's `relation` (XacMinhThongTinNhanThan); both reads
    are logged under each person."""
    pid = identifiers.parse_personal_id(query.personal_id).value
    other_pid = identifiers.parse_personal_id(query.relative_personal_id, "relative_personal_id").value
    row, other = _row(session, pid), _row(session, other_pid)
    for subject, found in ((pid, row), (other_pid, other)):
        access.log_read(session, accessor, subject, "kinship", ["parents", "spouse"], found=found is not None)
    return row is not None and other is not None and _related(row, other, query.relation)


# ----------------------------------------------------------------------------------- writing


def _check_catalogue(session: Session, field: str, code: str) -> None:
    if catalogs.get_item(session, _CATALOGUE_FIELDS[field], code) is None:
        raise InvalidInput(f"{code} is not in the {_CATALOGUE_FIELDS[field]} catalogue", field=field)


def _check_commune(session: Session, field: str, code: str | None) -> None:
    if code is None:
        return
    item = catalogs.get_item(session, "admin-units", code)
    if item is None or item.level != "commune":
        raise InvalidInput(f"{code} is not a commune code valid today", field=field)


def _check_relative(session: Session, field: str, pid: str | None, own: str) -> None:
    if pid is None:
        return
    identifiers.parse_personal_id(pid, field)
    if pid == own:
        raise InvalidInput("a person is not their own relative", field=field)
    if _row(session, pid) is None:
        raise InvalidInput(f"no citizen with personal ID {pid}", field=field)


def _validate(session: Session, values: dict[str, Any], own: str) -> None:
    for field in _CATALOGUE_FIELDS:
        if field in values:
            _check_catalogue(session, field, values[field])
    for field in _COMMUNE_FIELDS:
        if field in values:
            _check_commune(session, field, values[field])
    for field in _RELATIVE_FIELDS:
        if field in values:
            _check_relative(session, field, values[field], own)


def _names(values: dict[str, Any]) -> None:
    for key in ("family_name", "middle_name", "given_name"):
        if key in values:
            values[key] = nfc(" ".join(str(values[key]).split()))


def _snapshot(row: Citizen, keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        if key == "birth_date":
            out[key] = str(birth_date(row))
        else:
            value = getattr(row, key)
            out[key] = value.isoformat() if isinstance(value, date) else value
    return out


def register(session: Session, *, actor: Principal, citizen_in: schemas.CitizenCreate) -> dict[str, Any]:
    """Add a citizen (đăng ký công dân): every code checked against its catalogue, the ID against the
    sex and year of birth."""
    check_official(actor)
    values = citizen_in.model_dump()
    _names(values)
    born = identifiers.parse_partial_date(values.pop("birth_date"))
    pid = identifiers.check_personal_id(values["personal_id"], sex=values["sex"], birth_year=born.year).value
    values["personal_id"] = pid
    if _row(session, pid) is not None:
        raise Conflict(f"personal ID {pid} is already registered", field="personal_id")
    _validate(session, values, pid)
    household_code = values.pop("household_code")
    household_id = _household_id(session, household_code, pid, values) if household_code else None
    row = Citizen(
        **values,
        birth_year=born.year,
        birth_month=born.month,
        birth_day=born.day,
        name_folded=fold(f"{values['family_name']} {values['middle_name']} {values['given_name']}"),
        household_id=household_id,
        status="living",
        version=1,
    )
    session.add(row)
    session.flush()
    after = _snapshot(row, ["personal_id", "family_name", "middle_name", "given_name", "birth_date"])
    record_history(session, actor, row.personal_id, 1, "registered", "", {}, after)
    return record_view(session, row)


def _household_id(session: Session, code: str, pid: str, values: dict[str, Any]) -> int:
    household = session.scalar(sa.select(Household).where(Household.code == code))
    if household is None:
        commune = values.get("permanent_commune")
        if commune is None:
            raise InvalidInput(
                "a new household needs the permanent residence commune", field="permanent_commune"
            )
        household = Household(
            code=code, head_personal_id=pid, commune=commune, address=values.get("permanent_address", "")
        )
        session.add(household)
        session.flush()
        values["household_relation"] = values.get("household_relation") or "Chủ hộ"
    return household.id


def correct(
    session: Session, *, actor: Principal, personal_id: str, correction: schemas.CitizenCorrection
) -> dict[str, Any]:
    """Change fields of a record with a reason; history, audit and change notifications in the same
    transaction. A death or a move of permanent residence is announced to subscribers."""
    check_official(actor)
    pid = identifiers.parse_personal_id(personal_id).value
    row = session.scalar(sa.select(Citizen).where(Citizen.personal_id == pid).with_for_update())
    if row is None:
        raise CitizenNotFound(f"no citizen with personal ID {pid}")
    changes = dict(correction.changes)
    unknown = sorted(set(changes) - set(schemas.CORRECTABLE))
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(unknown)} here", field=f"changes.{unknown[0]}")
    if not changes:
        raise InvalidInput("nothing to change", field="changes")
    _names(changes)
    _validate(session, changes, pid)
    before = _snapshot(row, list(changes))
    _apply(row, changes)
    after = _snapshot(row, list(changes))
    if before == after:
        raise InvalidInput("the values are already those", field="changes")
    row.version += 1
    row.updated_at = now()
    row.name_folded = fold(full_name(row))
    kind = _kind(before, after)
    record_history(session, actor, pid, row.version, kind, correction.reason, before, after)
    if kind in ("died", "moved"):
        notify(session, schemas.POPULATION, f"population.{kind}", pid, {**after, "version": row.version})
    return record_view(session, row)


def _apply(row: Citizen, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if key == "birth_date":
            born = identifiers.parse_partial_date(str(value), "changes.birth_date")
            identifiers.check_personal_id(row.personal_id, birth_year=born.year, field="changes.birth_date")
            row.birth_year, row.birth_month, row.birth_day = born.year, born.month, born.day
        elif key == "status":
            if value not in STATUSES:
                raise InvalidInput(f"status is one of {', '.join(STATUSES)}", field="changes.status")
            row.status = value
        elif key == "death_date":
            row.death_date = _death_date(row, value)
        else:
            setattr(row, key, value)
    if row.status == "deceased" and row.death_date is None:
        raise InvalidInput("a death needs its date", field="changes.death_date")
    if row.status == "living" and row.death_date is not None:
        raise InvalidInput("a living person has no date of death", field="changes.death_date")


def _death_date(row: Citizen, value: Any) -> date | None:
    if value is None:
        return None
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("a date of death is YYYY-MM-DD", field="changes.death_date") from None
    if day > now().date() or day.year < row.birth_year:
        raise InvalidInput("the date of death is before birth or in the future", field="changes.death_date")
    return day


def _kind(before: dict[str, Any], after: dict[str, Any]) -> str:
    if after.get("status") == "deceased" and before.get("status") != "deceased":
        return "died"
    if "permanent_commune" in after and after["permanent_commune"] != before.get("permanent_commune"):
        return "moved"
    return "corrected"


def record_history(
    session: Session,
    actor: Principal,
    key: str,
    version: int,
    kind: str,
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any],
    database: str = schemas.POPULATION,
) -> None:
    session.add(
        RecordChange(
            database=database,
            record_key=key,
            version=version,
            kind=kind,
            reason=reason,
            actor=actor.subject,
            agency_code=actor.agency_code,
            before=before,
            after=after,
        )
    )
    audit.record(
        session,
        actor=actor,
        action=f"registries.{database}.{kind}",
        object_type=f"registries_{database}",
        object_id=key,
        before=before or None,
        after={**after, "reason": reason} if reason else after,
    )


def notify(session: Session, database: str, topic: str, key: str, payload: dict[str, Any]) -> None:
    """A change subscribers hear of: a row of the feed, and an outbox event for in-platform handlers."""
    session.add(Notification(database=database, topic=topic, record_key=key, payload=payload))
    outbox.emit(session, f"registries.{topic}", {"key": key, **payload})
