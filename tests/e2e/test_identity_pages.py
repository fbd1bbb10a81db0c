"""A citizen registers (checked with the population registry through the exchange), consents, enrols a
second factor and signs in at level 2; the relying party receives verified claims. In headless chromium
against a real server; the relying party's callback is caught by the browser."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import Caller
from vnegov.exchange.seed import seed as seed_exchange
from vnegov.identity import totp
from vnegov.identity.seed import seed as seed_identity
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings
from vnegov.registries.seed import seed as seed_registries

pytestmark = pytest.mark.browser
CALLBACK = "https://rp.example.vn/callback"
LAN = ("001163000102", "Trần Thị Lan", "02/08/1963")
PASSWORD = "hoa sen nở giữa mùa hè"


def _authorize_url(base: str, client_id: str, challenge: str, state: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": state,
        "scope": "openid profile personal_id",
        "nonce": "n-" + state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{base}/oidc/authorize?{urlencode(params)}"


def _code(url: str, state: str) -> str:
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [state], url
    return query["code"][0]


def test_a_citizen_registers_enrols_and_signs_in_at_level_2(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    reference_data: Database,
    settings: Settings,
    operator: Caller,
) -> None:
    db = reference_data
    with db.transaction() as session:  # the demo platform, as `vnegov up` has it (idempotent)
        seed_exchange(session, SYSTEM, None, settings)
        seed_registries(session, SYSTEM, None, settings)
        seed_identity(session, SYSTEM, None, settings)
    r = httpx.post(
        f"{live_server}/api/v1/identity/clients",
        headers=operator.headers,
        json={"name": "Cổng thử nghiệm", "redirect_uris": [CALLBACK]},
    )
    assert r.status_code == 201, r.text
    client_id, client_secret = r.json()["client_id"], r.json()["client_secret"]
    page.route("https://rp.example.vn/**", lambda route: route.fulfill(status=200, body="relying party"))
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")

    # Not signed in: the provider asks; the citizen registers instead.
    page.goto(_authorize_url(live_server, client_id, challenge, "s1"))
    page.wait_for_url(re.compile(r"/identity/login"))
    page.get_by_role("link", name="Đăng ký bằng số định danh cá nhân").click()
    page.get_by_label("Số định danh cá nhân (12 chữ số)").fill(LAN[0])
    page.get_by_label("Họ và tên").fill(LAN[1])
    page.get_by_label("Ngày sinh (ngày/tháng/năm)").fill(LAN[2])
    page.get_by_label("Mật khẩu (ít nhất 10 ký tự)").fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_selector("#consent")  # back to the authorization: what the service asks to receive
    assert "Số định danh cá nhân của bạn" in page.locator("#scopes").inner_text()
    page.get_by_role("button", name="Đồng ý").click()
    page.wait_for_url(re.compile(r"^https://rp\.example\.vn/callback"))
    first = _code(page.url, "s1")

    # A second factor: enrol an authenticator app on the account page.
    page.goto(f"{live_server}/identity/account")
    page.get_by_role("link", name="Đăng ký ứng dụng xác thực").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Mã").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_selector("#form-notice")

    # Sign out, then a service that requires level 2: password, then a fresh code.
    page.locator("form[action='/oidc/logout'] button").click()
    page.wait_for_selector("text=Đã đăng xuất")
    page.goto(_authorize_url(live_server, client_id, challenge, "s2", acr_values="2"))
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(LAN[0])
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/identity/second-factor"))
    page.get_by_label("Mã").fill(totp.code_at(secret, time.time() + 30))  # the next step: never reused
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"^https://rp\.example\.vn/callback"))
    second = _code(page.url, "s2")

    # The relying party's side: exchange the codes and check the ID tokens against the JWKS.
    keys = KeySet.import_key_set(httpx.get(f"{live_server}/oidc/jwks").json())
    for code, acr in ((first, "1"), (second, "2")):
        r = httpx.post(
            f"{live_server}/oidc/token",
            auth=(client_id, client_secret),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            },
        )
        assert r.status_code == 200, r.text
        claims = jwt.decode(r.json()["id_token"], keys).claims
        assert (claims["SoDinhDanh"], claims["name"], claims["acr"]) == (LAN[0], LAN[1], acr)
