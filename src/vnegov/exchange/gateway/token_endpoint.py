"""The gateway's token endpoint (cấp mã truy cập), as provincial LGSPs (WSO2-style) issue tokens."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs, unquote

from starlette.types import Receive, Scope, Send

from vnegov.exchange import credentials
from vnegov.exchange.gateway import errors as E
from vnegov.exchange.gateway.http import ClientGone, read_body, request_headers, respond_json
from vnegov.exchange.gateway.runtime import Gateway

FAILURE_RATE = 1 / 6  # failed attempts per second and address, on average
FAILURE_BURST = 10.0  # failed attempts allowed at once


async def token(gw: Gateway, scope: Scope, receive: Receive, send: Send) -> None:
    """`POST /token`: OAuth2 client credentials (RFC 6749 §4.4), Basic or form client authentication."""
    headers = {"cache-control": "no-store", "pragma": "no-cache"}
    if scope["method"] != "POST":
        await respond_json(
            send,
            405,
            {"error": "invalid_request", "error_description": "use POST"},
            [("allow", "POST"), *headers.items()],
        )
        return
    try:
        body = await read_body(receive, 16 * 1024)
    except ClientGone:
        return
    form = {k: v[0] for k, v in parse_qs((body or b"").decode("utf-8", "replace")).items()}
    client_id, secret = _basic(request_headers(scope).get("authorization", ""))
    client_id = client_id or form.get("client_id", "")
    secret = secret or form.get("client_secret", "")
    if form.get("grant_type") != "client_credentials":
        await respond_json(
            send,
            400,
            {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials",
            },
            headers.items(),
        )
        return
    await gw.ensure_started()
    address = (scope.get("client") or ("?", 0))[0]
    failures = ("token-failures", address)
    wait = gw.rates.waiting(failures, FAILURE_RATE, FAILURE_BURST)
    if wait:  # guessing secrets: slow down, whatever this attempt holds
        await respond_json(
            send,
            429,
            {"error": "slow_down", "error_description": "too many failed attempts from this address"},
            [("retry-after", str(max(1, round(wait)))), *headers.items()],
        )
        return
    client = None
    if client_id and secret:
        client = await gw.run_db(credentials.authenticate, client_id, secret)
    if client is None:
        gw.rates.take(failures, FAILURE_RATE, FAILURE_BURST)
        await gw.security_event(
            scope,
            E.CLIENT_AUTH,
            "token endpoint: invalid client credentials",
            client=client_id[:64] or None,
        )
        await respond_json(
            send,
            401,
            {"error": "invalid_client", "error_description": "unknown client or wrong secret"},
            [("www-authenticate", 'Basic realm="vnegov-exchange"'), *headers.items()],
        )
        return
    token, ttl = gw.tokens.issue(client, client_id)
    await respond_json(
        send,
        200,
        {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "client": client},
        headers.items(),
    )


def _basic(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return "", ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return unquote(user), unquote(password)
