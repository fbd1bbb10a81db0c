"""Time-based one-time passwords (mã OTP theo thời gian), the second factor of level of assurance 2.

RFC 6238 TOTP over RFC 4226 HOTP with HMAC-SHA1, 6 digits and 30-second steps: the parameters every
authenticator app (Google Authenticator, Microsoft Authenticator, FreeOTP, …) accepts.

    new_secret() -> str                             160 random bits, base32 without padding
    provisioning_uri(secret, account, issuer) -> str    the otpauth:// URI a QR code carries
    code_at(secret, at) -> str                      the code at a Unix time
    verify(secret, code, at=, window=, last_step=) -> int | None
                                                    the matched time step, or None

The caller stores the step `verify` returns and passes it back as `last_step`: a code of that step or
an earlier one is refused, so an overheard code cannot be replayed within its window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

from vnegov.kernel.errors import InvalidInput

DIGITS = 6
STEP = 30  # seconds
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 §4 (R6) recommends


def new_secret() -> str:
    """A new shared secret: 160 random bits in base32 (upper case, no padding)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    text = "".join(secret.split()).upper()
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:  # binascii.Error, or characters outside ASCII
        key = b""
    if not key:
        raise InvalidInput("a TOTP secret is non-empty base32 text", field="secret", reason="base32")
    return key


def _hotp(key: bytes, counter: int, digits: int) -> str:
    """RFC 4226 §5.3: HMAC-SHA1 of the 8-byte counter, dynamic truncation, the last `digits` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def code_at(secret: str, at: float, *, digits: int = DIGITS, step: int = STEP) -> str:
    """The code for the time step containing Unix time `at`."""
    return _hotp(_key(secret), int(at // step), digits)


def verify(
    secret: str,
    code: str,
    *,
    at: float | None = None,
    window: int = 1,
    last_step: int | None = None,
    digits: int = DIGITS,
    step: int = STEP,
) -> int | None:
    """The time step whose code matches (within `window` steps either side of `at`, default now, and
    later than `last_step`), or None. Spaces in the code are ignored; comparisons are constant-time."""
    given = "".join(code.split())
    if len(given) != digits or not given.isascii() or not given.isdigit():
        return None
    key = _key(secret)
    now = int((time.time() if at is None else at) // step)
    matched: int | None = None
    for candidate in range(now - window, now + window + 1):
        if candidate < 0:
            continue
        # every candidate is computed and compared, so the time taken does not say which one matched
        equal = hmac.compare_digest(_hotp(key, candidate, digits), given)
        fresh = last_step is None or candidate > last_step
        if equal and fresh and matched is None:
            matched = candidate
    return matched


def provisioning_uri(secret: str, account: str, issuer: str = "vnegov") -> str:
    """The Key URI an authenticator app reads from a QR code, with issuer and account URL-encoded."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
