"""The pages as a relying party of the platform's OpenID Connect provider (đăng nhập một lần).

Officials sign in to every component's pages at the identity provider: `/login/oidc` sends the browser
to the provider's authorization endpoint (code flow, PKCE S256, state and nonce kept in a signed,
short-lived cookie); `/login/callback` exchanges the code at the token endpoint with the pages' client
credentials, checks the ID token (signature against the provider's JWKS, issuer, audience, nonce,
expiry) and signs the browser in with the official's agency and roles from its claims.

Nothing here imports the identity component: the provider is only an issuer URL and a credentials file
(`data_dir/secrets/oidc-pages.json`, written by the identity component's seed). When the issuer is this
application, the provider is called in process (no socket), as any other issuer would be over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import httpx
from fastapi import Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from vnegov.kernel.context import Principal
from vnegov.kernel.errors import Unauthenticated
from vnegov.kernel.settings import Settings

CREDENTIALS_FILE = Path("secrets") / "oidc-pages.json"
FLOW_COOKIE = "vnegov_rp_flow"
FLOW_SECONDS = 600
SCOPES = "openid profile agency"


@dataclass(frozen=True)
class PagesClient:
    client_id: str
    client_secret: str


def issuer_of(settings: Settings) -> str:
    return (settings.identity.issuer or settings.signing.public_base_url).rstrip("/")


def credentials(settings: Settings) -> PagesClient | None:
    """The pages' client at the provider, or None when it is not registered (sign-in with API keys only)."""
    path = settings.data_dir / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return PagesClient(str(data["client_id"]), str(data["client_secret"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def write_credentials(settings: Settings, client_id: str, client_secret: str) -> None:
    path = settings.data_dir / CREDENTIALS_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(json.dumps({"client_id": client_id, "client_secret": client_secret}), encoding="utf-8")
    path.chmod(0o600)


def redirect_uri(settings: Settings) -> str:
    return settings.signing.public_base_url.rstrip("/") + "/login/callback"


def _sign(secret: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, payload, hashlib.sha256).digest()).decode().rstrip("=")


def _seal(secret: bytes, data: dict[str, Any]) -> str:
    payload = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(secret, payload)


def _unseal(secret: bytes, value: str) -> dict[str, Any] | None:
    body, _, signature = value.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(signature, _sign(secret, payload)) or not isinstance(data, dict):
        return None
    return data


def start(request: Request, next_url: str) -> tuple[str, str]:
    """(the provider's authorization URL, the flow cookie to set)."""
    settings: Settings = request.app.state.settings
    client = credentials(settings)
    if client is None:
        raise Unauthenticated("sign-in with the identity provider is not set up here: use an API key")
    verifier = secrets.token_urlsafe(48)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri(settings),
        "scope": SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    flow = {"s": state, "n": nonce, "v": verifier, "x": next_url, "e": int(time.time()) + FLOW_SECONDS}
    return f"{issuer_of(settings)}/oidc/authorize?{urlencode(params)}", _seal(
        request.app.state.session_secret, flow
    )


def _client(request: Request, issuer: str) -> httpx.AsyncClient:
    settings: Settings = request.app.state.settings
    own = settings.signing.public_base_url.rstrip("/")
    if issuer == own:  # the provider runs in this application: call it in process
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=request.app), base_url=own, timeout=10)
    return httpx.AsyncClient(base_url=issuer, timeout=10)


async def finish(request: Request, code: str, state: str) -> tuple[Principal, str]:
    """The official's principal and where to go next, from the provider's answer to `start`."""
    settings: Settings = request.app.state.settings
    client = credentials(settings)
    flow = _unseal(request.app.state.session_secret, request.cookies.get(FLOW_COOKIE, ""))
    if client is None or flow is None or flow.get("e", 0) < time.time() or flow.get("s") != state:
        raise Unauthenticated("the sign-in took too long or did not start here; sign in again")
    issuer = issuer_of(settings)
    async with _client(request, issuer) as http:
        token = await http.post(
            "/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri(settings),
                "code_verifier": flow["v"],
            },
            auth=(client.client_id, client.client_secret),
        )
        if token.status_code != 200:
            raise Unauthenticated(f"the identity provider refused the sign-in: {token.json().get('error')}")
        keys = (await http.get("/oidc/jwks")).json()
    try:
        claims = jwt.decode(token.json()["id_token"], KeySet.import_key_set(cast(Any, keys))).claims
    except (JoseError, ValueError, KeyError):
        raise Unauthenticated("the identity provider's ID token does not verify") from None
    if (
        claims.get("iss") != issuer
        or claims.get("aud") != client.client_id
        or claims.get("nonce") != flow["n"]
        or not isinstance(claims.get("exp"), int)
        or claims["exp"] < time.time()
    ):
        raise Unauthenticated("the identity provider's ID token is not for this sign-in")
    principal = Principal(
        subject=f"identity:{claims['sub']}",
        agency_code=str(claims.get("agency_code") or ""),
        display_name=str(claims.get("name") or ""),
        roles=frozenset(str(r) for r in claims.get("roles") or ()),
    )
    return principal, str(flow.get("x") or "/")


def page_cookie(secret: bytes, principal: Principal, lifetime_seconds: int) -> str:
    """The pages' session cookie for an official signed in at the provider (signed, expiring)."""
    return _seal(
        secret,
        {
            "p": {
                "s": principal.subject,
                "a": principal.agency_code,
                "n": principal.display_name,
                "r": sorted(principal.roles),
            },
            "e": int(time.time()) + lifetime_seconds,
        },
    )


def principal_from_cookie(secret: bytes, value: str) -> Principal | None:
    data = _unseal(secret, value)
    if data is None or "p" not in data or data.get("e", 0) < time.time():
        return None
    p = data["p"]
    return Principal(subject=p["s"], agency_code=p["a"], display_name=p["n"], roles=frozenset(p["r"]))
