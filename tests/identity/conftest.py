"""A platform of its own for identity tests: catalogues, the exchange's demo directory, the registries'
demo data and services, the identity provider's system and demo account, the app, and a relying party."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.conftest import _caller
from tests.exchange.conftest import BASE, fresh_database, gateway_settings
from tests.registries.conftest import seed_through_registries
from vnegov.app import create_app
from vnegov.identity.seed import seed as seed_identity
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database

REDIRECT = "https://rp.example.vn/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@dataclass
class Idp:
    client: TestClient
    db: Database
    app: Any
    rp_id: str
    rp_secret: str
    demo: dict[str, str]
    exchange_secrets: dict[str, dict[str, str]]

    def exchange_token(self, subsystem: str) -> str:
        """A client token of the exchange for one of the demo systems (VN/GOV/H24/LGSP …)."""
        s = self.exchange_secrets[subsystem]
        r = self.client.post(
            "/token", data={"grant_type": "client_credentials"}, auth=(s["client_id"], s["client_secret"])
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def authorize(self, **extra: str) -> tuple[Any, str, str, str]:
        """Start an authorization request; (response, verifier, state, nonce)."""
        verifier, challenge = pkce()
        state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
        params = {
            "response_type": "code",
            "client_id": self.rp_id,
            "redirect_uri": REDIRECT,
            "scope": "openid profile personal_id offline_access",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        r = self.client.get("/oidc/authorize?" + urlencode(params), follow_redirects=False)
        return r, verifier, state, nonce

    def follow_to_code(self, r: Any) -> dict[str, str]:
        """Follow the provider's pages (consent) until the redirect to the client; its query."""
        for _ in range(5):
            if r.status_code == 303 and r.headers["location"].startswith(REDIRECT):
                return {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}
            if r.status_code == 303:
                r = self.client.get(r.headers["location"], follow_redirects=False)
                continue
            if 'id="consent"' in r.text:
                fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
                r = self.client.post(
                    "/oidc/authorize/consent", data={**fields, "decision": "allow"}, follow_redirects=False
                )
                continue
            raise AssertionError(f"unexpected page {r.status_code}: {r.text[:500]}")
        raise AssertionError("no redirect to the client")

    def code(self, **extra: str) -> tuple[str, str]:
        """A signed-in person's authorization code for the relying party, and its PKCE verifier."""
        r, verifier, _state, _nonce = self.authorize(**extra)
        return self.follow_to_code(r)["code"], verifier

    def sign_in(self, username: str, password: str, next_url: str = "/identity/account") -> Any:
        page = self.client.get("/identity/login", params={"next": next_url})
        return self.client.post(
            "/identity/login",
            data={"csrf": csrf_of(page.text), "username": username, "password": password, "next": next_url},
            follow_redirects=False,
        )

    def token(self, **form: str) -> Any:
        return self.client.post("/oidc/token", data=form, auth=(self.rp_id, self.rp_secret))


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Idp]:
    tmp = tmp_path_factory.mktemp("identity")
    db, url, drop = fresh_database(tmp)
    settings = gateway_settings(url, tmp / "data")
    exchange_report = seed_through_registries(db, settings)
    with db.transaction() as session:
        report = seed_identity(session, SYSTEM, None, settings)
    demo = report["demo_secrets"][0]
    admin = _caller(db, "G22", "platform admin", ("platform-admin",))
    app = create_app(settings, db=db, background=False)
    with TestClient(app, base_url=BASE) as client:
        r = client.post(
            "/api/v1/identity/clients",
            headers=admin.headers,
            json={
                "name": "Cổng dịch vụ công (thử)",
                "redirect_uris": [REDIRECT],
                "post_logout_redirect_uris": ["https://rp.example.vn/bye"],
            },
        )
        assert r.status_code == 201, r.text
        secrets_by_system = {s["subsystem"]: s for s in exchange_report["demo_secrets"]}
        yield Idp(client, db, app, r.json()["client_id"], r.json()["client_secret"], demo, secrets_by_system)
    db.dispose()
    drop()
