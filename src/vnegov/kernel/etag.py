"""Conditional GET (ETag / If-None-Match) for read endpoints whose content has a revision."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse


def make_etag(*parts: Any) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {c.strip() for c in header.split(",")}
    return "*" in candidates or etag in candidates or etag.removeprefix("W/") in candidates


def conditional_json(request: Request, etag: str, build: Callable[[], Any], max_age: int = 60) -> Response:
    """304 if the client's copy is current, else the JSON `build()` returns, tagged."""
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(build(), headers=headers)
