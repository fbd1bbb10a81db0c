"""Signing in to the pages (đăng nhập trang quản trị).

People sign in at the platform's identity provider (`kernel.oidc_rp`): the cookie, signed with
HMAC-SHA256, carries their agency and roles from the ID token and an expiry, and on every request the
identity component (when it runs in this process) says who the account is now. API keys are for
systems calling the APIs, not for the pages. Forms carry a CSRF token derived from the cookie, and the
cookie is HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from vnegov.kernel import oidc_rp
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import DomainError, PermissionDenied
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
    raise LoginRequired("please sign in", next=quote(str(request.url.path)))


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
