"""Registration checked with the population registry through the exchange, lockout, the second factor
and level 2, private_key_jwt clients, and the citizen's view of who read their data."""

from __future__ import annotations

import time
import uuid
from typing import Any

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.conftest import _caller
from tests.identity.conftest import REDIRECT, Idp, csrf_of
from vnegov.exchange.models import LogRecord
from vnegov.identity import totp
from vnegov.identity.models import Account
from vnegov.kernel.models import AuditLogEntry, OutboxMessage

BINH = {"personal_id": "001060000101", "full_name": "Nguyễn Văn Bình", "birth_date": "15/03/1960"}
PASSWORD = "một câu mật khẩu đủ dài"


def _register(idp: Idp, values: dict[str, str], password: str = PASSWORD) -> Any:
    page = idp.client.get("/identity/register")
    form = {
        "csrf": csrf_of(page.text),
        **values,
        "password": password,
        "password2": password,
        "next": "/identity/account",
    }
    return idp.client.post("/identity/register", data=form, follow_redirects=False)


def _accounts(idp: Idp, personal_id: str) -> int:
    with idp.db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).where(Account.personal_id == personal_id)) or 0)


def test_registration_is_checked_with_the_registry_through_the_exchange(idp: Idp) -> None:
    r = _register(idp, {**BINH, "full_name": "Nguyễn Văn Bính"})
    assert r.status_code == 422 and "does not confirm" in r.text
    assert _accounts(idp, BINH["personal_id"]) == 0  # nothing is made
    r = _register(idp, {**BINH, "personal_id": "0010600001"})
    assert r.status_code == 422 and "personal_id" in r.text
    r = _register(idp, BINH, password="matkhau123")
    assert r.status_code == 422 and _accounts(idp, BINH["personal_id"]) == 0
    r = _register(idp, BINH)
    assert r.status_code == 303, r.text
    assert _accounts(idp, BINH["personal_id"]) == 1
    with idp.db.read() as session:  # the check went through the gateway, as the identity system's call
        logged = session.scalars(
            sa.select(LogRecord.client).where(LogRecord.service.like("%/congDan/v1"))
        ).all()
    assert "VN/GOV/G01/VNEID" in logged
    r = _register(idp, BINH)
    assert r.status_code == 422 and _accounts(idp, BINH["personal_id"]) == 1  # once only


def test_the_citizen_sees_who_read_their_data(idp: Idp) -> None:
    """Hà Nội's platform reads An's record through the exchange; An, signed in, sees that read on
    their account page, fetched by the identity provider from the registry through the exchange."""
    token = idp.exchange_token("VN/GOV/H24/LGSP")
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Road-Client": "VN/GOV/H24/LGSP",
        "X-Road-Issue": "HS-H24-0042",
        "X-Road-UserId": "canbo-mot-cua",
    }
    r = idp.client.get(
        "/r1/VN/GOV/G01/DANCU/congDan/v1/citizens/001090000103?fields=full_name", headers=headers
    )
    assert r.status_code == 200, r.text
    r = idp.sign_in(idp.demo["username"], idp.demo["password"])
    assert r.status_code == 303
    page = idp.client.get("/identity/account")
    assert page.status_code == 200, page.text
    reads = page.text.split('id="reads"')[1].split("</table>")[0]
    assert "HS-H24-0042" in reads and "VN/GOV/H24/LGSP" in reads and "full_name" in reads


def test_five_failures_lock_the_account_and_are_security_events(idp: Idp) -> None:
    user = f"canbo-{uuid.uuid4().hex[:8]}"
    from vnegov.identity import accounts
    from vnegov.kernel.context import SYSTEM

    with idp.db.transaction() as session:
        accounts.create_account(
            session,
            actor=SYSTEM,
            kind="official",
            username=user,
            full_name="Cán bộ thử",
            password=PASSWORD,
            agency_code="H24",
        )
    for _ in range(5):
        assert idp.sign_in(user, "sai mật khẩu rồi").status_code == 401
    r = idp.sign_in(user, PASSWORD)
    assert r.status_code == 401  # locked: even the right password fails, with the same words
    with idp.db.read() as session:
        topics = session.scalars(
            sa.select(OutboxMessage.topic).where(OutboxMessage.topic.like("security.identity%"))
        ).all()
        actions = session.scalars(
            sa.select(AuditLogEntry.action).where(AuditLogEntry.action.like("identity.%"))
        ).all()
    assert "security.identity.account.locked" in topics
    assert "identity.sign_in.failed" in actions


def test_a_second_factor_gives_level_2_and_a_service_may_require_it(idp: Idp) -> None:
    user = f"citizen-{uuid.uuid4().hex[:8]}"
    from vnegov.identity import accounts
    from vnegov.kernel.context import SYSTEM

    with idp.db.transaction() as session:
        accounts.create_account(
            session, actor=SYSTEM, kind="citizen", username=user, full_name="Người thử", password=PASSWORD
        )
    assert idp.sign_in(user, PASSWORD).status_code == 303
    r, _v, _s, _n = idp.authorize(acr_values="2")
    assert r.headers["location"].startswith("/identity/second-factor")
    assert idp.client.get(r.headers["location"]).status_code == 403  # nothing enrolled yet

    page = idp.client.get("/identity/second-factor/enrol")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    form = {
        "csrf": csrf_of(page.text),
        "secret": secret,
        "uri": "",
        "code": "000000",
        "seal": page.text.split('name="seal" value="')[1].split('"')[0],
    }
    assert idp.client.post("/identity/second-factor/enrol", data=form).status_code == 422
    form["code"] = totp.code_at(secret, time.time())
    r = idp.client.post("/identity/second-factor/enrol", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text

    code, verifier = idp.code(acr_values="2")
    tokens = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    claims = jwt.decode(
        tokens.json()["id_token"], ECKey.import_key(idp.client.get("/oidc/jwks").json()["keys"][0])
    )
    assert claims.claims["acr"] == "2" and "otp" in claims.claims["amr"]

    # Signing in again now asks for the code, and the same code cannot be used twice.
    r = idp.sign_in(user, PASSWORD)
    assert r.headers["location"].startswith("/identity/second-factor")
    page = idp.client.get(r.headers["location"])
    used = form["code"]
    r = idp.client.post(
        "/identity/second-factor", data={"csrf": csrf_of(page.text), "code": used, "next": "/"}
    )
    assert r.status_code == 401


def test_private_key_jwt_client_authentication(idp: Idp) -> None:
    key = ECKey.generate_key("P-256", private=True)
    public = {**key.as_dict(private=False), "kid": "rp-1", "alg": "ES256", "use": "sig"}
    admin = _caller(idp.db, "G22", "platform admin", ("platform-admin",))
    r = idp.client.post(
        "/api/v1/identity/clients",
        headers=admin.headers,
        json={
            "name": "RP with keys",
            "redirect_uris": [REDIRECT],
            "auth_method": "private_key_jwt",
            "jwks": {"keys": [public]},
        },
    )
    assert r.status_code == 201, r.text
    client_id = r.json()["client_id"]
    assert r.json()["client_secret"] is None
    idp.sign_in(idp.demo["username"], idp.demo["password"])
    original = idp.rp_id
    idp.rp_id = client_id
    try:
        r, verifier, _state, _nonce = idp.authorize(scope="openid profile")
        code = idp.follow_to_code(r)["code"]
    finally:
        idp.rp_id = original

    def assertion(jti: str, aud: str = "http://vnegov.test/oidc/token") -> str:
        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "iat": now, "exp": now + 120}
        return jwt.encode({"alg": "ES256", "kid": "rp-1"}, claims, key)

    base = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    r = idp.client.post(
        "/oidc/token", data={**base, "client_assertion": assertion("a1", aud="https://other")}
    )
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    r = idp.client.post("/oidc/token", data={**base, "client_assertion": assertion("a2")})
    assert r.status_code == 200, r.text
    r = idp.client.post("/oidc/token", data={**base, "client_assertion": assertion("a2")})
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")  # the same jti twice


def test_a_citizen_acts_for_the_enterprise_the_registry_names_them_representative_of(idp: Idp) -> None:
    from vnegov.identity import accounts
    from vnegov.kernel.context import SYSTEM

    def bind(code: str) -> Any:
        page = idp.client.get("/identity/account")
        return idp.client.post(
            "/identity/account/enterprise",
            data={"csrf": csrf_of(page.text), "enterprise_code": code},
            follow_redirects=False,
        )

    with idp.db.transaction() as session:
        accounts.create_account(
            session,
            actor=SYSTEM,
            kind="citizen",
            username="001163000102",
            full_name="Trần Thị Lan",
            password=PASSWORD,
            personal_id="001163000102",
        )
    assert idp.sign_in("001163000102", PASSWORD).status_code == 303
    r = bind("9900000016")  # An Phát's representative is An, not Lan
    assert r.status_code == 303 and "error=" in r.headers["location"]
    with idp.db.read() as session:
        lan = session.scalar(sa.select(Account.enterprise_code).where(Account.username == "001163000102"))
    assert lan is None

    assert idp.sign_in(idp.demo["username"], idp.demo["password"]).status_code == 303
    assert "error=" in bind("9900000017").headers["location"]  # a wrong check digit
    r = bind("9900000016")
    assert r.headers["location"].endswith("notice=enterprise")
    with idp.db.read() as session:
        an = session.scalar(
            sa.select(Account.enterprise_code).where(Account.username == idp.demo["username"])
        )
        asked = session.scalars(
            sa.select(LogRecord.client).where(LogRecord.service.like("%/doanhNghiep/v1"))
        ).all()
    assert an == "9900000016"
    assert "VN/GOV/G01/VNEID" in asked  # the registry was asked through the exchange


def test_only_a_platform_administrator_gives_the_platform_admin_role(idp: Idp) -> None:
    import pytest

    from vnegov.identity import accounts
    from vnegov.kernel.context import SYSTEM, Principal
    from vnegov.kernel.errors import PermissionDenied

    agency_admin = Principal(
        subject="identity:h24-admin", agency_code="H24", roles=frozenset({"agency-admin"})
    )
    with idp.db.transaction() as session:
        account = accounts.create_account(
            session,
            actor=SYSTEM,
            kind="official",
            username=f"cb-{uuid.uuid4().hex[:6]}",
            full_name="Cán bộ",
            password=PASSWORD,
            agency_code="H24",
        )
        subject = account.subject
    with pytest.raises(PermissionDenied), idp.db.transaction() as session:
        accounts.grant_role(
            session, actor=agency_admin, subject=subject, agency_code="H24", role="platform-admin"
        )
    with idp.db.transaction() as session:
        accounts.grant_role(
            session, actor=agency_admin, subject=subject, agency_code="H24", role="processing"
        )
        assert accounts.roles_of(session, account.id) == [("H24", "processing")]


def test_repeated_failures_from_one_address_are_slowed_down(idp: Idp) -> None:
    from vnegov.identity import views

    views._failures.clear()
    delays = [views._slow_down("203.0.113.9", failed=True) for _ in range(7)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    assert views._slow_down("203.0.113.9", failed=False) == 0.0  # a success clears the address
    assert views._slow_down("203.0.113.9", failed=True) == 0.1
    started = time.monotonic()
    assert idp.sign_in("khong-ton-tai", "sai mật khẩu rồi").status_code == 401
    assert idp.sign_in("khong-ton-tai", "sai mật khẩu rồi").status_code == 401
    assert time.monotonic() - started >= 0.3  # the second failure waited 0.2 s more than the first
    views._failures.clear()


def test_the_sign_out_button_needs_its_csrf_token(idp: Idp) -> None:
    assert idp.sign_in(idp.demo["username"], idp.demo["password"]).status_code == 303
    assert idp.client.post("/oidc/logout", data={}).status_code == 403
    assert idp.client.get("/identity/account", follow_redirects=False).status_code == 200  # still signed in
    page = idp.client.get("/identity/account")
    assert idp.client.post("/oidc/logout", data={"csrf": csrf_of(page.text)}).status_code == 200
    assert idp.client.get("/identity/account", follow_redirects=False).status_code == 303
