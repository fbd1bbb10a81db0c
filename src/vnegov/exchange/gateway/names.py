"""Identifiers as the gateway reads them from a request: parsed once, a bad one refused as a
`GatewayError` that names the field (`identifiers.py` holds the rules)."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import unquote

from vnegov.exchange.gateway import errors as E
from vnegov.exchange.gateway.errors import GatewayError
from vnegov.exchange.identifiers import ClientId, InvalidIdentifier, check_part, parse_client


@functools.lru_cache(maxsize=4096)
def provider_at(raw: str) -> ClientId:
    """The provider subsystem a /r1/ path names (its first four segments, still percent-encoded);
    remembered, as the same few providers are named on every call (a refusal is not remembered)."""
    return parsed(parse_client, "/".join(unquote(p) for p in raw.split("/")), "path")


@functools.lru_cache(maxsize=4096)
def client_named(header_value: str, field: str) -> ClientId:
    """The subsystem an X-Road-Client (or X-GovStack-Client) header names; remembered like `provider_at`."""
    return parsed(parse_client, unquote(header_value), field)


@functools.lru_cache(maxsize=1024)
def certificate_named(code: str) -> ClientId:
    """The subsystem a peer certificate's CN names; remembered like `provider_at`."""
    return parsed(parse_client, code, "certificate")


def parsed(parse: Any, value: str, field: str) -> Any:
    try:
        return parse(value, field=field)
    except InvalidIdentifier as exc:
        raise GatewayError(E.BAD_IDENTIFIER, str(exc), field=field) from None


def check(value: str, what: str, field: str) -> None:
    try:
        check_part(value, what, field)
    except InvalidIdentifier as exc:
        raise GatewayError(E.BAD_IDENTIFIER, str(exc), field=field) from None
