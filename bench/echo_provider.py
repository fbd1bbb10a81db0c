"""The echo provider of the exchange benchmark: a bare ASGI app that answers the request body.

As fast as a Python provider gets (no framework), so the gateway's cost is not hidden behind a slow
provider. Run: `python bench/echo_provider.py PORT`.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(echo, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
