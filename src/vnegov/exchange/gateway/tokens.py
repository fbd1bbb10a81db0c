"""Client access tokens of the gateway (mã truy cập): the "signed client token" of the embedded mode.

`POST /token` (OAuth2 client credentials, as provincial LGSPs issue them) returns a JWT signed by this
gateway with Ed25519 (RFC 9864 `alg` "Ed25519"): `sub` is the client subsystem (`VN/GOV/H24/LGSP`),
`cid` the credential it was issued for, `iss` the gateway, `exp` its end. Calls present it as
`Authorization: Bearer`. The gateway checks signature and expiry, and that the credential is still live
(revoking a credential ends its tokens at the next registry refresh).

The key is generated at first start under `data_dir/secrets` (every process of one gateway reads the
same file). Verified tokens are cached until they expire, so a busy client costs one signature check.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from vnegov.kernel.secret_files import read_or_create

ALGORITHM = "Ed25519"
CACHE_MAX = 10_000


class InvalidToken(Exception):
    """The token is malformed, not ours, expired or otherwise unusable (the message says which)."""


@dataclass(frozen=True, slots=True)
class ClientToken:
    client: str
    credential: str
    expires_at: float


def _new_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class TokenAuthority:
    """Issues and checks this gateway's client tokens."""

    def __init__(self, key_pem: str, *, issuer: str, ttl_seconds: int) -> None:
        self._key = OKPKey.import_key(key_pem)
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, ClientToken] = {}

    @classmethod
    def from_data_dir(cls, data_dir: Path, *, issuer: str, ttl_seconds: int) -> TokenAuthority:
        pem = read_or_create(data_dir / "secrets" / "exchange-token-ed25519.pem", _new_key_pem)
        return cls(pem, issuer=issuer, ttl_seconds=ttl_seconds)

    def issue(self, client: str, credential: str) -> tuple[str, int]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": client,
            "cid": credential,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": secrets.token_hex(8),
        }
        token = jwt.encode({"alg": ALGORITHM, "typ": "at+jwt"}, claims, self._key, algorithms=[ALGORITHM])
        return token, self.ttl_seconds

    def verify(self, token: str) -> ClientToken:
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at <= now:
                self._cache.pop(token, None)
                raise InvalidToken("the access token has expired")
            return cached
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
        except (JoseError, ValueError) as exc:
            raise InvalidToken("the access token is not valid for this gateway") from exc
        claims = decoded.claims
        sub, cid, exp = claims.get("sub"), claims.get("cid"), claims.get("exp")
        if claims.get("iss") != self.issuer or not isinstance(sub, str) or not isinstance(cid, str):
            raise InvalidToken("the access token was not issued by this gateway")
        if not isinstance(exp, int) or exp <= now:
            raise InvalidToken("the access token has expired")
        result = ClientToken(client=sub, credential=cid, expires_at=float(exp))
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()  # crude but bounded; a full cache only costs re-verification
        self._cache[token] = result
        return result
