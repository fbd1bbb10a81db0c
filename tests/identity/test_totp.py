"""TOTP (RFC 6238 over RFC 4226): the RFC's test vectors, windows, replays and provisioning URIs."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from vnegov.identity import totp
from vnegov.kernel.errors import InvalidInput

# RFC 6238 Appendix B: the SHA1 seed is the ASCII text "12345678901234567890"
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
NOW = 1_700_000_000.0  # inside step 56_666_666
NOW_STEP = int(NOW // 30)


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_sha1_vectors(at: int, code: str) -> None:
    assert RFC_SECRET == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code_at(RFC_SECRET, at, digits=8) == code
    assert totp.verify(RFC_SECRET, code, at=at, digits=8, window=0) == at // 30


def test_new_secret_is_160_bits_of_unpadded_base32() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32 and "=" not in secret
    assert len(base64.b32decode(secret)) == 20
    assert totp.new_secret() != secret
    assert len(totp.code_at(secret, NOW)) == 6


def test_window_accepts_neighbouring_steps_and_refuses_further_ones() -> None:
    secret = totp.new_secret()
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, NOW + 30 * offset)
        assert totp.verify(secret, code, at=NOW) == NOW_STEP + offset
    for offset in (-2, 2):
        assert totp.verify(secret, totp.code_at(secret, NOW + 30 * offset), at=NOW) is None
    late = totp.code_at(secret, NOW - 60)
    assert totp.verify(secret, late, at=NOW, window=2) == NOW_STEP - 2
    assert totp.verify(secret, totp.code_at(secret, NOW - 30), at=NOW, window=0) is None


def test_wrong_or_malformed_code_is_refused() -> None:
    secret = totp.new_secret()
    right = totp.code_at(secret, NOW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for code in (wrong, right[:5], right + "0", "12345a", "", "١٢٣٤٥٦"):
        assert totp.verify(secret, code, at=NOW) is None


def test_replay_of_the_same_or_an_earlier_step_is_refused() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, NOW)
    step = totp.verify(secret, code, at=NOW)
    assert step == NOW_STEP
    assert totp.verify(secret, code, at=NOW + 10, last_step=step) is None
    earlier = totp.code_at(secret, NOW - 30)
    assert totp.verify(secret, earlier, at=NOW, last_step=step) is None
    later = totp.code_at(secret, NOW + 30)
    assert totp.verify(secret, later, at=NOW + 30, last_step=step) == NOW_STEP + 1


def test_code_with_spaces_and_secret_in_lower_case() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, NOW)
    assert totp.verify(secret.lower(), f" {code[:3]} {code[3:]} ", at=NOW) == NOW_STEP


def test_verify_defaults_to_now() -> None:
    secret = totp.new_secret()
    assert totp.verify(secret, totp.code_at(secret, time.time())) is not None


@pytest.mark.parametrize("secret", ["", "not base32!", "ĐĐĐĐ"])
def test_malformed_secret(secret: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        totp.code_at(secret, NOW)
    assert caught.value.data["reason"] == "base32"


def test_provisioning_uri() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "an.nguyen@example.vn", issuer="Cổng DVC")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/C%E1%BB%95ng%20DVC:an.nguyen%40example.vn"
    assert parse_qs(parts.query) == {
        "secret": ["JBSWY3DPEHPK3PXP"],
        "issuer": ["Cổng DVC"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    assert "issuer=C%E1%BB%95ng%20DVC" in uri
    assert totp.provisioning_uri("ABC", "an").startswith("otpauth://totp/vnegov:an?secret=ABC&issuer=vnegov&")
