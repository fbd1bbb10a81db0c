"""Accounts, sign-in and sessions (tài khoản, đăng nhập): the only code that touches accounts.

Levels of assurance (`acr`): "1" after a password, "2" after a password and a TOTP code. Every
sign-in, failure, lockout and second-factor change is an audit row and a security event on the outbox,
committed by the caller's transaction even when the sign-in fails (the caller commits, then answers).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from vnegov.identity import passwords, totp
from vnegov.identity.models import Account, LoginSession, OfficialRole
from vnegov.kernel import audit, outbox
from vnegov.kernel.clock import now
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from vnegov.kernel.settings import IdentitySettings

LOA_PASSWORD, LOA_SECOND_FACTOR = "1", "2"
KINDS = ("citizen", "business", "official")
ROLES = ("reception", "processing", "approval", "agency-admin", "platform-admin")
"""Roles of officials in their agency. `platform-admin` (administering the whole platform) is given and
taken only by a platform administrator or the system: `officials` is the door that checks who may."""


class SignInFailed(DomainError):
    """Wrong username or password, or a locked account: the same words for all, so they reveal nothing."""

    code = "sign_in_failed"


class SecondFactorFailed(DomainError):
    code = "second_factor_failed"


@dataclass(frozen=True)
class SignedIn:
    """A live session at the provider: its cookie value (shown once), sid, account and level."""

    cookie: str
    sid: str
    account_id: int
    acr: str


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _principal(account: Account | None, username: str) -> Principal:
    if account is None:
        return Principal(subject=f"identity:unknown:{_sha256(username)[:16]}", agency_code="")
    return Principal(
        subject=f"identity:{account.subject}",
        agency_code=account.agency_code or "",
        display_name=account.full_name,
    )


def _security_event(session: Session, actor: Principal, action: str, **data: Any) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="identity_account",
        object_id=actor.subject,
        after=data,
    )
    outbox.emit(session, f"security.{action}", {"subject": actor.subject, **data})


# ----------------------------------------------------------------------------------- accounts


def create_account(
    session: Session,
    *,
    actor: Principal,
    kind: str,
    username: str,
    full_name: str,
    password: str,
    personal_id: str | None = None,
    birth_date: str = "",
    agency_code: str | None = None,
    enterprise_code: str | None = None,
) -> Account:
    """A new account; the caller has already checked who the person is (the registry, an agency admin)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind is one of {', '.join(KINDS)}", field="kind")
    passwords.check_new_password(password, personal_id=personal_id, name=full_name)
    taken = Account.username == username
    if personal_id:
        taken = sa.or_(taken, Account.personal_id == personal_id)
    if session.scalar(sa.select(Account.id).where(taken)) is not None:
        raise Conflict("an account already exists for this person or username", field="username")
    account = Account(
        subject=secrets.token_hex(16),
        kind=kind,
        username=username,
        full_name=full_name,
        personal_id=personal_id,
        birth_date=birth_date,
        agency_code=agency_code,
        enterprise_code=enterprise_code,
        password_hash=passwords.hash_password(password),
        failed_attempts=0,
        status="active",
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="identity.account.create",
        object_type="identity_account",
        object_id=account.subject,
        after={
            "kind": kind,
            "username": username,
            "agency_code": agency_code,
            "enterprise_code": enterprise_code,
        },
    )
    return account


def by_subject(session: Session, subject: str) -> Account:
    account = session.scalar(sa.select(Account).where(Account.subject == subject))
    if account is None:
        raise NotFound("no such account")
    return account


def roles_of(session: Session, account_id: int) -> list[tuple[str, str]]:
    rows = session.execute(
        sa.select(OfficialRole.agency_code, OfficialRole.role)
        .where(OfficialRole.account_id == account_id)
        .order_by(OfficialRole.agency_code, OfficialRole.role)
    )
    return [(a, r) for a, r in rows]


def grant_role(session: Session, *, actor: Principal, subject: str, agency_code: str, role: str) -> None:
    """An agency administrator (or the platform admin) gives an official of that agency a role."""
    if role not in ROLES:
        raise InvalidInput(f"role is one of {', '.join(ROLES)}", field="role")
    if role == "platform-admin" and not ({"platform-admin", "system"} & actor.roles):
        raise PermissionDenied("only a platform administrator gives the platform-admin role")
    account = by_subject(session, subject)
    if account.kind != "official" or account.agency_code != agency_code:
        raise InvalidInput("roles go to officials of that agency", field="agency_code")
    session.add(
        OfficialRole(account_id=account.id, agency_code=agency_code, role=role, granted_by=actor.subject)
    )
    session.flush()
    _security_event(
        session, actor, "identity.role.grant", account=subject, agency_code=agency_code, role=role
    )


def revoke_role(session: Session, *, actor: Principal, subject: str, agency_code: str, role: str) -> None:
    """An agency administrator (or the platform admin) takes a role from an official of that agency."""
    if role not in ROLES:
        raise InvalidInput(f"role is one of {', '.join(ROLES)}", field="role")
    account = by_subject(session, subject)
    if account.kind != "official" or account.agency_code != agency_code:
        raise InvalidInput("roles go to officials of that agency", field="agency_code")
    row = session.scalar(
        sa.select(OfficialRole).where(
            OfficialRole.account_id == account.id,
            OfficialRole.agency_code == agency_code,
            OfficialRole.role == role,
        )
    )
    if row is None:
        raise NotFound("the official does not hold this role", field="role")
    session.delete(row)
    session.flush()
    _security_event(
        session, actor, "identity.role.revoke", account=subject, agency_code=agency_code, role=role
    )


def officials_of(session: Session, agency_code: str) -> list[Account]:
    """The officials of an agency, by name."""
    return list(
        session.scalars(
            sa.select(Account)
            .where(Account.kind == "official", Account.agency_code == agency_code)
            .order_by(Account.full_name, Account.username)
        )
    )


def roles_in_agency(session: Session, agency_code: str) -> dict[int, list[str]]:
    """Account id → the roles it holds in the agency (one query for a whole list of officials)."""
    held: dict[int, list[str]] = {}
    rows = session.execute(
        sa.select(OfficialRole.account_id, OfficialRole.role)
        .where(OfficialRole.agency_code == agency_code)
        .order_by(OfficialRole.role)
    )
    for account_id, role in rows:
        held.setdefault(account_id, []).append(role)
    return held


def unlock(session: Session, *, actor: Principal, subject: str) -> None:
    """An administrator clears an account's lock and its count of wrong passwords."""
    account = by_subject(session, subject)
    was_locked = locked(account)
    account.locked_until = None
    account.failed_attempts = 0
    _security_event(session, actor, "identity.account.unlock", account=subject, was_locked=was_locked)


# ------------------------------------------------------------------------------------ sign-in


def sign_in(session: Session, config: IdentitySettings, username: str, password: str) -> Account:
    """The account for a correct username and password; SignInFailed otherwise (after recording it).

    A wrong password counts against the account; at `lockout_failures` it is locked for
    `lockout_minutes`, during which even the right password fails. An unknown username costs the same
    time as a known one (a dummy hash is checked)."""
    moment = now()
    account = session.scalar(sa.select(Account).where(Account.username == username.strip()).with_for_update())
    if account is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        _security_event(session, _principal(None, username), "identity.sign_in.failed", reason="unknown")
        raise SignInFailed("wrong username or password")
    actor = _principal(account, username)
    if account.locked_until is not None and account.locked_until > moment:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        _security_event(session, actor, "identity.sign_in.failed", reason="locked")
        raise SignInFailed("wrong username or password")
    if account.status != "active" or not passwords.verify_password(account.password_hash, password):
        account.failed_attempts += 1
        if account.failed_attempts >= config.lockout_failures:
            account.locked_until = moment + timedelta(minutes=config.lockout_minutes)
            account.failed_attempts = 0
            _security_event(session, actor, "identity.account.locked", minutes=config.lockout_minutes)
        _security_event(session, actor, "identity.sign_in.failed", reason="password")
        raise SignInFailed("wrong username or password")
    account.failed_attempts = 0
    account.locked_until = None
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    return account


def check_second_factor(session: Session, account: Account, code: str) -> None:
    """A TOTP code of the account's enrolled secret, never the same time step twice."""
    actor = _principal(account, account.username)
    if account.totp_secret is None:
        raise SecondFactorFailed("no second factor is enrolled")
    step = totp.verify(account.totp_secret, code, last_step=account.totp_last_step)
    if step is None:
        _security_event(session, actor, "identity.second_factor.failed")
        raise SecondFactorFailed("the code is wrong or already used")
    account.totp_last_step = step


def start_session(
    session: Session, config: IdentitySettings, account: Account, *, acr: str, amr: list[str]
) -> SignedIn:
    cookie = secrets.token_urlsafe(32)
    moment = now()
    row = LoginSession(
        sid=secrets.token_hex(16),
        token_sha256=_sha256(cookie),
        account_id=account.id,
        acr=acr,
        amr=amr,
        auth_time=moment,
        expires_at=moment + timedelta(hours=config.session_hours),
    )
    session.add(row)
    session.flush()
    _security_event(session, _principal(account, account.username), "identity.sign_in", acr=acr, sid=row.sid)
    return SignedIn(cookie=cookie, sid=row.sid, account_id=account.id, acr=acr)


def raise_session(session: Session, login: LoginSession) -> None:
    """A second factor checked within an existing sign-in: the session now has level 2."""
    login.acr = LOA_SECOND_FACTOR
    login.amr = sorted({*login.amr, "otp"})
    account = session.get(Account, login.account_id)
    if account is not None:
        _security_event(
            session, _principal(account, account.username), "identity.sign_in.second_factor", sid=login.sid
        )


def current_session(session: Session, cookie: str | None) -> LoginSession | None:
    """The live session for a browser's cookie, or None."""
    if not cookie:
        return None
    row = session.scalar(sa.select(LoginSession).where(LoginSession.token_sha256 == _sha256(cookie)))
    if row is None or row.ended_at is not None or row.expires_at <= now():
        return None
    return row


def end_session(session: Session, login: LoginSession) -> None:
    login.ended_at = now()
    account = session.get(Account, login.account_id)
    if account is not None:
        _security_event(session, _principal(account, account.username), "identity.sign_out", sid=login.sid)


# ------------------------------------------------------------------------------ second factor


def begin_totp(account: Account) -> tuple[str, str]:
    """A new secret to enrol and its otpauth URI (shown to the person, not yet stored)."""
    secret = totp.new_secret()
    return secret, totp.provisioning_uri(secret, account.username, issuer="vnegov")


def enrol_totp(session: Session, account: Account, secret: str, code: str) -> int:
    """Keep the secret once the person proves their app has it (a code of it); the step used."""
    step = totp.verify(secret, code)
    if step is None:
        raise InvalidInput(
            "the code does not match: check the time on your phone and try again", field="code"
        )
    account.totp_secret = secret
    account.totp_last_step = step
    _security_event(session, _principal(account, account.username), "identity.second_factor.enrol")
    return step


def locked(account: Account, at: datetime | None = None) -> bool:
    return account.locked_until is not None and account.locked_until > (at or now())


def bind_enterprise(session: Session, subject: str, enterprise_code: str) -> None:
    """The account now acts for this enterprise (checked by the caller with the enterprise registry)."""
    account = by_subject(session, subject)
    before = account.enterprise_code
    account.enterprise_code = enterprise_code
    _security_event(
        session,
        _principal(account, account.username),
        "identity.enterprise.bind",
        enterprise_code=enterprise_code,
        before=before,
    )
