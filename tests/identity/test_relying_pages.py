"""The platform's pages are a relying party of its identity provider: an official signs in there and
works on another component's page with their agency; the APIs take the provider's access tokens."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from tests.identity.conftest import REDIRECT, Idp
from vnegov.identity import accounts
from vnegov.kernel.context import SYSTEM

PASSWORD = "cán bộ một cửa Hà Nội 2026"


def _official(idp: Idp, agency: str, roles: tuple[str, ...] = ()) -> str:
    username = f"canbo-{uuid.uuid4().hex[:8]}"
    with idp.db.transaction() as session:
        account = accounts.create_account(
            session,
            actor=SYSTEM,
            kind="official",
            username=username,
            full_name="Lê Văn Cán Bộ",
            password=PASSWORD,
            agency_code=agency,
        )
        for role in roles:
            accounts.grant_role(session, actor=SYSTEM, subject=account.subject, agency_code=agency, role=role)
    return username


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_an_official_signs_in_at_the_provider_and_works_on_the_exchange_pages(idp: Idp) -> None:
    username = _official(idp, "H24", ("agency-admin",))
    client = idp.client
    client.cookies.clear()
    assert 'id="login-oidc"' in client.get("/login").text
    r = client.get("/login/oidc", params={"next": "/exchange/manage"}, follow_redirects=False)
    assert r.status_code == 303 and "/oidc/authorize?" in r.headers["location"]
    r = client.get(_path(r.headers["location"]), follow_redirects=False)  # not signed in at the provider
    assert r.headers["location"].startswith("/identity/login")
    next_url = dict(p.split("=", 1) for p in urlsplit(r.headers["location"]).query.split("&"))["next"]
    from urllib.parse import unquote

    r = idp.sign_in(username, PASSWORD, next_url=unquote(next_url))
    assert r.status_code == 303, r.text
    r = client.get(r.headers["location"], follow_redirects=False)  # the authorization: no consent asked
    assert r.status_code == 303 and "/login/callback?" in r.headers["location"], r.text
    r = client.get(_path(r.headers["location"]), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/exchange/manage", r.text
    page = client.get("/exchange/manage")
    assert page.status_code == 200
    assert "Lê Văn Cán Bộ" in page.text and "H24" in page.text


def test_a_forged_or_stale_callback_is_refused(idp: Idp) -> None:
    idp.client.cookies.clear()
    r = idp.client.get("/login/callback", params={"code": "x", "state": "y"})
    assert r.status_code == 401
    assert idp.client.get("/exchange/manage", follow_redirects=False).status_code in (303, 307)


def test_the_apis_take_the_providers_access_tokens(idp: Idp) -> None:
    username = _official(idp, "H24")
    idp.client.cookies.clear()
    assert idp.sign_in(username, PASSWORD).status_code == 303
    code, verifier = idp.code(scope="openid profile")
    access = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    token = access.json()["access_token"]
    system = f"VN/GOV/H24/{uuid.uuid4().hex[:6].upper()}"
    r = idp.client.post(
        "/api/v1/exchange/subsystems",
        headers={"Authorization": f"Bearer {token}"},
        json={"subsystem": system, "name": "Hệ thống một cửa"},
    )
    assert r.status_code == 201, r.text  # acting for H24, the official's agency
    r = idp.client.post(
        "/api/v1/exchange/subsystems",
        headers={"Authorization": f"Bearer {token}"},
        json={"subsystem": "VN/GOV/H29/OTHER", "name": "Không phải của H24"},
    )
    assert r.status_code == 403
    r = idp.client.post(
        "/api/v1/exchange/subsystems",
        headers={"Authorization": "Bearer not-a-token"},
        json={"subsystem": system + "X", "name": "x"},
    )
    assert r.status_code == 401


def test_a_disabled_account_or_a_removed_role_takes_effect_on_the_pages_at_once(idp: Idp) -> None:
    import sqlalchemy as sa

    from tests.conftest import sign_in_official
    from vnegov.identity.models import Account, OfficialRole

    idp.client.cookies.clear()
    username = sign_in_official(
        idp.client, idp.app, "H24", ("agency-admin",), next_url="/exchange/manage"
    ).username
    assert idp.client.get("/exchange/manage").status_code == 200
    with idp.db.transaction() as session:
        account_id = session.scalar(sa.select(Account.id).where(Account.username == username))
        session.execute(sa.delete(OfficialRole).where(OfficialRole.account_id == account_id))
    from types import SimpleNamespace

    from vnegov.kernel.web_auth import _page_principal

    # What the page dependency sees: this app and the browser's cookie.
    request = SimpleNamespace(app=idp.app, cookies=dict(idp.client.cookies), url=SimpleNamespace(path="/x"))
    assert _page_principal(request).roles == frozenset()  # type: ignore[arg-type]
    with idp.db.transaction() as session:
        session.execute(sa.update(Account).where(Account.id == account_id).values(status="disabled"))
    r = idp.client.get("/exchange/manage", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
