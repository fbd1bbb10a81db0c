"""A minimal DER writer for the time-stamp hot path.

asn1crypto builds a signed token in ~7 ms (it copies and re-encodes the embedded certificates every
time); the TSA must answer ≥ 1,000 requests/s. The constant parts of a token are encoded once with
asn1crypto, and the few per-request fields are written here. `openssl ts -verify` checks the result
in the tests.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from asn1crypto import core

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
GENERALIZED_TIME = 0x18


def tlv(tag: int, content: bytes) -> bytes:
    """Tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def sequence(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def set_of(*parts: bytes) -> bytes:
    """A DER SET OF: elements sorted by their encoding (X.690 §11.6)."""
    return tlv(SET, b"".join(sorted(parts)))


def integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("only non-negative integers are written here")
    return tlv(INTEGER, value.to_bytes((value.bit_length() + 8) // 8, "big"))


def octet_string(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def explicit(number: int, content: bytes) -> bytes:
    """A context-specific constructed tag [number] around already encoded content."""
    return tlv(0xA0 | number, content)


@functools.cache
def oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def generalized_time(moment: datetime) -> bytes:
    """GeneralizedTime in UTC with whole seconds, as RFC 5280 §4.1.2.5.2 and RFC 3161 expect."""
    return tlv(GENERALIZED_TIME, moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode("ascii"))
