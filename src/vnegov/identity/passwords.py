"""Passwords (mật khẩu): argon2id hashes and the rules for a new password, after NIST SP 800-63B.

A password is the first factor (level of assurance 1); TOTP (`identity.totp`) adds the second.
Following SP 800-63B §5.1.1: a minimum length, a blocklist of the most common passwords, no
passwords made of the holder's own personal ID or name, no composition rules beyond refusing
short single-class passwords (long passphrases pass), no forced expiry, no hints. Passwords are
NFKC-normalised before hashing and counting, so a Vietnamese password typed with precomposed or
combining diacritics (different input methods) is the same password.

    hash_password(password) -> str                  at registration and on change
    verify_password(stored, password) -> bool       at sign-in; False, never an exception, on a bad hash
    needs_rehash(stored) -> bool                    after a successful sign-in: store a fresh hash
    verify_dummy(password) -> bool                  when no such account: spend the same time, say False
    check_new_password(password, personal_id=, name=)   InvalidInput(field=..., reason=...) or None
"""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from vnegov.kernel.errors import InvalidInput
from vnegov.kernel.text import fold

# argon2id with RFC 9106's second recommended option (§4, "if much less memory is available"):
# t=3, m=64 MiB, p=4. The first option needs 2 GiB per hash, which a sign-in page under load cannot
# afford. Named explicitly rather than taken from `PasswordHasher()` (whose defaults are the same
# profile in argon2-cffi 25.1) so that a library upgrade never changes the cost silently; when this
# changes, `needs_rehash` upgrades each stored hash at its holder's next sign-in.
# Cost measured on the 2-CPU development machine, shared and loaded: 150–350 ms per hash (p=4 gets only
# two cores). If sign-in latency matters more, OWASP's minimum `PasswordHasher(time_cost=1,
# memory_cost=47104, parallelism=1)` (46 MiB, one pass) took 75–100 ms on the same machine.
_HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)

# The hash of a random password nobody kept, with the parameters above (a test keeps them in step).
# Verifying against it when the account does not exist costs what a real verification costs, so the
# time of an answer does not tell whether a username exists.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$TptQszL+BcwGZa3flF0qCQ$kvAJbY3EhpFjA3Z1JYsbYFh8Px+evoIF0NyO4F9+peY"
)

MIN_LENGTH = 10
MAX_LENGTH = 128
PASSPHRASE_LENGTH = 16  # from this length a password may use a single character class

# The most common passwords in published leaks, with those most used in Vietnam; compared folded
# (lower case, no diacritics) and without spaces, so "Mật Khẩu 123" is "matkhau123".
COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "123456", "12345678", "123456789", "1234567890", "0123456789", "12345678910", "987654321",
        "123123123", "147258369", "111111111", "1111111111", "000000000", "0000000000", "88888888",
        "66668888", "123456a", "123456aa", "a123456789", "123456789a", "123456abc", "abc123456",
        "abcd1234", "qwerty123", "qwertyuiop", "1q2w3e4r5t", "1qaz2wsx3edc", "asdfghjkl", "zxcvbnm123",
        "password", "password1", "password123", "passw0rd", "p@ssw0rd", "iloveyou", "iloveyou123",
        "admin123", "admin@123", "administrator", "welcome123", "letmein123", "football", "princess",
        "sunshine", "matkhau", "matkhau123", "matkhau@123", "matkhau1234", "anhyeuem", "anhyeuem123",
        "emyeuanh", "emyeuanh123", "yeuemmaimai", "vietnam", "vietnam123", "vietnam@123", "hanoi123",
        "saigon123",
    }
)  # fmt: skip


def _normal(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """An argon2id hash of the password, with a fresh salt, in PHC string format."""
    return _HASHER.hash(_normal(password))


def verify_password(stored: str, password: str) -> bool:
    """Whether the password matches the stored hash; False for a mismatch or a malformed hash."""
    try:
        return _HASHER.verify(stored, _normal(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether the stored hash was made with other parameters than today's (True if unreadable)."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def verify_dummy(password: str) -> bool:
    """Spend the time of a real verification for an account that does not exist; always False."""
    verify_password(DUMMY_HASH, password)
    return False


def _classes(text: str) -> int:
    kinds = {
        "digit" if ch.isdigit() else "lower" if ch.islower() else "upper" if ch.isupper() else "other"
        for ch in text
    }
    return len(kinds)


def check_new_password(
    password: str, *, personal_id: str | None = None, name: str | None = None, field: str = "password"
) -> None:
    """Refuse a new password that is too short or long, common, the holder's ID or name, or a short
    single-class string: InvalidInput naming `field`, with `reason` one of too_long, common,
    too_short, contains_personal_id, equals_name, one_character_class."""
    text = _normal(password)
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            f"a password has at most {MAX_LENGTH} characters",
            field=field,
            reason="too_long",
            max_length=MAX_LENGTH,
        )
    compact = fold(text).replace(" ", "")  # lower case, no diacritics, no spaces
    if compact in COMMON_PASSWORDS:
        raise InvalidInput("this password is one of the most common ones", field=field, reason="common")
    if len(text) < MIN_LENGTH:
        raise InvalidInput(
            f"a password has at least {MIN_LENGTH} characters",
            field=field,
            reason="too_short",
            min_length=MIN_LENGTH,
        )
    pid = fold(personal_id or "").replace(" ", "")
    if pid and pid in compact:
        raise InvalidInput(
            "a password must not contain your personal ID", field=field, reason="contains_personal_id"
        )
    if name and compact == fold(name).replace(" ", ""):
        raise InvalidInput("a password must not be your name", field=field, reason="equals_name")
    if len(text) < PASSPHRASE_LENGTH and _classes(text) < 2:
        raise InvalidInput(
            f"a password shorter than {PASSPHRASE_LENGTH} characters mixes letters, digits or symbols",
            field=field,
            reason="one_character_class",
        )
