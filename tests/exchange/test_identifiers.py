"""X-Road-style identifiers: the forms we read and the characters we refuse."""

from __future__ import annotations

import pytest

from vnegov.exchange.identifiers import (
    ClientId,
    InvalidIdentifier,
    parse_client,
    parse_dstcode,
    parse_service,
)


def test_client_service_and_lgsp_forms_round_trip() -> None:
    client = parse_client("VN/GOV/G12/DVC")
    assert client == ClientId("VN", "GOV", "G12", "DVC")
    assert str(client) == "VN/GOV/G12/DVC"
    assert str(client.member) == "VN/GOV/G12"
    service = parse_service("VN/GOV/G01/DANCU/congDan/v1")
    assert (service.provider.member_code, service.service_code, service.version) == (
        "G01",
        "congDan",
        "v1",
    )
    assert str(service) == "VN/GOV/G01/DANCU/congDan/v1"
    assert parse_service("VN/COM/0106001236/PAY/init").version is None
    legacy = parse_dstcode("VN:GOV:000.00.00.G22:vpcpdvcprovider")
    assert legacy == ClientId("VN", "GOV", "000.00.00.G22", "vpcpdvcprovider")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("VN/GOV/G12", "instance/memberClass/memberCode/subsystem"),
        ("VN/XYZ/G12/DVC", "member class"),
        ("VN/GOV/G12/DV C", "' '"),
        ("VN/GOV/G;12/DVC", "';'"),
        ("VN/GOV/G12/Dịch", "'ị'"),
        ("VN/GOV//DVC", "member code is missing"),
        ("VN/GOV/G12/DVC%2F", "'%'"),
    ],
)
def test_bad_clients_are_refused_with_the_reason(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_client(value, field="X-Road-Client")
    assert reason in caught.value.message
    assert caught.value.field == "X-Road-Client"


def test_allowed_punctuation_is_accepted() -> None:
    assert parse_client("VN/GOV/000.00.00.H29/a'(b)+c,d-e.f=g?").subsystem == "a'(b)+c,d-e.f=g?"


def test_service_needs_a_code() -> None:
    with pytest.raises(InvalidIdentifier):
        parse_service("VN/GOV/G01/DANCU")
