"""Registry officials' pages: search, a record with its history and readers, a correction with its
reason; officials of other agencies are turned away; opening a record is itself a logged read."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Caller, sign_in_official
from tests.exchange.conftest import GatewayEnv
from tests.registries.conftest import AN


def _sign_in(client: TestClient, who: Caller, page: str) -> str:
    """An official of `who`'s agency signs in at the identity provider; the page's CSRF token."""
    sign_in_official(client, client.app, who.principal.agency_code, next_url=page)
    r = client.get(page)
    match = re.search(r'name="csrf" value="([^"]+)"', r.text)
    return match.group(1) if match else ""


def test_an_official_finds_views_and_corrects_a_citizen(reg: GatewayEnv, mps_official: Caller) -> None:
    client = reg.client
    _sign_in(client, mps_official, "/registries")
    r = client.get(
        "/registries", params={"q": "nguyen van an", "birth_year": ""}
    )  # the form sends an empty box
    assert r.status_code == 200, r.text
    assert f'href="/registries/citizens/{AN}"' in r.text
    assert "Nguyễn Văn An" in r.text

    page = f"/registries/citizens/{AN}"
    csrf = _sign_in(client, mps_official, page)
    r = client.get(page)
    assert "Số 12 phố Đội Cấn" in r.text and 'id="history"' in r.text
    assert "registry administration" in r.text  # this very view shows among the readers

    r = client.post(f"{page}/correct", data={"csrf": csrf, "field": "current_address", "value": "Số 3 ngõ 5",
                                             "reason": "abc"})  # fmt: skip
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "reason" in r.text
    r = client.post(
        f"{page}/correct",
        data={
            "csrf": csrf,
            "field": "current_address",
            "value": "Số 3 ngõ 5",
            "reason": "Đơn đề nghị ngày 1/12",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.get(r.headers["location"])
    assert "Đã lưu điều chỉnh" in r.text
    assert "Số 3 ngõ 5" in r.text
    assert "Đơn đề nghị ngày 1/12" in r.text  # the reason, in the history table
    r = client.post(
        f"{page}/correct", data={"csrf": "forged", "field": "given_name", "value": "X", "reason": "abcdef"}
    )
    assert r.status_code == 403


def test_other_agencies_are_turned_away_and_enterprises_are_for_g12(
    reg: GatewayEnv, mof_official: Caller
) -> None:
    client = reg.client
    _sign_in(client, mof_official, "/registries")
    r = client.get(f"/registries/citizens/{AN}")
    assert r.status_code == 403
    r = client.get("/registries", params={"q": "an phat"})
    assert 'href="/registries/enterprises/9900000016"' in r.text
    assert 'id="citizens"' not in r.text  # G12 does not search people
    r = client.get("/registries/enterprises/9900000016")
    assert r.status_code == 200
    assert "Công ty Cổ phần Dịch vụ An Phát" in r.text and AN in r.text
