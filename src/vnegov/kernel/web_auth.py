"""Signing in to the pages (đăng nhập trang quản trị).

An official signs in at the platform's identity provider (`kernel.oidc_rp`: the cookie then carries
their agency and roles from the ID token), or, for systems and operators without an account, with an
API key of their agency: the cookie then names the key and an expiry, signed with HMAC-SHA256 (never
the key's secret). Every request re-checks that
the key still exists and is not revoked. Forms carry a CSRF token derived from the cookie, and the
cookie is HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from vnegov.kernel import auth, oidc_rp
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import DomainError, PermissionDenied, Unauthenticated
from vnegov.kernel.secret_files import read_or_create
from vnegov.kernel.settings import Settings

COOKIE = "vnegov_session"
LIFETIME_SECONDS = 8 * 3600
SECRET_FILE = Path("secrets") / "session-key"


class LoginRequired(DomainError):
    """Raised by page dependencies; the app answers with a redirect to /login."""

    code = "login_required"


def session_secret(settings: Settings) -> bytes:
    """The HMAC key for session cookies: from settings, or generated once under data_dir."""
    if settings.session_secret is not None and settings.session_secret.get_secret_value():
        return settings.session_secret.get_secret_value().encode()
    return read_or_create(settings.data_dir / SECRET_FILE).encode()


def _sign(secret: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, payload, hashlib.sha256).digest()).decode().rstrip("=")


def make_cookie(secret: bytes, key_id: str, now: float | None = None) -> str:
    payload = json.dumps({"k": key_id, "e": int((now or time.time()) + LIFETIME_SECONDS)}).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(secret, payload)}"


def _read_cookie(secret: bytes, value: str) -> str | None:
    body, _, signature = value.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(signature, _sign(secret, payload)) or data.get("e", 0) < time.time():
        return None
    key_id = data.get("k")
    return key_id if isinstance(key_id, str) else None


def login(session: Session, secret: bytes, api_key: str) -> tuple[Principal, str]:
    """Check the API key; the principal and the cookie value to set."""
    principal = auth.authenticate(session, api_key.strip())
    return principal, make_cookie(secret, principal.subject.removeprefix("apikey:"))


def csrf_token(secret: bytes, cookie: str) -> str:
    return _sign(secret, b"csrf:" + cookie.encode())


def check_csrf(request: Request, secret: bytes, token: str | None) -> None:
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not token or not hmac.compare_digest(token, csrf_token(secret, cookie)):
        raise PermissionDenied(
            "the form has expired or did not come from this site; reload the page", code="csrf"
        )


def _page_principal(request: Request) -> Principal:
    secret: bytes = request.app.state.session_secret
    signed_in = oidc_rp.principal_from_cookie(secret, request.cookies.get(COOKIE, ""))
    if signed_in is not None:  # an official who signed in at the identity provider
        return _current(request, signed_in)
    key_id = _read_cookie(secret, request.cookies.get(COOKIE, ""))
    if key_id is None:
        raise LoginRequired("please sign in", next=quote(str(request.url.path)))
    with request.app.state.db.read() as session:
        try:
            return auth.principal_for_key_id(session, key_id)
        except Unauthenticated:
            raise LoginRequired(
                "your key was revoked; sign in again", next=quote(str(request.url.path))
            ) from None


PrincipalRefresher = Callable[[Session, Principal], Principal | None]
"""Who a signed-in official is now (agency and roles as they stand; None: no longer allowed in). The
identity component registers one on `app.state.principal_refreshers` when it runs in this process;
elsewhere the cookie's word stands until it expires."""


def _current(request: Request, principal: Principal) -> Principal:
    refreshers: list[PrincipalRefresher] = getattr(request.app.state, "principal_refreshers", [])
    if not refreshers:
        return principal
    with request.app.state.db.read() as session:
        for refresh in refreshers:
            fresh = refresh(session, principal)
            if fresh is None:
                raise LoginRequired(
                    "your account can no longer sign in here", next=quote(str(request.url.path))
                )
            principal = fresh
    return principal


PagePrincipal = Annotated[Principal, Depends(_page_principal)]
