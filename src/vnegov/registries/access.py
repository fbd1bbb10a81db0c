"""Who may read which personal data, and who did (Decree 13/2023/NĐ-CP on personal data protection).

- `FieldGrant`: the fields a client system may read, kept by the registry that owns the data, with
  the legal basis (the exchange's access right only says whether it may call the service at all).
- `Consent`: a person's own permission for a system to read more, for a purpose, until a date.
- `DataAccess`: every read, with system, official, purpose, fields and exchange message id; the
  person sees them ("who looked at my data").
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.kernel import audit
from vnegov.kernel.clock import now, today_vn
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import InvalidInput, NotFound, PermissionDenied
from vnegov.registries import identifiers, schemas
from vnegov.registries.models import Consent, DataAccess, FieldGrant, Notification

OWNERS = {schemas.POPULATION: "G01", schemas.ENTERPRISE: "G12"}
FIELDS = {schemas.POPULATION: schemas.POPULATION_FIELDS, schemas.ENTERPRISE: schemas.ENTERPRISE_FIELDS}


class FieldsNotGranted(PermissionDenied):
    code = "fields_not_granted"


@dataclass(frozen=True)
class Accessor:
    """Who reads: the client system (as the exchange authenticated it), the official using it
    (X-Road-UserId), why (X-Road-Issue or X-Purpose), and the exchange's message id."""

    client: str
    agency_code: str
    official: str
    purpose: str
    message_id: str = ""

    @classmethod
    def registry_official(cls, actor: Principal, purpose: str = "registry administration") -> Accessor:
        """A registry official reading in the registry's own pages."""
        return cls(
            client=f"registry:{actor.agency_code}",
            agency_code=actor.agency_code,
            official=actor.display_name or actor.subject,
            purpose=purpose,
        )


def log_read(
    session: Session,
    accessor: Accessor,
    personal_id: str,
    operation: str,
    fields: list[str],
    *,
    found: bool = True,
) -> None:
    session.add(
        DataAccess(
            personal_id=personal_id,
            accessed_at=now(),
            client=accessor.client,
            agency_code=accessor.agency_code,
            official=accessor.official,
            purpose=accessor.purpose,
            operation=operation,
            fields=fields,
            message_id=accessor.message_id,
            found=found,
        )
    )


def accesses_to(session: Session, personal_id: str, *, limit: int = 200) -> list[schemas.AccessEntry]:
    """Who looked at this person's data, newest first (only reads that found the person)."""
    pid = identifiers.parse_personal_id(personal_id).value
    rows = session.scalars(
        sa.select(DataAccess)
        .where(DataAccess.personal_id == pid, DataAccess.found.is_(True))
        .order_by(DataAccess.accessed_at.desc(), DataAccess.id.desc())
        .limit(limit)
    )
    return [schemas.AccessEntry.model_validate(r, from_attributes=True) for r in rows]


# ------------------------------------------------------------------------------------- grants


def keeps(actor: Principal, database: str) -> bool:
    """Whether the actor keeps this registry: its agency's officials, the platform (seed, admin)."""
    return actor.agency_code == OWNERS[database] or bool({"platform-admin", "system"} & actor.roles)


def _check_owner(actor: Principal, database: str) -> None:
    if not keeps(actor, database):
        raise PermissionDenied(f"only {OWNERS[database]} grants access to the {database} registry")


def _check_fields(database: str, fields: Iterable[str], field: str = "fields") -> list[str]:
    known = FIELDS[database]
    chosen = list(dict.fromkeys(fields))
    unknown = [f for f in chosen if f not in known]
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}", field=field)
    if not chosen:
        raise InvalidInput("name at least one field", field=field)
    return chosen


def set_grant(
    session: Session, *, actor: Principal, grant_in: schemas.FieldGrantSet
) -> schemas.FieldGrantRead:
    """Grant (or replace) the fields a client system may read; audited with the legal basis."""
    _check_owner(actor, grant_in.database)
    fields = _check_fields(grant_in.database, grant_in.fields)
    row = session.scalar(
        sa.select(FieldGrant).where(
            FieldGrant.database == grant_in.database, FieldGrant.client == grant_in.client
        )
    )
    before = None if row is None else {"fields": row.fields, "legal_basis": row.legal_basis}
    if row is None:
        row = FieldGrant(database=grant_in.database, client=grant_in.client)
        session.add(row)
    row.fields, row.legal_basis = fields, grant_in.legal_basis
    _grants.pop(_grant_key(session, grant_in.database, grant_in.client), None)
    row.granted_by, row.granted_at = actor.subject, now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="registries.grant.set",
        object_type="registries_field_grant",
        object_id=f"{grant_in.database}:{grant_in.client}",
        before=before,
        after={"fields": fields, "legal_basis": grant_in.legal_basis},
    )
    return schemas.FieldGrantRead.model_validate(row, from_attributes=True)


def revoke_grant(session: Session, *, actor: Principal, database: str, client: str) -> None:
    _check_owner(actor, database)
    row = session.scalar(
        sa.select(FieldGrant).where(FieldGrant.database == database, FieldGrant.client == client)
    )
    if row is None:
        raise NotFound(f"{client} has no grant on the {database} registry")
    audit.record(
        session,
        actor=actor,
        action="registries.grant.revoke",
        object_type="registries_field_grant",
        object_id=f"{database}:{client}",
        before={"fields": row.fields, "legal_basis": row.legal_basis},
    )
    session.delete(row)
    _grants.pop(_grant_key(session, database, client), None)


def list_grants(session: Session, database: str | None = None) -> list[schemas.FieldGrantRead]:
    query = sa.select(FieldGrant).order_by(FieldGrant.database, FieldGrant.client)
    if database is not None:
        query = query.where(FieldGrant.database == database)
    return [schemas.FieldGrantRead.model_validate(r, from_attributes=True) for r in session.scalars(query)]


GRANT_CACHE_SECONDS = 5.0
"""How long a process trusts a field grant it has read: grants change seldom and every read needs
one. A change made in this process applies at once; one made in another within this many seconds."""
_grants: dict[tuple[int, str, str], tuple[tuple[str, ...], float]] = {}  # (engine, database, client)


def _grant_key(session: Session, database: str, client: str) -> tuple[int, str, str]:
    return id(session.get_bind()), database, client


def granted_fields(session: Session, database: str, client: str) -> tuple[str, ...]:
    key = _grant_key(session, database, client)
    hit = _grants.get(key)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    row = session.scalar(
        sa.select(FieldGrant).where(FieldGrant.database == database, FieldGrant.client == client)
    )
    fields = tuple(row.fields) if row is not None else ()
    if len(_grants) > 10_000:
        _grants.clear()
    _grants[key] = (fields, time.monotonic() + GRANT_CACHE_SECONDS)
    return fields


def allowed_fields(
    session: Session,
    database: str,
    client: str,
    personal_id: str | None,
    requested: list[str] | None = None,
) -> tuple[str, ...]:
    """The grant's fields plus those the person consented to for this client, valid today.

    When every `requested` field is granted, consents cannot change the answer and are not read."""
    granted = granted_fields(session, database, client)
    if requested and set(requested) <= set(granted):
        return granted
    fields = list(granted)
    if personal_id is not None and database == schemas.POPULATION:
        consents = session.scalars(
            sa.select(Consent).where(
                Consent.personal_id == personal_id,
                Consent.recipient == client,
                Consent.revoked_at.is_(None),
                Consent.valid_until >= today_vn(),
            )
        )
        for consent in consents:
            fields.extend(consent.fields)
    return tuple(dict.fromkeys(fields))


def choose_fields(
    allowed: tuple[str, ...], requested: list[str] | None, order: tuple[str, ...]
) -> tuple[str, ...]:
    """What to return: the requested fields if all are allowed (else a refusal naming those that are
    not), or everything allowed; in the registry's field order."""
    if not allowed:
        raise FieldsNotGranted("this system has no grant to read records of this registry")
    if requested:
        unknown = [f for f in requested if f not in order]
        if unknown:
            raise InvalidInput(f"unknown field(s) {', '.join(unknown)}", field="fields")
        refused = [f for f in requested if f not in allowed]
        if refused:
            raise FieldsNotGranted(f"not granted to this system: {', '.join(refused)}", fields=refused)
        wanted = set(requested)
    else:
        wanted = set(allowed)
    return tuple(f for f in order if f in wanted)


# ----------------------------------------------------------------------------------- consents


def _consent_read(row: Consent) -> schemas.ConsentRead:
    return schemas.ConsentRead.model_validate(row, from_attributes=True)


def give_consent(
    session: Session, *, actor: Principal, consent_in: schemas.ConsentCreate
) -> schemas.ConsentRead:
    """Record a person's consent (recorded by the registry's officials until the person can sign in)."""
    _check_owner(actor, schemas.POPULATION)
    pid = identifiers.parse_personal_id(consent_in.personal_id).value
    fields = _check_fields(schemas.POPULATION, consent_in.fields)
    if consent_in.valid_until < today_vn():
        raise InvalidInput("the consent would already have expired", field="valid_until")
    row = Consent(
        personal_id=pid,
        recipient=consent_in.recipient,
        purpose=consent_in.purpose,
        fields=fields,
        valid_until=consent_in.valid_until,
        recorded_by=actor.subject,
    )
    session.add(row)
    session.flush()
    read = _consent_read(row)
    audit.record(
        session,
        actor=actor,
        action="registries.consent.give",
        object_type="registries_consent",
        object_id=str(row.id),
        after=read.model_dump(mode="json"),
    )
    return read


def revoke_consent(session: Session, *, actor: Principal, consent_id: int) -> schemas.ConsentRead:
    _check_owner(actor, schemas.POPULATION)
    row = session.get(Consent, consent_id)
    if row is None:
        raise NotFound(f"no consent {consent_id}")
    if row.revoked_at is None:
        row.revoked_at = now()
        audit.record(
            session,
            actor=actor,
            action="registries.consent.revoke",
            object_type="registries_consent",
            object_id=str(row.id),
        )
    return _consent_read(row)


def consents_of(session: Session, personal_id: str) -> list[schemas.ConsentRead]:
    rows = session.scalars(sa.select(Consent).where(Consent.personal_id == personal_id).order_by(Consent.id))
    return [_consent_read(r) for r in rows]


# ------------------------------------------------------------------------------ notifications


def notifications(
    session: Session, database: str, *, since: int = 0, limit: int = 500
) -> schemas.NotificationPage:
    rows = list(
        session.scalars(
            sa.select(Notification)
            .where(Notification.database == database, Notification.id > since)
            .order_by(Notification.id)
            .limit(min(limit, 1000))
        )
    )
    items = [
        schemas.NotificationRead(
            id=r.id, topic=r.topic, key=r.record_key, payload=r.payload, created_at=r.created_at
        )
        for r in rows
    ]
    return schemas.NotificationPage(items=items, next_since=rows[-1].id if rows else since)
