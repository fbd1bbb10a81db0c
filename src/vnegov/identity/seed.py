"""The identity provider's place on the data exchange, and demo accounts.

Registers the provider as the Ministry of Public Security's system `VN/GOV/G01/VNEID`, with client
credentials (kept under `data_dir/secrets`, never printed) and the access rights it needs on the
population registry: verify a registering citizen, read a citizen's own access log. Demo: the citizen
Nguyễn Văn An (001090000103) has an account; its password goes to `data/demo-credentials.json`.
Idempotent: nothing is added when the system is already registered.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from vnegov.components import DEMO_SECRETS
from vnegov.exchange import credentials, schemas
from vnegov.exchange import service as exchange
from vnegov.exchange.client import credentials_path, write_credentials
from vnegov.identity import accounts, keys, oidc
from vnegov.identity.registration import ENTERPRISES, POPULATION, SUBSYSTEM
from vnegov.kernel import oidc_rp
from vnegov.kernel.context import Principal
from vnegov.kernel.settings import Settings, get_settings
from vnegov.registries import access as registry_access
from vnegov.registries import schemas as registry_schemas
from vnegov.signing.context import resolve_passphrase

DEMO_CITIZEN = ("001090000103", "Nguyễn Văn An", "1990-05-20")
# Demo officials: (username, name, agency, roles). The operator of the platform, and an official of each
# agency whose pages the demo uses (the exchange, the registries, signing).
DEMO_OFFICIALS = (
    ("quantri.g22", "Quản trị nền tảng", "G22", ("platform-admin", "agency-admin")),
    ("canbo.h24", "Cán bộ UBND thành phố Hà Nội", "H24", ("agency-admin", "reception", "processing")),
    ("canbo.g01", "Cán bộ Bộ Công an", "G01", ("agency-admin", "processing")),
    ("canbo.g12", "Cán bộ Bộ Tài chính", "G12", ("agency-admin", "processing")),
)


def _password() -> str:
    return "vng-" + secrets.token_urlsafe(12)


def ensure_pages_client(session: Session, actor: Principal, settings: Settings) -> bool:
    """The platform's own pages as a relying party of this provider, and a signing key: what any page
    sign-in needs. Made once (its credentials file tells); True when made now."""
    keys.ensure_key(session, resolve_passphrase(settings))
    known = oidc_rp.credentials(settings)
    if known is not None and oidc.client(session, known.client_id) is not None:
        return False
    pages = oidc.register_client(
        session,
        actor=actor,
        name="vnegov — trang nghiệp vụ",
        redirect_uris=[oidc_rp.redirect_uri(settings)],
        scopes=["openid", "profile", "agency"],
        consent_given=True,
    )
    assert pages.client_secret is not None
    oidc_rp.write_credentials(settings, pages.client_id, pages.client_secret)
    return True


def _exchange_system(session: Session, actor: Principal, settings: Settings) -> None:
    """The provider as the Ministry of Public Security's system VN/GOV/G01/VNEID on the exchange."""
    exchange.register_subsystem(
        session,
        actor=actor,
        subsystem_in=schemas.SubsystemCreate(
            subsystem=SUBSYSTEM, name="Hệ thống định danh và xác thực điện tử"
        ),
    )
    for method, path in (("POST", "/verify"), ("GET", "/citizens")):
        exchange.grant_access(
            session,
            actor=actor,
            right_in=schemas.AccessRightCreate(
                service=POPULATION, client=SUBSYSTEM, method=method, path=path
            ),
        )
    # The Ministry of Finance lets the identity provider read who represents an enterprise (in a real
    # deployment that agency grants it; the demo platform does it here).
    exchange.grant_access(
        session,
        actor=actor,
        right_in=schemas.AccessRightCreate(
            service=ENTERPRISES, client=SUBSYSTEM, method="GET", path="/enterprises"
        ),
    )
    registry_access.set_grant(
        session,
        actor=actor,
        grant_in=registry_schemas.FieldGrantSet(
            database="enterprise",
            client=SUBSYSTEM,
            fields=["representative"],
            legal_basis="Luật Doanh nghiệp 2020; Nghị định 69/2024/NĐ-CP về định danh điện tử (demo)",
        ),
    )
    issued = credentials.issue(session, actor=actor, subsystem=SUBSYSTEM)
    write_credentials(credentials_path(settings, SUBSYSTEM), issued)


def seed(
    session: Session,
    actor: Principal,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    settings = settings or get_settings()
    if any(s.id == SUBSYSTEM for s in exchange.list_subsystems(session, member="VN/GOV/G01")):
        return {"accounts": 0}
    _exchange_system(session, actor, settings)
    ensure_pages_client(session, actor, settings)
    secrets_out: list[dict[str, Any]] = []
    personal_id, name, born = DEMO_CITIZEN
    password = _password()
    accounts.create_account(
        session,
        actor=actor,
        kind="citizen",
        username=personal_id,
        full_name=name,
        password=password,
        personal_id=personal_id,
        birth_date=born,
    )
    secrets_out.append({"username": personal_id, "password": password, "name": name})
    for username, full_name, agency, roles in DEMO_OFFICIALS:
        password = _password()
        official = accounts.create_account(
            session,
            actor=actor,
            kind="official",
            username=username,
            full_name=full_name,
            password=password,
            agency_code=agency,
        )
        for role in roles:
            accounts.grant_role(session, actor=actor, subject=official.subject, agency_code=agency, role=role)
        secrets_out.append(
            {
                "username": username,
                "password": password,
                "name": full_name,
                "agency": agency,
                "roles": list(roles),
            }
        )
    return {"accounts": len(secrets_out), DEMO_SECRETS: secrets_out}
