"""The application: one ASGI app serving the chosen components (all of them by default)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vnegov import __version__, components
from vnegov.kernel import http, web_auth
from vnegov.kernel.db import Database
from vnegov.kernel.jobs import JobRunner
from vnegov.kernel.outbox import OutboxDispatcher
from vnegov.kernel.settings import Settings, get_settings
from vnegov.web import i18n
from vnegov.web.pages import Pages
from vnegov.web.routes import ops
from vnegov.web.routes import router as web_router

STATIC = Path(__file__).parent / "web" / "static"

DESCRIPTION = """
APIs of **vnegov**, an open implementation of the platforms described by Viet Nam's e-Government
Architecture Framework 3.0 (Decision 2568/QĐ-BTTTT). Errors are RFC 9457 `application/problem+json`
with a stable `code`. Writes need `Authorization: Bearer <API key>` of the agency that owns the data.
"""


def create_app(
    settings: Settings | None = None,
    *,
    component_names: list[str] | None = None,
    db: Database | None = None,
    background: bool = True,
) -> FastAPI:
    """Build the app. `background=False` leaves the outbox dispatcher stopped (tests drive it)."""
    settings = settings or get_settings()
    selected = components.select(component_names)
    db = db or Database(settings.resolved_database_url)
    dispatcher = OutboxDispatcher(db, poll_seconds=settings.outbox_poll_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs = JobRunner([job for c in selected if c.jobs for job in c.jobs(app)])
        if background:
            dispatcher.start()
            jobs.start()
        try:
            yield
        finally:
            jobs.stop()
            for component in selected:
                if component.shutdown is not None:
                    await component.shutdown(app)
            dispatcher.stop()

    app = FastAPI(
        title="vnegov",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db
    app.state.outbox = dispatcher
    app.state.component_names = [c.name for c in selected]
    app.state.partial_components = {c.name for c in selected if c.partial}
    app.state.component_links = {c.name: c.nav[0][0] for c in selected if c.nav}
    nav = [entry for c in selected for entry in c.nav]
    app.state.pages = Pages([c.templates for c in selected if c.templates], nav)

    app.state.session_secret = web_auth.session_secret(settings)
    http.install(app, html_errors=_html_errors)

    @app.exception_handler(web_auth.LoginRequired)
    async def login_required(request: Request, exc: web_auth.LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.data.get('next', '/')}", status_code=303)

    _install_language(app, settings.default_language)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(ops)
    app.include_router(web_router)
    for component in selected:
        if component.setup is not None:
            component.setup(app, settings, db)
        for router in (component.api_router, *component.extra_routers, component.views_router):
            if router is not None:
                app.include_router(router)
    return app


def _html_errors(request: Request, status: int, detail: str, extra: dict[str, Any]) -> Response:
    pages: Pages = request.app.state.pages
    template = "error_fragment.html" if pages.is_fragment(request) else "error.html"
    return pages.render(
        request, template, status_code=status, status=status, detail=detail, field=extra.get("field")
    )


def _install_language(app: FastAPI, default: str) -> None:
    app.add_middleware(LanguageMiddleware, default=default)


class LanguageMiddleware:
    """Vietnamese unless `?lang=` or the `lang` cookie says otherwise; `?lang=` is remembered."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        query_lang = request.query_params.get("lang")
        chosen = i18n.negotiate(query_lang, request.cookies.get("lang"), self.default)
        i18n.current_language.set(chosen)
        extra = [(b"content-language", chosen.encode())]
        if query_lang in i18n.LANGUAGES:
            cookie = f"lang={chosen}; Max-Age={365 * 24 * 3600}; Path=/; SameSite=lax"
            extra.append((b"set-cookie", cookie.encode()))

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_language)


def served(app: FastAPI) -> ASGIApp:
    """What a server runs for `app`: a component's front (the exchange gateway) if one was set up."""
    front: ASGIApp = getattr(app.state, "asgi_front", app)
    return front


def app_from_environment() -> ASGIApp:
    """The app for one of several worker processes (`vnegov serve --workers N`): the components to
    serve come from VNEGOV_SERVE_COMPONENTS, set by the parent process."""
    import os

    names = [n for n in os.environ.get("VNEGOV_SERVE_COMPONENTS", "").split(",") if n]
    return served(create_app(component_names=names or None))
