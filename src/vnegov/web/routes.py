"""Pages of the web shell (home) and the platform's own endpoints (health, metrics)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse

from vnegov import migrate
from vnegov.kernel import http, metrics, oidc_rp, web_auth
from vnegov.kernel.errors import PermissionDenied, Unauthenticated
from vnegov.kernel.http import get_db
from vnegov.web.framework import ALWAYS_PRESENT, COMPONENTS
from vnegov.web.pages import pages_of

router = APIRouter(include_in_schema=False)
ops = APIRouter(tags=["operations"])


@router.get("/")
def home(request: Request) -> Response:
    running = set(request.app.state.component_names) | ALWAYS_PRESENT
    links: dict[str, str] = request.app.state.component_links
    components: list[dict[str, Any]] = [
        {
            "number": c.number,
            "name_vi": c.name_vi,
            "name_en": c.name_en,
            "package": c.package,
            "running": c.package in running,
            "partial": c.package in request.app.state.partial_components,
            "link": links.get(c.package),
        }
        for c in COMPONENTS
    ]
    return pages_of(request).render(
        request, "home.html", components=components, running_count=sum(c["running"] for c in components)
    )


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    oidc = oidc_rp.credentials(request.app.state.settings) is not None
    error = (
        None
        if oidc
        else "Sign-in at the identity provider is not set up here (its seed writes the pages' client)."
    )
    return pages_of(request).render(request, "login.html", next=_safe_next(next), error=error, oidc=oidc)


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """HttpOnly, SameSite=Lax, and Secure whenever the page came over HTTPS."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )


@router.get("/login/oidc")
def login_oidc(request: Request, next: str | None = None) -> Response:
    """Sign in at the identity provider (the pages are its relying party)."""
    try:
        target, flow = oidc_rp.start(request, _safe_next(next))
    except Unauthenticated as exc:
        return pages_of(request).render(
            request, "login.html", status_code=503, next=_safe_next(next), error=exc.message, oidc=False
        )
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, oidc_rp.FLOW_COOKIE, flow, oidc_rp.FLOW_SECONDS)
    return response


@router.get("/login/callback")
async def login_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    if error or not code:
        return pages_of(request).render(
            request, "login.html", status_code=401, next="/", error=f"sign-in refused: {error or 'no code'}"
        )
    try:
        principal, next_url = await oidc_rp.finish(request, code, state)
    except Unauthenticated as exc:
        return pages_of(request).render(request, "login.html", status_code=401, next="/", error=exc.message)
    response = RedirectResponse(_safe_next(next_url), status_code=303)
    cookie = oidc_rp.page_cookie(request.app.state.session_secret, principal, web_auth.LIFETIME_SECONDS)
    _set_cookie(response, request, web_auth.COOKIE, cookie, web_auth.LIFETIME_SECONDS)
    response.delete_cookie(oidc_rp.FLOW_COOKIE)
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(web_auth.COOKIE)
    return response


@ops.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@ops.get("/readyz", summary="Readiness: database reachable and migrated")
def readyz(request: Request) -> Response:
    db = get_db(request)
    checks: dict[str, str] = {}
    try:
        checks["database"] = "ok"
        checks["migrations"] = "ok" if migrate.is_up_to_date(db) else "pending"
    except Exception as exc:  # any failure means "not ready"; say which
        checks["database"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


LOOPBACK = {"127.0.0.1", "::1"}


@ops.get(
    "/metrics",
    summary="Prometheus metrics (loopback, or an API key with the monitoring role)",
    response_class=PlainTextResponse,
)
def prometheus(request: Request) -> Response:
    # Metrics describe the platform's internals: a local scraper may read them, anyone else needs a key.
    if request.client is None or request.client.host not in LOOPBACK:
        principal = http.current_principal(request)
        if not (principal.has_role("monitoring") or principal.has_role("platform-admin")):
            raise PermissionDenied("reading metrics needs the monitoring role", code="not_monitoring")
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
