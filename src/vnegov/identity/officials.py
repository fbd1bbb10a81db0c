"""Officials and their roles (cán bộ, công chức và vai trò): the only door for administering them.

Officials belong to an agency of the `agencies` catalogue and hold roles there (`accounts.ROLES`:
reception, processing, approval, agency-admin, platform-admin). Who may administer them, decided here
and nowhere else (`administers`):

- a platform administrator (role `platform-admin`, or the system) administers every agency;
- an agency administrator (role `agency-admin`, acting for that agency) administers its officials;
- only a platform administrator gives or takes the role `platform-admin`;
- nobody takes their own administrator role away (the agency, or the platform, would be locked out).

An official outside the actor's reach is "not found", whether it exists or not. Every role change and
unlock is an audit row and a `security.identity.*` event on the outbox (`accounts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vnegov.catalogs import service as catalogs
from vnegov.identity import accounts, oidc, passwords
from vnegov.identity.models import Account
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import InvalidInput, NotFound, PermissionDenied

PLATFORM_ADMIN = "platform-admin"
AGENCY_ADMIN = "agency-admin"
AGENCIES = "agencies"
USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,63}")


@dataclass(frozen=True)
class Official:
    """An official as their administrators see them."""

    subject: str
    username: str
    full_name: str
    agency_code: str
    roles: tuple[str, ...]
    locked: bool
    second_factor: bool


# --------------------------------------------------------------------------------- who may


def is_platform_admin(actor: Principal) -> bool:
    return actor.is_platform_admin


def administers(actor: Principal, agency_code: str) -> bool:
    """May `actor` administer the officials of `agency_code`? (its agency-admin, or a platform admin)"""
    return actor.holds(AGENCY_ADMIN, agency_code)


def assignable_roles(actor: Principal) -> tuple[str, ...]:
    """The roles `actor` may give or take (platform-admin only for platform administrators)."""
    if is_platform_admin(actor):
        return accounts.ROLES
    return tuple(r for r in accounts.ROLES if r != PLATFORM_ADMIN)


def principal_of(session: Session, account: Account) -> Principal:
    """The signed-in official acting at the provider's own pages: their agency and their roles there."""
    return Principal(
        subject=f"identity:{account.subject}",
        agency_code=account.agency_code or "",
        display_name=account.full_name,
        roles=frozenset(r for a, r in accounts.roles_of(session, account.id) if a == account.agency_code),
    )


def _check_administers(actor: Principal, agency_code: str) -> None:
    if not administers(actor, agency_code):
        raise PermissionDenied(
            "only the agency's administrators and the platform administrators manage its officials",
            agency_code=agency_code,
        )


def _access_official(session: Session, actor: Principal, subject: str, agency_code: str | None) -> Account:
    """The official, if `actor` administers their agency (and it is `agency_code`, when given);
    NotFound alike for an unknown subject and one out of reach."""
    if agency_code is not None:
        _check_administers(actor, agency_code)
    try:
        account = accounts.by_subject(session, subject)
    except NotFound:
        account = None
    if (
        account is None
        or account.kind != "official"
        or not account.agency_code
        or (agency_code is not None and account.agency_code != agency_code)
        or not administers(actor, account.agency_code)
    ):
        raise NotFound("no such official in this agency", subject=subject)
    return account


def _read(account: Account, roles: Sequence[str]) -> Official:
    return Official(
        subject=account.subject,
        username=account.username,
        full_name=account.full_name,
        agency_code=account.agency_code or "",
        roles=tuple(sorted(roles)),
        locked=accounts.locked(account),
        second_factor=account.totp_secret is not None,
    )


def _official(session: Session, account: Account) -> Official:
    roles = [r for a, r in accounts.roles_of(session, account.id) if a == account.agency_code]
    return _read(account, roles)


# ------------------------------------------------------------------------------- officials


def create_official(
    session: Session,
    *,
    actor: Principal,
    agency_code: str,
    username: str,
    full_name: str,
    initial_password: str,
    roles: Sequence[str] = (),
) -> Account:
    """A new official of `agency_code` with the password their administrator gives them (and roles)."""
    _check_administers(actor, agency_code)
    if catalogs.get_item(session, AGENCIES, agency_code) is None:
        raise InvalidInput(
            "not a current agency code (catalogue 'agencies')", field="agency_code", agency_code=agency_code
        )
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "a username is 3 to 64 characters: lowercase letters, digits, '.', '_' or '-', starting with a "
            "letter",
            field="username",
        )
    full_name = " ".join(full_name.split())
    if not full_name:
        raise InvalidInput("the full name is required", field="full_name")
    passwords.check_new_password(initial_password, name=full_name, field="initial_password")
    if initial_password.strip().lower() == username:
        raise InvalidInput(
            "a password must not be the username", field="initial_password", reason="equals_username"
        )
    wanted = _check_roles(roles)
    account = accounts.create_account(
        session,
        actor=actor,
        kind="official",
        username=username,
        full_name=full_name,
        password=initial_password,
        agency_code=agency_code,
    )
    _replace_roles(session, actor, account, wanted)
    return account


def list_officials(session: Session, *, actor: Principal, agency_code: str) -> list[Official]:
    """The officials of an agency, with their roles there, lock and second factor."""
    _check_administers(actor, agency_code)
    held = accounts.roles_in_agency(session, agency_code)
    return [_read(a, held.get(a.id, [])) for a in accounts.officials_of(session, agency_code)]


def get_official(
    session: Session, *, actor: Principal, subject: str, agency_code: str | None = None
) -> Official:
    return _official(session, _access_official(session, actor, subject, agency_code))


def _check_roles(roles: Sequence[str]) -> set[str]:
    unknown = sorted(set(roles) - set(accounts.ROLES))
    if unknown:
        raise InvalidInput(f"roles are among {', '.join(accounts.ROLES)}", field="roles", unknown=unknown)
    return set(roles)


def _replace_roles(session: Session, actor: Principal, account: Account, wanted: set[str]) -> None:
    agency = account.agency_code or ""
    held = {r for a, r in accounts.roles_of(session, account.id) if a == agency}
    if not is_platform_admin(actor):
        if PLATFORM_ADMIN in wanted - held:
            raise PermissionDenied("only platform administrators give the platform-admin role", field="roles")
        # Out of an agency administrator's reach: kept as it is.
        wanted = (wanted - {PLATFORM_ADMIN}) | (held & {PLATFORM_ADMIN})
    if actor.subject == f"identity:{account.subject}" and {AGENCY_ADMIN, PLATFORM_ADMIN} & (held - wanted):
        raise InvalidInput(
            "you cannot take away your own administrator role: ask another administrator", field="roles"
        )
    for role in sorted(wanted - held):
        accounts.grant_role(session, actor=actor, subject=account.subject, agency_code=agency, role=role)
    for role in sorted(held - wanted):
        accounts.revoke_role(session, actor=actor, subject=account.subject, agency_code=agency, role=role)


def set_roles(
    session: Session,
    *,
    actor: Principal,
    subject: str,
    roles: Sequence[str],
    agency_code: str | None = None,
) -> Official:
    """Replace an official's roles in their agency: the missing ones are given, the others taken."""
    account = _access_official(session, actor, subject, agency_code)
    _replace_roles(session, actor, account, _check_roles(roles))
    return _official(session, account)


def unlock(session: Session, *, actor: Principal, subject: str, agency_code: str | None = None) -> Official:
    """Clear the lock that wrong passwords put on an official's account."""
    account = _access_official(session, actor, subject, agency_code)
    accounts.unlock(session, actor=actor, subject=account.subject)
    return _official(session, account)


# ------------------------------------------------------------------ relying parties (clients)


@dataclass(frozen=True)
class Client:
    """A registered OpenID Connect client as platform administrators see it (never its secret)."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    auth_method: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked: bool


def list_clients(session: Session, *, actor: Principal) -> list[Client]:
    """The relying parties registered at the provider (platform administrators only)."""
    if not is_platform_admin(actor):
        raise PermissionDenied("only platform administrators see the OpenID Connect clients")
    return [
        Client(
            client_id=c.client_id,
            name=c.name,
            redirect_uris=tuple(c.redirect_uris or ()),
            post_logout_redirect_uris=tuple(c.post_logout_redirect_uris or ()),
            auth_method=c.auth_method,
            scopes=tuple(c.scopes or ()),
            created_at=c.created_at,
            revoked=c.revoked_at is not None,
        )
        for c in oidc.list_clients(session)
    ]
