"""The authorization code flow with PKCE end to end, tokens checked independently with joserfc against
the published JWKS, refresh token rotation, and the bad inputs the specification names."""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.identity.conftest import REDIRECT, Idp, pkce


def _verify(idp: Idp, token: str) -> dict[str, Any]:
    """Decode and check a token the way a relying party does: discovery → JWKS → signature → claims."""
    meta = idp.client.get("/.well-known/openid-configuration").json()
    keys = KeySet.import_key_set(idp.client.get(meta["jwks_uri"].removeprefix("http://vnegov.test")).json())
    decoded = jwt.decode(token, keys, algorithms=meta["id_token_signing_alg_values_supported"])
    return dict(decoded.claims)


def _signed_in(idp: Idp) -> None:
    r = idp.sign_in(idp.demo["username"], idp.demo["password"])
    assert r.status_code == 303, r.text


def test_discovery_names_every_endpoint(idp: Idp) -> None:
    meta = idp.client.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://vnegov.test"
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ):
        assert meta[key].startswith("http://vnegov.test/")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "private_key_jwt"}


def test_code_flow_with_pkce_gives_verified_claims(idp: Idp) -> None:
    r, verifier, state, nonce = idp.authorize()
    assert r.status_code == 303 and r.headers["location"].startswith("/identity/login")  # not signed in yet
    _signed_in(idp)
    r, verifier, state, nonce = idp.authorize()
    answer = idp.follow_to_code(r)
    assert answer["state"] == state and answer["iss"] == "http://vnegov.test"
    r = idp.token(
        grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    tokens = r.json()
    claims = _verify(idp, tokens["id_token"])
    assert claims["aud"] == idp.rp_id and claims["nonce"] == nonce and claims["acr"] == "1"
    assert claims["SoDinhDanh"] == "001090000103" and claims["name"] == "Nguyễn Văn An"
    info = idp.client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"] and info.json()["SoDinhDanh"] == "001090000103"


def test_a_code_works_once_and_its_replay_revokes_what_it_gave(idp: Idp) -> None:
    _signed_in(idp)
    code, verifier = idp.code()
    first = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert first.status_code == 200
    again = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    r = idp.token(grant_type="refresh_token", refresh_token=first.json()["refresh_token"])
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")  # revoked with the replay


def test_wrong_verifier_redirect_uri_and_secret(idp: Idp) -> None:
    _signed_in(idp)
    code, verifier = idp.code()
    wrong, _ = pkce()
    r = idp.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=wrong)
    assert r.json()["error"] == "invalid_grant" and "PKCE" in r.json()["error_description"]
    r = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT + "x", code_verifier=verifier
    )
    assert r.json()["error"] == "invalid_grant"
    r = idp.client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(idp.rp_id, "wrong"),
    )
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    assert "www-authenticate" in r.headers


def test_an_unregistered_redirect_uri_is_shown_not_followed(idp: Idp) -> None:
    r, _v, _s, _n = idp.authorize(redirect_uri="https://evil.example/cb")
    assert r.status_code == 400
    assert "evil.example" not in r.headers.get("location", "")
    assert "redirect_uri" in r.text
    r, _v, _s, _n = idp.authorize(code_challenge_method="plain")
    assert r.status_code == 303
    assert r.headers["location"].startswith(REDIRECT) and "error=invalid_request" in r.headers["location"]


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(idp: Idp) -> None:
    _signed_in(idp)
    code, verifier = idp.code()
    first = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    second = idp.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    reuse = idp.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reuse.json()["error"] == "invalid_grant"
    after = idp.token(grant_type="refresh_token", refresh_token=second.json()["refresh_token"])
    assert after.json()["error"] == "invalid_grant"  # the whole family went with the reuse


def test_a_tampered_or_foreign_token_is_refused(idp: Idp) -> None:
    _signed_in(idp)
    code, verifier = idp.code()
    access = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    token = access.json()["access_token"]
    head, body, sig = token.split(".")
    tampered = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{sig}"
    for bad in (tampered, access.json()["id_token"], "not-a-token"):
        r = idp.client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad[:20]
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_rp_initiated_logout_ends_the_session(idp: Idp) -> None:
    _signed_in(idp)
    code, verifier = idp.code()
    tokens = idp.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).json()
    r = idp.client.get(
        "/oidc/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "state": "s1",
            "post_logout_redirect_uri": "https://rp.example.vn/bye",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "https://rp.example.vn/bye?state=s1"
    info = idp.client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401  # its sign-in has ended
    r, _v, _s, _n = idp.authorize()
    assert r.headers["location"].startswith("/identity/login")
    r = idp.client.get(
        "/oidc/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
        follow_redirects=False,
    )
    assert r.status_code == 400


def test_jwks_keeps_a_retired_key_until_its_tokens_expire(idp: Idp) -> None:
    from datetime import timedelta

    from vnegov.identity import keys
    from vnegov.kernel.clock import now

    provider = idp.app.state.identity_provider
    with idp.db.transaction() as session:
        before = keys.jwks(session)["keys"][0]["kid"]
        fresh = keys.rotate(session, provider.passphrase, provider.config, at=now() + timedelta(days=31))
    assert fresh is not None and fresh != before
    kids = [k["kid"] for k in idp.client.get("/oidc/jwks").json()["keys"]]
    assert kids[:2] == [fresh, before]
    with idp.db.read() as session:
        later = keys.jwks(session, at=now() + timedelta(days=32))
    assert [k["kid"] for k in later["keys"]] == [fresh]


def test_the_jwks_is_never_empty(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A relying party may fetch the keys before anyone has signed in."""
    from fastapi.testclient import TestClient

    from tests.exchange.conftest import BASE, fresh_database, gateway_settings
    from vnegov.app import create_app

    db, url, drop = fresh_database(tmp_path)
    try:
        app = create_app(gateway_settings(url, tmp_path / "data"), db=db, background=False)
        with TestClient(app, base_url=BASE) as client:
            keys = client.get("/oidc/jwks").json()["keys"]
            assert len(keys) == 1 and keys[0]["alg"] == "ES256" and "d" not in keys[0]
    finally:
        db.dispose()
        drop()


def test_an_expired_code_and_an_expired_access_token_are_refused(idp: Idp) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from vnegov.identity.models import AuthorizationCode
    from vnegov.kernel.clock import now

    _signed_in(idp)
    code, verifier = idp.code()
    with idp.db.transaction() as session:  # the code's minute has passed
        session.execute(sa.update(AuthorizationCode).values(expires_at=now() - timedelta(seconds=1)))
    r = idp.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert r.json() == {"error": "invalid_grant", "error_description": "the code has expired"}

    from joserfc import jwt as jose_jwt

    from vnegov.identity import keys

    provider = idp.app.state.identity_provider
    with idp.db.transaction() as session:
        kid, key = keys.signing_key(session, provider.passphrase, provider.config)
    claims = {
        "iss": provider.issuer,
        "sub": "x",
        "aud": provider.issuer,
        "exp": 1_000_000_000,
        "iat": 999_999_000,
        "scope": "openid",
        "sid": "s",
    }
    old = jose_jwt.encode({"alg": "ES256", "kid": kid, "typ": "at+jwt"}, claims, key)
    r = idp.client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and "expired" in r.json()["error_description"]
