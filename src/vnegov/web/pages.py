"""Rendering pages: one Jinja environment for every component's templates, gettext-aware."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from vnegov.web import i18n

WEB_TEMPLATES = Path(__file__).parent / "templates"


class Pages:
    def __init__(self, template_dirs: list[Path], nav: list[tuple[str, str, str]]) -> None:
        loader = ChoiceLoader([FileSystemLoader(str(d)) for d in [WEB_TEMPLATES, *template_dirs]])
        self.env = Environment(
            loader=loader,
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
        self.env.globals.update(pick=i18n.pick, nav=nav)

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        language = i18n.current_language.get()
        html = self.env.get_template(template).render(
            request=request, lang=language, other_lang="en" if language == "vi" else "vi", **context
        )
        return HTMLResponse(html, status_code=status_code)

    def is_fragment(self, request: Request) -> bool:
        """htmx asks for a fragment (and not a whole page) with the HX-Request header."""
        return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages
