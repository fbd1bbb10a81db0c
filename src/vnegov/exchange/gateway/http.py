"""Small ASGI helpers for the gateway's hot path (no framework: `stack.md`, "gateway hot path")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from vnegov.kernel.serving import DIRECT_EXTENSION

JSON = "application/json; charset=utf-8"
PROBLEM_JSON = "application/problem+json"


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


_NAMES: dict[bytes, str] = {}  # header names met, as they are looked up (a few dozen in practice)


def request_headers(scope: Scope) -> dict[str, str]:
    """Lower-cased header names; a repeated header keeps its values joined with ", " (RFC 9110 §5.3)."""
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = _NAMES.get(raw_name)
        if name is None:
            name = raw_name.decode("latin-1").lower()
            if len(_NAMES) < 1000:  # bounded: names are the client's to choose
                _NAMES[raw_name] = name
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it exceeds `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def direct_cycle(scope: Scope) -> Any | None:
    """Our server's `DirectCycle` for this request, if it came by the direct path (`kernel.serving`)."""
    extensions = scope.get("extensions")
    return extensions.get(DIRECT_EXTENSION) if extensions else None


def _raw_headers(
    body: bytes, headers: Iterable[tuple[str, str]], content_type: str | None
) -> list[tuple[bytes, bytes]]:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]  # the server lower-cases names
    if content_type is not None:
        raw.append((b"content-type", content_type.encode("latin-1")))
    raw.append((b"content-length", str(len(body)).encode()))
    return raw


def answer_directly(
    direct: Any | None,
    status: int,
    body: bytes,
    headers: Iterable[tuple[str, str]],
    content_type: str | None = None,
) -> bool:
    """`respond` without its coroutines, for a direct request: False (nothing written) when it must
    be `respond` after all (not a direct request, or the server must wait for the client to read)."""
    return direct is not None and direct.answer(status, _raw_headers(body, headers, content_type), body)


async def respond(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[str, str]], content_type: str | None = None
) -> None:
    raw = _raw_headers(body, headers, content_type)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def respond_json(
    send: Send, status: int, data: Any, headers: Iterable[tuple[str, str]] = (), content_type: str = JSON
) -> None:
    await respond(send, status, orjson.dumps(data), headers, content_type)
