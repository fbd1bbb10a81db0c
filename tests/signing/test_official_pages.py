"""Officials manage their agency's certificates on the pages: sign in, request, list, revoke."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Caller, official_account, sign_in_official
from vnegov.kernel.db import Database

PAGE = "/signing/certificates"


def _sign_in(client: TestClient, who: Caller) -> str:
    """An official of `who`'s agency signs in at the identity provider; the page's CSRF token."""
    signed = sign_in_official(client, client.app, who.principal.agency_code, next_url=PAGE)
    assert signed.landing == PAGE
    page = client.get(PAGE)
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_pages_for_officials_need_signing_in(client: TestClient, platform_pki) -> None:  # type: ignore[no-untyped-def]
    r = client.get(PAGE, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/signing/certificates"
    official_account(client.app, "G12")  # a platform with its identity provider set up
    login = client.get("/login", params={"next": PAGE})
    assert 'id="login-oidc"' in login.text and 'name="api_key"' not in login.text  # people sign in there
    assert client.post("/login", data={"api_key": "vng_0_wrong"}).status_code == 405


def test_no_open_redirect_after_sign_in(client: TestClient, ministry_finance: Caller, platform_pki) -> None:  # type: ignore[no-untyped-def]
    signed = sign_in_official(client, client.app, "G12", next_url="//evil.example/x")
    assert signed.landing == "/"
    assert "HttpOnly" in signed.cookie
    assert "samesite=lax" in signed.cookie.lower()


def test_request_list_and_revoke_on_the_page(
    client: TestClient, ministry_finance: Caller, platform_pki
) -> None:  # type: ignore[no-untyped-def]
    csrf = _sign_in(client, ministry_finance)
    r = client.post(
        PAGE,
        data={
            "csrf": csrf,
            "profile": "document_signing",
            "common_name": "Lê Văn Cường",
            "identifiers": "CCCD:001090009999",
            "key_passphrase": "a long passphrase",
        },
    )
    assert r.status_code == 201, r.text
    assert "-----BEGIN ENCRYPTED PRIVATE KEY-----" in r.text
    serial = re.search(r'<code id="issued-serial">([0-9A-F]+)</code>', r.text)
    assert serial
    number = serial.group(1)
    listing = client.get(PAGE).text
    assert "Lê Văn Cường" in listing
    revoked = client.post(
        f"{PAGE}/{number}/revoke", data={"csrf": csrf, "reason": "key_compromise"}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert (
        client.get(f"/api/v1/signing/certificates/{number}", headers=ministry_finance.headers).json()[
            "status"
        ]
        == "revoked"
    )


def test_bad_form_input_names_the_field(client: TestClient, ministry_finance: Caller, platform_pki) -> None:  # type: ignore[no-untyped-def]
    csrf = _sign_in(client, ministry_finance)
    r = client.post(PAGE, data={"csrf": csrf, "profile": "tls_client", "common_name": "hệ thống"})
    assert r.status_code == 422
    assert "key_passphrase" in r.text
    r = client.post(
        PAGE, data={"csrf": csrf, "profile": "tls_client", "common_name": "x", "key_passphrase": "short"}
    )
    assert r.status_code == 422
    assert "key_passphrase" in r.text


def test_forms_need_the_csrf_token(client: TestClient, ministry_finance: Caller, platform_pki) -> None:  # type: ignore[no-untyped-def]
    _sign_in(client, ministry_finance)
    r = client.post(
        PAGE,
        data={
            "csrf": "forged",
            "profile": "tls_client",
            "common_name": "x",
            "key_passphrase": "a long passphrase",
        },
    )
    assert r.status_code == 403


def test_a_disabled_account_ends_the_page_session(client: TestClient, db: Database, platform_pki) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from vnegov.identity.models import Account

    signed = sign_in_official(client, client.app, "G12", next_url=PAGE)
    assert client.get(PAGE).status_code == 200
    with db.transaction() as session:
        session.execute(
            sa.update(Account).where(Account.username == signed.username).values(status="disabled")
        )
    r = client.get(PAGE, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
