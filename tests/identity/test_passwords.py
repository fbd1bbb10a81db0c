"""Password hashes (argon2id) and the rules for a new password (NIST SP 800-63B)."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher, profiles

from vnegov.identity import passwords
from vnegov.kernel.errors import InvalidInput

PASSPHRASE = "Mùa thu Hà Nội 1945"


def test_hash_round_trip() -> None:
    stored = passwords.hash_password(PASSPHRASE)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_password(stored, PASSPHRASE)
    assert not passwords.verify_password(stored, "Mùa thu Hà Nội 1946")
    assert not passwords.needs_rehash(stored)
    assert passwords.hash_password(PASSPHRASE) != stored  # a fresh salt each time


def test_composed_and_decomposed_diacritics_are_the_same_password() -> None:
    stored = passwords.hash_password(unicodedata.normalize("NFC", PASSPHRASE))
    assert passwords.verify_password(stored, unicodedata.normalize("NFD", PASSPHRASE))


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=65536,t=3,p=4$xx", "$2b$12$abc"])
def test_malformed_hash_is_a_mismatch_not_an_error(stored: str) -> None:
    assert passwords.verify_password(stored, PASSPHRASE) is False
    assert passwords.needs_rehash(stored)


def test_hash_with_weaker_parameters_verifies_and_needs_rehash() -> None:
    weak = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSPHRASE)
    assert passwords.verify_password(weak, PASSPHRASE)
    assert passwords.needs_rehash(weak)


def test_dummy_verification_costs_a_real_verification_and_says_no() -> None:
    # the same parameters as real hashes, so a missing account takes as long as a wrong password
    assert not passwords.needs_rehash(passwords.DUMMY_HASH)
    assert passwords.verify_dummy(PASSPHRASE) is False
    assert passwords.verify_dummy("") is False


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!xyz", "too_short"),
        ("Ab3$efgh9", "too_short"),
        ("Aa1!" * 33, "too_long"),
        ("matkhau123", "common"),
        ("Mật Khẩu 123", "common"),
        ("ANHYEUEM", "common"),
        ("iloveyou", "common"),
        ("123456789", "common"),
        ("Password1", "common"),
        ("cccd079303001234", "contains_personal_id"),
        ("Nguyễn Thị Ân", "equals_name"),
        ("hanoimuathu", "one_character_class"),
        ("hoaphuongdo", "one_character_class"),
        ("20240915731", "one_character_class"),
    ],
)
def test_new_password_refused_with_reason(password: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_new_password(
            password, personal_id="079303001234", name="Nguyen Thi An", field="new_password"
        )
    assert caught.value.field == "new_password"
    assert caught.value.data["reason"] == reason


def test_name_is_compared_without_spaces_or_diacritics() -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_new_password("NguyenThiAn", name="Nguyễn Thị Ân")
    assert caught.value.data["reason"] == "equals_name"
    assert caught.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [
        "correcthorsebatterystaple",  # one class, but a long passphrase
        "hoaphuongdomuahe",  # exactly 16 characters of one class
        "Ab3$efgh9k",  # 10 characters, several classes
        PASSPHRASE,
        "x" * 10 + "1" * 118,  # 128 characters
    ],
)
def test_new_password_accepted(password: str) -> None:
    passwords.check_new_password(password, personal_id="079303001234", name="Nguyen Thi An")
