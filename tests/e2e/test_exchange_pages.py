"""An official connects a system to the exchange on the pages, and sees its call in the message log,
in a real browser against a real server."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Caller, unique
from tests.e2e.conftest import browser_sign_in
from vnegov.exchange.seed import seed
from vnegov.kernel.context import SYSTEM
from vnegov.kernel.db import Database
from vnegov.kernel.settings import Settings

pytestmark = pytest.mark.browser


def test_an_official_connects_a_system_and_sees_its_call_logged(
    live_server: str,
    app: FastAPI,
    page,  # type: ignore[no-untyped-def]
    province_hanoi: Caller,
    db: Database,
    settings: Settings,
) -> None:
    with db.transaction() as session:  # the demo directory, as `vnegov up` has it (idempotent)
        seed(session, SYSTEM, None, settings)
    system = f"VN/GOV/H24/{unique('MCDT')}"
    service = f"{system}/traCuu/v1"

    browser_sign_in(page, live_server, app, "H24", start="/exchange/manage")

    page.get_by_label("Hệ thống mới").fill(system)
    page.locator("#new-subsystem-name").fill("Một cửa điện tử")
    page.locator("form[action$='register-subsystem'] button").click()
    page.wait_for_load_state()
    assert "Đã đăng ký hệ thống" in page.locator("#form-notice").inner_text()

    page.get_by_label("Dịch vụ mới").fill(service)
    page.locator("#new-service-title").fill("Tra cứu hồ sơ")
    page.get_by_label("Địa chỉ hệ thống cung cấp").fill(f"{live_server}/api/v1/exchange/demo/echo")
    page.locator("form[action$='register-service'] button").click()
    page.wait_for_load_state()

    page.get_by_label("Hệ thống gọi hoặc nhóm").fill(system)
    page.get_by_role("button", name="Cấp quyền").click()
    page.wait_for_load_state()
    assert "Đã cấp quyền truy cập" in page.locator("#form-notice").inner_text()

    group = unique("nhom")
    page.get_by_label("Mã nhóm").fill(group)
    page.get_by_label("Tên nhóm").fill("Nhóm thử")
    page.get_by_role("button", name="Tạo nhóm").click()
    page.wait_for_load_state()
    assert "Đã tạo nhóm" in page.locator("#form-notice").inner_text()
    row = page.locator("#groups tr", has_text=f"local:{group}")
    row.get_by_label("Thêm hệ thống").fill(system)
    row.get_by_role("button", name="Thêm", exact=True).click()
    page.wait_for_load_state()
    assert system in page.locator("#groups tr", has_text=f"local:{group}").inner_text()

    page.locator("#systems tr", has_text=system).get_by_role("button", name="Cấp thông tin xác thực").click()
    page.wait_for_load_state()
    client_id = page.locator("#issued-client-id").inner_text()
    secret = page.locator("#issued-secret").inner_text()

    token = httpx.post(
        f"{live_server}/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    ).json()["access_token"]
    call = httpx.post(
        f"{live_server}/r1/{service}/ho-so",
        content=b"{}",
        headers={"Authorization": f"Bearer {token}", "X-Road-Client": system, "X-Road-Id": f"e2e-{system}"},
        timeout=30,
    )
    assert call.status_code == 200, call.text

    page.goto(f"{live_server}/exchange/log?client={system}")
    row = page.locator("#log tbody tr").first
    assert f"e2e-{system}" in row.inner_text() and "200" in row.inner_text()
