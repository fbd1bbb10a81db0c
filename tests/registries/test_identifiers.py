"""Personal IDs, enterprise codes and partial dates: structure, and errors that name the reason."""

from __future__ import annotations

from datetime import date

import pytest

from vnegov.kernel.errors import InvalidInput
from vnegov.registries import identifiers as ids


def test_personal_id_parts() -> None:
    pid = ids.parse_personal_id("079303001234")
    assert (pid.province, pid.sex, pid.birth_year) == ("079", ids.FEMALE, 2003)
    assert ids.parse_personal_id("001090000103").birth_year == 1990
    assert len(ids.ID_PROVINCES) == 63
    assert ids.make_personal_id("079", ids.FEMALE, 2003, 1234) == "079303001234"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("07920300123", "length"),
        ("0793030012345", "length"),
        ("07920300123a", "digits"),
        ("003203001234", "province"),
        ("097203001234", "province"),
    ],
)
def test_bad_personal_ids(value: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ids.parse_personal_id(value)
    assert caught.value.field == "personal_id"
    assert caught.value.data["reason"] == reason


def test_personal_id_agrees_with_sex_and_year() -> None:
    ids.check_personal_id("079303001234", sex=ids.FEMALE, birth_year=2003)
    with pytest.raises(InvalidInput, match="other sex"):
        ids.check_personal_id("079303001234", sex=ids.MALE)
    with pytest.raises(InvalidInput, match="born in 2003"):
        ids.check_personal_id("079303001234", birth_year=1903)


def test_enterprise_codes() -> None:
    # Real tax codes, as python-stdnum's vn.mst examples use them.
    assert ids.parse_enterprise_code("0100233488") == "0100233488"
    assert ids.parse_enterprise_code("0314409058-002") == "0314409058002"
    assert ids.format_enterprise_code("0314409058002") == "0314409058-002"
    for value, reason in (("0100233480", "checksum"), ("12345", "length"), ("0100000000", "serial"),
                          ("0100233488-000", "branch"), ("01002334a8", "digits")):  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            ids.parse_enterprise_code(value)
        assert caught.value.data["reason"] == reason
    made = [ids.make_enterprise_code("99", n) for n in range(1, 200)]
    assert all(ids.parse_enterprise_code(c) == c for c in made if c is not None)
    assert 0 < made.count(None) < 40  # about one serial in eleven has no check digit


def test_partial_dates() -> None:
    today = date(2026, 12, 1)
    assert str(ids.parse_partial_date("1950", today=today)) == "1950"
    assert str(ids.parse_partial_date("07/1950", today=today)) == "1950-07"
    assert str(ids.parse_partial_date("14/07/1950", today=today)) == "1950-07-14"
    assert ids.PartialDate(1950, 7, None).matches(ids.PartialDate(1950, 7, 14))
    assert not ids.PartialDate(1950, 7, 14).matches(ids.PartialDate(1950, 7, 15))
    for value, reason in (("31/02/1990", "calendar"), ("1990/05/20", "format"), ("2027", "future")):
        with pytest.raises(InvalidInput) as caught:
            ids.parse_partial_date(value, today=today)
        assert caught.value.data["reason"] == reason
