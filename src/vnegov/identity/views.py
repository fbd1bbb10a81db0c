"""The provider's pages (trang đăng nhập): authorize, sign in, second factor, register, consent, account,
logout. Vietnamese first. Every form carries a CSRF token bound to a cookie of its own (double submit,
HMAC-signed), the session cookie is opaque, HttpOnly, SameSite=Lax and Secure over HTTPS.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from vnegov.identity import accounts, officials, oidc, registration
from vnegov.identity.accounts import SecondFactorFailed, SignedIn, SignInFailed
from vnegov.identity.api import provider_of
from vnegov.identity.models import Account, LoginSession
from vnegov.identity.oidc import OidcError, RedirectUriError
from vnegov.kernel import web_auth
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import DomainError, InvalidInput, UpstreamUnavailable
from vnegov.kernel.http import get_db, status_for
from vnegov.web.pages import pages_of

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "vnegov_id"
CSRF_COOKIE = "vnegov_id_csrf"
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "prompt",
    "ui_locales",
)


# ------------------------------------------------------------------------------- plumbing


def _secret(request: Request) -> bytes:
    secret: bytes = request.app.state.session_secret
    return secret


def _csrf(request: Request) -> tuple[str, str | None]:
    """(token for the form, a new cookie value to set or None)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    fresh = None
    if not cookie:
        cookie = fresh = secrets.token_urlsafe(24)
    return web_auth.csrf_token(_secret(request), cookie), fresh


def _check_csrf(request: Request, form: dict[str, str]) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    token = form.get("csrf", "")
    if not cookie or not hmac.compare_digest(token, web_auth.csrf_token(_secret(request), cookie)):
        raise web_auth.PermissionDenied(
            "the form has expired or did not come from this site; reload the page", code="csrf"
        )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    token, fresh = _csrf(request)
    response = pages_of(request).render(request, template, status_code=status_code, csrf=token, **context)
    if fresh:
        response.set_cookie(
            CSRF_COOKIE, fresh, httponly=True, samesite="lax", secure=_secure(request), path="/"
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def _local(next_url: str | None, default: str = "/identity/account") -> str:
    """Only paths on this site (no scheme, no host, no '//'): no open redirects."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return default
    return next_url if not urlsplit(next_url).netloc else default


def _login(request: Request, session: Session) -> LoginSession | None:
    return accounts.current_session(session, request.cookies.get(SESSION_COOKIE))


def _set_session(response: Response, request: Request, cookie: str) -> None:
    hours = request.app.state.settings.identity.session_hours
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


async def _form(request: Request) -> dict[str, str]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    _check_csrf(request, form)
    return form


# ---------------------------------------------------------------------------- authorization


def _redirect_with(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=303)


def _authorize_url(params: dict[str, str]) -> str:
    return "/oidc/authorize?" + urlencode({k: v for k, v in params.items() if k in AUTHORIZE_PARAMS and v})


@router.get("/oidc/authorize")
def authorize(request: Request) -> Response:
    params = dict(request.query_params)
    return _authorize(request, params)


def _authorize(request: Request, params: dict[str, str], *, consented: bool = False) -> Response:
    provider = provider_of(request)
    with get_db(request).transaction() as session:
        try:
            auth_request = oidc.check_request(session, params)
        except RedirectUriError as exc:
            return _render(request, "identity/error.html", 400, error=exc.error, description=exc.description)
        except OidcError as exc:
            return _redirect_with(
                params["redirect_uri"],
                {
                    "error": exc.error,
                    "error_description": exc.description,
                    "state": params.get("state"),
                    "iss": provider.issuer,
                },
            )
        login = _login(request, session)
        here = _authorize_url(params)
        if login is None or ("login" in auth_request.prompt and not consented):
            if "none" in auth_request.prompt:
                return _redirect_with(
                    auth_request.redirect_uri,
                    {"error": "login_required", "state": auth_request.state, "iss": provider.issuer},
                )
            again = {**params, "prompt": " ".join(p for p in auth_request.prompt if p != "login")}
            return RedirectResponse("/identity/login?" + urlencode({"next": _authorize_url(again)}), 303)
        if login.acr < auth_request.acr_required:
            return RedirectResponse("/identity/second-factor?" + urlencode({"next": here}), 303)
        account = session.get(Account, login.account_id)
        assert account is not None
        if not consented and oidc.needs_consent(session, account.id, auth_request):
            return _render(
                request,
                "identity/consent.html",
                request_params=params,
                client_name=auth_request.client_name,
                scopes=[(s, oidc.SCOPES[s]) for s in auth_request.scopes],
                account=account,
            )
        if consented:
            oidc.record_consent(session, account, auth_request)
        code = oidc.issue_code(session, provider, auth_request, login)
    return _redirect_with(
        auth_request.redirect_uri, {"code": code, "state": auth_request.state, "iss": provider.issuer}
    )


@router.post("/oidc/authorize/consent")
async def consent(request: Request) -> Response:
    form = await _form(request)
    params = {k: form[k] for k in AUTHORIZE_PARAMS if form.get(k)}
    if form.get("decision") != "allow":
        with get_db(request).read() as session:
            try:
                auth_request = oidc.check_request(session, params)
            except RedirectUriError as exc:
                return _render(
                    request, "identity/error.html", 400, error=exc.error, description=exc.description
                )
        return _redirect_with(
            auth_request.redirect_uri,
            {"error": "access_denied", "state": auth_request.state, "iss": provider_of(request).issuer},
        )
    return _authorize(request, params, consented=True)


# ------------------------------------------------------------------------------------ sign-in


@router.get("/identity/login")
def login_page(request: Request, next: str = "") -> Response:
    return _render(request, "identity/login.html", next=_local(next), error=None)


_failures: dict[str, tuple[int, float]] = {}  # address -> (recent failures, last failure time)
FAILURE_MEMORY_SECONDS = 900


def _slow_down(address: str, failed: bool) -> float:
    """Seconds to wait before answering a failed sign-in from this address: 0.1 s doubling with each
    recent failure, at most 2 s (on top of the account lockout, against guessing across accounts)."""
    count, last = _failures.get(address, (0, 0.0))
    if time.monotonic() - last > FAILURE_MEMORY_SECONDS:
        count = 0
    if not failed:
        _failures.pop(address, None)
        return 0.0
    if len(_failures) > 50_000:
        _failures.clear()
    _failures[address] = (count + 1, time.monotonic())
    return float(min(2.0, 0.1 * 2**count))


def _sign_in(request: Request, username: str, password: str) -> tuple[SignedIn | None, bool, str | None]:
    """(session, second step needed, failure message); blocking (argon2, database): run off the loop."""
    config = request.app.state.settings.identity
    with get_db(request).transaction() as session:  # a failure's audit rows commit too
        try:
            account = accounts.sign_in(session, config, username, password)
        except SignInFailed as exc:
            return None, False, exc.message
        signed = accounts.start_session(session, config, account, acr=accounts.LOA_PASSWORD, amr=["pwd"])
        return signed, account.totp_secret is not None, None


@router.post("/identity/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    next_url = _local(form.get("next"))
    signed, two_step, failure = await run_in_threadpool(
        _sign_in, request, form.get("username", ""), form.get("password", "")
    )
    address = request.client.host if request.client else "-"
    delay = _slow_down(address, failed=failure is not None)
    if failure is not None or signed is None:
        await asyncio.sleep(delay)
        return _render(request, "identity/login.html", 401, next=next_url, error=failure)
    target = "/identity/second-factor?" + urlencode({"next": next_url}) if two_step else next_url
    response = RedirectResponse(target, status_code=303)
    _set_session(response, request, signed.cookie)
    return response


@router.get("/identity/second-factor")
def second_factor_page(request: Request, next: str = "") -> Response:
    with get_db(request).read() as session:
        login = _login(request, session)
        account = session.get(Account, login.account_id) if login else None
        enrolled = account is not None and account.totp_secret is not None
    if login is None or account is None:
        return RedirectResponse("/identity/login?" + urlencode({"next": _local(next)}), 303)
    if not enrolled:
        return _render(
            request,
            "identity/error.html",
            403,
            error="second_factor_required",
            description="This service needs a second factor: enrol one on your account page first.",
        )
    return _render(request, "identity/second_factor.html", next=_local(next), error=None)


@router.post("/identity/second-factor")
async def second_factor(request: Request) -> Response:
    form = await _form(request)
    next_url = _local(form.get("next"))
    failure: DomainError | None = None
    with get_db(request).transaction() as session:
        login = _login(request, session)
        account = session.get(Account, login.account_id) if login else None
        if login is None or account is None:
            return RedirectResponse("/identity/login?" + urlencode({"next": next_url}), 303)
        try:
            accounts.check_second_factor(session, account, form.get("code", ""))
            accounts.raise_session(session, login)
        except SecondFactorFailed as exc:
            failure = exc
    if failure is not None:
        return _render(request, "identity/second_factor.html", 401, next=next_url, error=failure.message)
    return RedirectResponse(next_url, status_code=303)


# ------------------------------------------------------------------------------- registration


@router.get("/identity/register")
def register_page(request: Request, next: str = "") -> Response:
    return _render(request, "identity/register.html", next=_local(next), error=None, field=None, values={})


@router.post("/identity/register")
async def register(request: Request) -> Response:
    form = await _form(request)
    next_url = _local(form.get("next"))
    values = {k: form.get(k, "") for k in ("personal_id", "full_name", "birth_date")}
    if form.get("password") != form.get("password2"):
        return _render(
            request,
            "identity/register.html",
            422,
            next=next_url,
            values=values,
            field="password2",
            error="The two passwords differ.",
        )
    try:
        signed = await registration.register_citizen(request.app, values, form.get("password", ""))
    except UpstreamUnavailable as exc:
        return _render(
            request,
            "identity/register.html",
            503,
            next=next_url,
            values=values,
            field=None,
            error=exc.message,
        )
    except DomainError as exc:
        return _render(
            request,
            "identity/register.html",
            422,
            next=next_url,
            values=values,
            field=exc.data.get("field"),
            error=exc.message,
        )
    response = RedirectResponse(next_url, status_code=303)
    _set_session(response, request, signed.cookie)
    return response


# ------------------------------------------------------------------------------------ account


@router.get("/identity/account")
async def account_page(request: Request) -> Response:
    with get_db(request).read() as session:
        login = _login(request, session)
        account = session.get(Account, login.account_id) if login else None
        if login is None or account is None:
            return RedirectResponse("/identity/login?next=/identity/account", 303)
        view = {
            "full_name": account.full_name,
            "personal_id": account.personal_id,
            "agency_code": account.agency_code,
            "totp": account.totp_secret is not None,
            "acr": login.acr,
            "roles": accounts.roles_of(session, account.id),
            "enterprise_code": account.enterprise_code,
        }
        personal_id = account.personal_id
    reads, reads_error = await registration.who_read_my_data(request.app, personal_id)
    return _render(
        request,
        "identity/account.html",
        account=view,
        reads=reads,
        reads_error=reads_error,
        notice=request.query_params.get("notice"),
        error=request.query_params.get("error"),
    )


@router.post("/identity/account/enterprise")
async def represent(request: Request) -> Response:
    """A citizen acts for an enterprise they represent, as the enterprise registry says."""
    form = await _form(request)
    with get_db(request).read() as session:
        login = _login(request, session)
        subject = session.get(Account, login.account_id).subject if login else None  # type: ignore[union-attr]
    if subject is None:
        return RedirectResponse("/identity/login?next=/identity/account", 303)
    try:
        await registration.represent_enterprise(request.app, subject, form.get("enterprise_code", ""))
    except DomainError as exc:
        return RedirectResponse("/identity/account?" + urlencode({"error": exc.message}), 303)
    return RedirectResponse("/identity/account?notice=enterprise", 303)


def _totp_seal(request: Request, secret: str) -> str:
    return hmac.new(_secret(request), b"totp:" + secret.encode(), hashlib.sha256).hexdigest()


@router.get("/identity/second-factor/enrol")
def enrol_page(request: Request) -> Response:
    with get_db(request).read() as session:
        login = _login(request, session)
        account = session.get(Account, login.account_id) if login else None
        if login is None or account is None:
            return RedirectResponse("/identity/login?next=/identity/second-factor/enrol", 303)
        secret, uri = accounts.begin_totp(account)
    return _render(
        request, "identity/enrol.html", secret=secret, uri=uri, seal=_totp_seal(request, secret), error=None
    )


@router.post("/identity/second-factor/enrol")
async def enrol(request: Request) -> Response:
    form = await _form(request)
    secret = form.get("secret", "")
    if not hmac.compare_digest(form.get("seal", ""), _totp_seal(request, secret)):
        return _render(
            request, "identity/error.html", 400, error="invalid_request", description="Start again."
        )
    error = None
    with get_db(request).transaction() as session:
        login = _login(request, session)
        account = session.get(Account, login.account_id) if login else None
        if login is None or account is None:
            return RedirectResponse("/identity/login?next=/identity/second-factor/enrol", 303)
        try:
            accounts.enrol_totp(session, account, secret, form.get("code", ""))
            accounts.raise_session(session, login)
        except DomainError as exc:
            error = exc.message
    if error is not None:
        return _render(
            request,
            "identity/enrol.html",
            422,
            secret=secret,
            uri=form.get("uri", ""),
            seal=form.get("seal", ""),
            error=error,
        )
    return RedirectResponse("/identity/account?notice=enrolled", status_code=303)


# ------------------------------------------------------------------------------------ logout


@router.api_route("/oidc/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) and the account page's sign-out."""
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: str(v) for k, v in (await request.form()).items()})
        if not params.get("id_token_hint"):  # our own sign-out button: it must come from our page
            _check_csrf(request, params)
    provider = provider_of(request)
    with get_db(request).transaction() as session:
        try:
            _sid, target = oidc.logout_target(
                session, provider, params.get("id_token_hint"), params.get("post_logout_redirect_uri")
            )
        except OidcError as exc:
            return _render(request, "identity/error.html", 400, error=exc.error, description=exc.description)
        login = _login(request, session)
        if login is not None:
            accounts.end_session(session, login)
    response: Response
    if target:
        response = _redirect_with(target, {"state": params.get("state")})
    else:
        response = _render(request, "identity/signed_out.html")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ------------------------------------------------------- administration (quản trị cán bộ, ứng dụng)

AGENCY_NOTICES = ("created", "roles", "unlocked")


def _official(request: Request, session: Session) -> tuple[Account, Principal] | None:
    """The account signed in at the provider and the principal it acts as (its agency, its roles there)."""
    login = _login(request, session)
    account = session.get(Account, login.account_id) if login else None
    if account is None:
        return None
    return account, officials.principal_of(session, account)


def _forbidden(request: Request, description: str) -> Response:
    return _render(request, "identity/forbidden.html", 403, description=description)


def _agency_page(
    request: Request,
    session: Session,
    actor: Principal,
    agency_code: str,
    *,
    status_code: int = 200,
    notice: str | None = None,
    error: DomainError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return _render(
        request,
        "identity/agency.html",
        status_code,
        agency_code=agency_code,
        officials=officials.list_officials(session, actor=actor, agency_code=agency_code),
        roles=officials.assignable_roles(actor),
        notice=notice if notice in AGENCY_NOTICES else None,
        error=error.message if error else None,
        field=error.data.get("field") if error else None,
        values=values or {},
    )


@router.get("/identity/agency")
def agency_page(request: Request, agency: str = "", notice: str = "") -> Response:
    """An agency administrator's page: the agency's officials, their roles, new officials, unlocking.
    Platform administrators may open any agency's (`?agency=`)."""
    with get_db(request).read() as session:
        signed = _official(request, session)
        if signed is None:
            return RedirectResponse("/identity/login?next=/identity/agency", 303)
        account, actor = signed
        agency_code = agency or account.agency_code or ""
        if not officials.administers(actor, agency_code):
            return _forbidden(request, "Only the agency's administrators may open this page.")
        return _agency_page(request, session, actor, agency_code, notice=notice)


AgencyAction = Callable[[Session, Principal, str, dict[str, str]], None]


async def _agency_action(request: Request, action: AgencyAction, notice: str) -> Response:
    """Check the form and who sends it, do `action` in one transaction, then back to the page (or the
    page again with the error, nothing of the action kept)."""
    form = await _form(request)
    db = get_db(request)
    with db.read() as session:
        signed = _official(request, session)
        if signed is None:
            return RedirectResponse("/identity/login?next=/identity/agency", 303)
        account, actor = signed
        agency_code = form.get("agency_code") or account.agency_code or ""
    if not officials.administers(actor, agency_code):
        return _forbidden(request, "Only the agency's administrators may open this page.")
    try:
        with db.transaction() as session:
            action(session, actor, agency_code, form)
    except DomainError as exc:
        values = {k: form.get(k, "") for k in ("username", "full_name")}
        with db.read() as session:
            return _agency_page(
                request, session, actor, agency_code, status_code=status_for(exc), error=exc, values=values
            )
    return RedirectResponse("/identity/agency?" + urlencode({"agency": agency_code, "notice": notice}), 303)


def _checked_roles(form: dict[str, str]) -> list[str]:
    """Roles ticked on a form: one checkbox per role, named `role:<role>`."""
    return [role for role in accounts.ROLES if form.get(f"role:{role}")]


@router.post("/identity/agency/officials")
async def agency_create_official(request: Request) -> Response:
    def create(session: Session, actor: Principal, agency_code: str, form: dict[str, str]) -> None:
        officials.create_official(
            session,
            actor=actor,
            agency_code=agency_code,
            username=form.get("username", ""),
            full_name=form.get("full_name", ""),
            initial_password=form.get("initial_password", ""),
            roles=_checked_roles(form),
        )

    return await _agency_action(request, create, "created")


@router.post("/identity/agency/roles")
async def agency_set_roles(request: Request) -> Response:
    def save(session: Session, actor: Principal, agency_code: str, form: dict[str, str]) -> None:
        officials.set_roles(
            session,
            actor=actor,
            subject=form.get("subject", ""),
            roles=_checked_roles(form),
            agency_code=agency_code,
        )

    return await _agency_action(request, save, "roles")


@router.post("/identity/agency/unlock")
async def agency_unlock(request: Request) -> Response:
    def unlock(session: Session, actor: Principal, agency_code: str, form: dict[str, str]) -> None:
        officials.unlock(session, actor=actor, subject=form.get("subject", ""), agency_code=agency_code)

    return await _agency_action(request, unlock, "unlocked")


def _clients_page(
    request: Request,
    session: Session,
    actor: Principal,
    *,
    status_code: int = 200,
    created: oidc.ClientRegistered | None = None,
    error: DomainError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return _render(
        request,
        "identity/clients.html",
        status_code,
        clients=officials.list_clients(session, actor=actor),
        auth_methods=oidc.AUTH_METHODS,
        created=created,
        error=error.message if error else None,
        field=error.data.get("field") if error else None,
        values=values or {},
    )


@router.get("/identity/clients")
def clients_page(request: Request) -> Response:
    """Platform administrators: the relying parties registered at the provider, and registering one."""
    with get_db(request).read() as session:
        signed = _official(request, session)
        if signed is None:
            return RedirectResponse("/identity/login?next=/identity/clients", 303)
        _account, actor = signed
        if not officials.is_platform_admin(actor):
            return _forbidden(request, "Only platform administrators may open this page.")
        return _clients_page(request, session, actor)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/identity/clients")
async def clients_register(request: Request) -> Response:
    form = await _form(request)
    db = get_db(request)
    with db.read() as session:
        signed = _official(request, session)
        if signed is None:
            return RedirectResponse("/identity/login?next=/identity/clients", 303)
        _account, actor = signed
    if not officials.is_platform_admin(actor):
        return _forbidden(request, "Only platform administrators may open this page.")
    auth_method = form.get("auth_method", "client_secret_basic")
    failure: DomainError | None = None
    try:
        jwks = json.loads(form["jwks"]) if auth_method == "private_key_jwt" and form.get("jwks") else None
        if jwks is not None and not isinstance(jwks, dict):
            raise ValueError("a JSON object")
        with db.transaction() as session:
            created = oidc.register_client(
                session,
                actor=actor,
                name=form.get("name", "").strip(),
                redirect_uris=_lines(form.get("redirect_uris", "")),
                post_logout_redirect_uris=_lines(form.get("post_logout_redirect_uris", "")),
                auth_method=auth_method,
                jwks=jwks,
            )
    except ValueError:
        failure = InvalidInput("private_key_jwt needs the client's public keys as a JWKS", field="jwks")
    except DomainError as exc:
        failure = exc
    with db.read() as session:
        if failure is not None:
            values = {
                k: form.get(k, "")
                for k in ("name", "redirect_uris", "post_logout_redirect_uris", "auth_method", "jwks")
            }
            return _clients_page(
                request, session, actor, status_code=status_for(failure), error=failure, values=values
            )
        return _clients_page(request, session, actor, status_code=201, created=created)
